// A form drawn from its definition (the filing page and the designer's live preview), read back typed as the form says,
// and a filed value shown as people read it.
import { api, el, pick, t } from './kit.js'
import { provinces, unitOf } from './units.js'

/** One field's label, input and error line. */
export function fieldNode (field, prefix, uploads, fieldNodes) {
  const id = `f-${prefix}${field.name}`
  const error = el('p', { class: 'error', id: `${id}-error`, 'aria-live': 'polite' })
  const help = field.help ? el('p', { class: 'help', id: `${id}-help` }, pick(field.help)) : null
  const described = [help ? `${id}-help` : null, `${id}-error`].filter(Boolean).join(' ')
  const common = { id, name: prefix + field.name, 'aria-describedby': described, required: field.required === true }
  const label = pick(field.label) + (field.required ? ' *' : '')
  let input
  let body
  switch (field.type) {
    case 'longtext': input = el('textarea', { ...common, rows: 4, maxlength: field.maxLength }); break
    case 'number': case 'money': input = el('input', { ...common, type: 'number', inputmode: 'numeric', step: field.type === 'money' ? 1 : 'any', min: field.min, max: field.max }); break
    case 'date': input = el('input', { ...common, type: 'date' }); break
    case 'choice': input = el('select', common, el('option', { value: '' }, t('choose')), field.options.map((o) => el('option', { value: o.value }, pick(o.label)))); break
    case 'multichoice':
      body = el('fieldset', { id, 'aria-describedby': described }, el('legend', {}, label), field.options.map((o) => el('label', {}, el('input', { type: 'checkbox', name: prefix + field.name, value: o.value }), pick(o.label))))
      break
    case 'yesno':
      body = el('fieldset', { id, 'aria-describedby': described }, el('legend', {}, label),
        el('label', {}, el('input', { type: 'radio', name: prefix + field.name, value: 'true' }), t('yes')),
        el('label', {}, el('input', { type: 'radio', name: prefix + field.name, value: 'false' }), t('no')))
      break
    case 'file': {
      input = el('input', { ...common, type: 'file', accept: field.accept.join(','), multiple: (field.maxItems ?? 1) > 1 })
      const shown = el('p', { class: 'help', 'aria-live': 'polite' })
      input.addEventListener('change', async () => {
        const chosen = [...input.files]
        if (chosen.length === 0) return
        shown.textContent = t('uploading')
        const body = new FormData()
        for (const file of chosen) body.append(field.name, file, file.name)
        try {
          const { files } = await api('/uploads', { method: 'POST', body })
          uploads.set(prefix + field.name, files.map(({ id, name, type, size }) => ({ id, name, type, size })))
          shown.textContent = t('uploaded', { names: files.map((f) => f.name).join(', ') })
        } catch (failure) {
          uploads.delete(prefix + field.name)
          shown.textContent = ''
          error.textContent = failure.message
        }
      })
      body = el('div', {}, el('label', { for: id }, label), input, shown)
      break
    }
    case 'unit': {
      const province = el('select', { id: `${id}-province`, 'aria-label': `${pick(field.label)}: ${t('province')}` }, el('option', { value: '' }, t('choose')), provinces().map((p) => el('option', { value: p.code }, p.name)))
      input = el('select', { ...common, 'aria-label': `${pick(field.label)}: ${t('commune')}` }, el('option', { value: '' }, t('choose')))
      province.addEventListener('change', () => {
        const chosen = provinces().find((p) => p.code === province.value)
        input.replaceChildren(el('option', { value: '' }, t('choose')), ...(chosen?.communes ?? []).map((c) => el('option', { value: c.code }, c.name)))
      })
      body = el('fieldset', { 'aria-describedby': described }, el('legend', {}, label), el('label', {}, t('province'), province), el('label', {}, t('commune'), input))
      break
    }
    case 'group': {
      const rows = el('div', { class: 'rows' })
      const add = () => {
        const index = rows.children.length
        const inner = new Map()
        const row = el('fieldset', { class: 'row' }, el('legend', {}, `${pick(field.label)} ${index + 1}`), field.fields.map((child) => fieldNode(child, `${prefix}${field.name}[${index}].`, uploads, inner)))
        row.append(el('button', { type: 'button', onclick: () => row.remove() }, t('removeRow')))
        rows.append(row)
      }
      body = el('fieldset', { id, 'aria-describedby': described }, el('legend', {}, label), rows, el('button', { type: 'button', onclick: add }, t('addRow')))
      if ((field.minItems ?? 0) > 0) for (let i = 0; i < field.minItems; i++) add()
      break
    }
    default: input = el('input', { ...common, type: 'text', maxlength: field.maxLength })
  }
  const wrapper = el('div', { class: 'field', 'data-field': prefix + field.name }, body ?? el('label', { for: id }, label), body ? null : input, help, error)
  fieldNodes.set(prefix + field.name, { wrapper, input: input ?? body, error, field })
  return wrapper
}

/** What the form holds, typed as the form says. */
export function collect (fields, prefix, uploads) {
  const data = {}
  for (const field of fields) {
    const name = prefix + field.name
    const wrapper = document.querySelector(`[data-field="${CSS.escape(name)}"]`)
    if (wrapper === null || wrapper.hidden) continue
    let value
    if (field.type === 'multichoice') value = [...wrapper.querySelectorAll('input:checked')].map((input) => input.value)
    else if (field.type === 'yesno') { const chosen = wrapper.querySelector('input:checked'); value = chosen === null ? undefined : chosen.value === 'true' } else if (field.type === 'file') { const files = uploads.get(name); value = files === undefined ? undefined : (field.maxItems ?? 1) > 1 ? files : files[0] } else if (field.type === 'unit') { const commune = wrapper.querySelector(`#f-${CSS.escape(name)}`).value; value = commune || wrapper.querySelector('select').value || undefined } else if (field.type === 'group') value = [...wrapper.querySelectorAll(':scope > fieldset > .rows > .row')].map((_, i) => collect(field.fields, `${name}[${i}].`, uploads))
    else {
      const raw = wrapper.querySelector('input, textarea, select').value
      value = raw === '' ? undefined : field.type === 'number' || field.type === 'money' ? Number(raw) : raw
    }
    if (value !== undefined && !(Array.isArray(value) && value.length === 0 && field.type !== 'group')) data[field.name] = value
  }
  return data
}

/** Fields shown only under a condition: hidden (and left out) until it holds. */
export function applyConditions (fields, fieldNodes, values) {
  for (const field of fields) {
    if (field.showIf === undefined) continue
    const node = fieldNodes.get(field.name)
    if (node !== undefined) node.wrapper.hidden = values[field.showIf.field] !== field.showIf.equals
  }
}

export function showValue (field, value) {
  if (value === undefined || value === null) return ''
  switch (field.type) {
    case 'choice': return pick(field.options.find((o) => o.value === value)?.label) || value
    case 'multichoice': return value.map((v) => pick(field.options.find((o) => o.value === v)?.label) || v).join(', ')
    case 'yesno': return value ? t('yes') : t('no')
    case 'money': return `${Number(value).toLocaleString('vi-VN')} ₫`
    case 'unit': return unitOf(value)?.name ?? value
    case 'file': return (Array.isArray(value) ? value : [value]).map((f) => f.name).join(', ')
    case 'group': return value.map((row) => field.fields.map((f) => `${pick(f.label)}: ${showValue(f, row[f.name])}`).join('; ')).join(' | ')
    default: return String(value)
  }
}
