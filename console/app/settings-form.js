// A form generated from a plugin's settings schema (JSON Schema): strings, numbers, integers,
// booleans and enums get their own control; anything else is edited as JSON.
import { t } from './i18n.js'
import { Field, html } from './ui.js'

function initial (property, current) {
  if (current !== undefined) return current
  return property.default
}

/** The controls for `schema`'s properties, named `setting.<name>`. */
export function SettingsFields ({ schema, values = {} }) {
  const properties = schema?.properties ?? {}
  const names = Object.keys(properties)
  if (names.length === 0) return null
  return html`<fieldset class="settings">
    <legend>${t('plugins.settings')}</legend>
    ${names.map((name) => {
      const property = properties[name]
      const label = property.title ?? name
      const hint = property.description
      const value = initial(property, values[name])
      const required = (schema.required ?? []).includes(name)
      if (Array.isArray(property.enum)) {
        return html`<${Field} key=${name} label=${label} hint=${hint} name=${`setting.${name}`} value=${value === undefined ? '' : String(value)} required=${required}
          options=${[...(required ? [] : [{ value: '', label: '—' }]), ...property.enum.map((v) => ({ value: String(v), label: String(v) }))]} />`
      }
      if (property.type === 'boolean') return html`<${Field} key=${name} label=${label} name=${`setting.${name}`} type="checkbox" value=${value === true} />`
      if (property.type === 'integer' || property.type === 'number') {
        return html`<${Field} key=${name} label=${label} hint=${hint} name=${`setting.${name}`} type="number" step=${property.type === 'integer' ? '1' : 'any'}
          min=${property.minimum} max=${property.maximum} value=${value === undefined ? '' : String(value)} required=${required} />`
      }
      if (property.type === 'string') {
        return html`<${Field} key=${name} label=${label} hint=${hint} name=${`setting.${name}`} value=${value ?? ''} required=${required}
          minlength=${property.minLength} maxlength=${property.maxLength} />`
      }
      return html`<${Field} key=${name} label=${`${label} (JSON)`} hint=${hint} name=${`setting.${name}`} value=${value === undefined ? '' : JSON.stringify(value)} required=${required} data-json="1" />`
    })}
  </fieldset>`
}

/** Reads the settings back from a submitted form, typed as the schema says. */
export function readSettings (schema, data) {
  const settings = {}
  for (const [name, property] of Object.entries(schema?.properties ?? {})) {
    const raw = data.get(`setting.${name}`)
    if (property.type === 'boolean') {
      settings[name] = raw === 'on'
      continue
    }
    if (raw === null || raw === '') continue
    if (property.type === 'integer' || property.type === 'number') settings[name] = Number(raw)
    else if (property.type === 'string' || Array.isArray(property.enum)) settings[name] = String(raw)
    else {
      try {
        settings[name] = JSON.parse(String(raw))
      } catch {
        throw Object.assign(new Error(`${name}: not valid JSON`), { field: `settings/${name}`, code: 'CONSOLE_INVALID_JSON' })
      }
    }
  }
  return settings
}
