// An installation's exchange endpoints (docs/exchange.md): the named connections its plugin calls with exchange.call,
// each set here with its address, authentication (secrets sealed on the platform, never shown again) and limits.
import { useState } from 'preact/hooks'
import { api } from './api.js'
import { t } from './i18n.js'
import { ActionForm, Field, html, Loading, useLoad } from './ui.js'

/** Per kind of authentication, its fields: [name, secret?]. The same names the API takes. */
const PEM_FIELDS = new Set(['certificate', 'key'])
const AUTH_FIELDS = {
  none: [],
  bearer: [['token', true]],
  oauth2: [['tokenUrl', false], ['clientId', false], ['clientSecret', true], ['scope', false]],
  hmac: [['appName', false], ['accessKey', false], ['secretKey', true]],
  session: [['loginPath', false], ['username', false], ['password', true]],
  mtls: [['certificate', false], ['key', true]],
}

/** `from`: the unit that installed an inherited plugin, whose connections serve this one unless it sets its own. */
export function Endpoints ({ code, mount, names, can, from }) {
  const listed = useLoad(() => api('GET', `/api/v1/tenants/${code}/plugins/${mount}/endpoints`), [code, mount])
  return html`<fieldset class="endpoints"><legend>${t('exchange.endpoints')}</legend>
    <${Loading} state=${listed}>${(data) => names.map((name) => html`<${EndpointForm} key=${`${name}@${data.endpoints.find((one) => one.name === name)?.updatedAt ?? ''}`} code=${code} mount=${mount} name=${name}
      current=${data.endpoints.find((one) => one.name === name)} can=${can} from=${from} onSaved=${listed.reload} />`)}<//>
  </fieldset>`
}

function EndpointForm ({ code, mount, name, current, can, from, onSaved }) {
  const [kind, setKind] = useState(current?.auth.kind ?? 'none')
  const status = current === undefined ? (from === undefined ? t('exchange.notSet') : t('exchange.inheritedUses', { tenant: from })) : `${current.baseUrl} · ${current.auth.kind} · ${t(`exchange.circuit.${current.circuit}`)}`
  return html`<${ActionForm} label=${t('exchange.setEndpoint', { name })} submit=${t('common.save')} action=${async (data) => {
    const auth = { kind }
    for (const [field] of AUTH_FIELDS[kind]) {
      const value = String(data.get(field) ?? '').trim()
      // A secret left empty keeps the one set; an empty setting is left out.
      if (value !== '') auth[field] = value
    }
    const number = (field) => data.get(field) === '' || data.get(field) === null ? undefined : Number(data.get(field))
    const body = {
      baseUrl: String(data.get('baseUrl')).trim(),
      auth,
      // Emptied: no private CA any more.
      ca: String(data.get('ca') ?? '').trim() === '' ? null : String(data.get('ca')).trim(),
      ...(number('timeoutMs') === undefined ? {} : { timeoutMs: number('timeoutMs') }),
      ...(number('retries') === undefined ? {} : { retries: number('retries') }),
      ...(number('ratePerMinute') === undefined ? {} : { ratePerMinute: number('ratePerMinute') }),
      logBodies: data.get('logBodies') === 'on',
      ...(can.platformAdmin ? { allowPrivate: data.get('allowPrivate') === 'on' } : {}),
    }
    await api('PUT', `/api/v1/tenants/${code}/plugins/${mount}/endpoints/${name}`, body)
    onSaved()
  }}>
    <p><strong>${name}</strong> <span class="muted" data-testid=${`endpoint-${name}`}>${status}</span></p>
    <${Field} label=${t('exchange.baseUrl')} name="baseUrl" type="url" required value=${current?.baseUrl ?? ''} />
    <${Field} label=${t('exchange.authKind')} name="kind" value=${kind} options=${Object.keys(AUTH_FIELDS).map((value) => ({ value, label: t(`exchange.auth.${value}`) }))}
      onChange=${(event) => setKind(event.currentTarget.value)} />
    ${AUTH_FIELDS[kind].map(([field, secret]) => html`<${Field} key=${`${kind}.${field}`} name=${field} label=${t(`exchange.field.${field}`)}
      type=${secret ? 'password' : 'text'} rows=${PEM_FIELDS.has(field) ? 4 : undefined} autocomplete="off" value=${secret ? '' : current?.auth[field] ?? ''}
      hint=${secret && (current?.auth.secretsSet ?? []).includes(field) ? t('exchange.secretKept') : undefined} />`)}
    <${Field} label=${t('exchange.ca')} name="ca" rows="4" value=${current?.ca ?? ''} hint=${t('exchange.caHint')} />
    <${Field} label=${t('exchange.timeoutMs')} name="timeoutMs" type="number" min="100" max="30000" value=${current?.timeoutMs ?? 5000} />
    <${Field} label=${t('exchange.retries')} name="retries" type="number" min="0" max="5" value=${current?.retries ?? 2} />
    <${Field} label=${t('exchange.ratePerMinute')} name="ratePerMinute" type="number" min="1" value=${current?.ratePerMinute ?? ''} />
    <${Field} label=${t('exchange.logBodies')} name="logBodies" type="checkbox" value=${current?.logBodies === true} />
    ${can.platformAdmin ? html`<${Field} label=${t('exchange.allowPrivate')} name="allowPrivate" type="checkbox" value=${current?.allowPrivate === true} />` : null}
  <//>`
}
