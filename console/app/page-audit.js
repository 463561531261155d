import { useState } from 'preact/hooks'
import { api } from './api.js'
import { t } from './i18n.js'
import { formatDate, html, Loading, Section, useLoad } from './ui.js'

export function AuditPage ({ roots, can }) {
  const [filters, setFilters] = useState({ tenant: roots[0], action: '', actor: '' })
  const [pages, setPages] = useState([undefined])
  const query = (before) => {
    const params = new URLSearchParams()
    if (filters.action) params.set('action', filters.action)
    if (filters.actor) params.set('actor', filters.actor)
    if (before !== undefined) params.set('before', String(before))
    return `/api/v1/tenants/${filters.tenant}/audit?${params}`
  }
  const chain = useLoad(() => can.platformAdmin ? api('GET', '/api/v1/audit/verification') : Promise.resolve(null), [])
  function apply (event) {
    event.preventDefault()
    const data = new FormData(event.currentTarget)
    setFilters({ tenant: String(data.get('tenant')), action: String(data.get('action')).trim(), actor: String(data.get('actor')).trim() })
    setPages([undefined])
  }
  return html`<div class="page">
    <h1>${t('nav.audit')}</h1>
    ${can.platformAdmin
      ? html`<${Section} title=${t('audit.chain')} id="chain-title">
          <${Loading} state=${chain}>${(c) => html`<p data-testid="chain" class=${c.ok ? 'ok' : 'error'}>${c.ok ? t('audit.chainOk', { entries: c.entries }) : t('audit.chainBroken', { seq: c.seq, reason: c.reason })}</p>`}<//>
        <//>`
      : null}
    <form class="form inline" onSubmit=${apply} aria-label=${t('audit.filters')}>
      <div class="field"><label for="audit-tenant">${t('audit.tenant')}</label><input id="audit-tenant" name="tenant" value=${filters.tenant} required list="audit-roots" /></div>
      <datalist id="audit-roots">${roots.map((r) => html`<option value=${r} />`)}</datalist>
      <div class="field"><label for="audit-action">${t('audit.action')}</label><input id="audit-action" name="action" value=${filters.action} /></div>
      <div class="field"><label for="audit-actor">${t('audit.actor')}</label><input id="audit-actor" name="actor" value=${filters.actor} /></div>
      <div class="actions"><button type="submit">${t('audit.apply')}</button></div>
    </form>
    <table class="card">
      <thead><tr><th scope="col">#</th><th scope="col">${t('audit.at')}</th><th scope="col">${t('audit.actor')}</th><th scope="col">${t('audit.actionColumn')}</th><th scope="col">${t('audit.tenant')}</th><th scope="col">${t('audit.target')}</th><th scope="col">${t('audit.details')}</th></tr></thead>
      ${pages.map((before, index) => html`<${AuditRows} key=${`${JSON.stringify(filters)}:${index}`} url=${query(before)} last=${index === pages.length - 1} onMore=${(next) => setPages([...pages, next])} />`)}
    </table>
  </div>`
}

function AuditRows ({ url, last, onMore }) {
  const page = useLoad(() => api('GET', url), [url])
  return html`<tbody>
    <${Loading} state=${page}>${(data) => html`
      ${data.items.map((e) => html`<tr><td>${e.seq}</td><td>${formatDate(e.at)}</td><td>${e.actor ?? '—'}</td><td><code>${e.action}</code></td><td>${e.tenant ?? '—'}</td><td>${e.target ?? ''}</td><td>${Object.keys(e.details).length > 0 ? html`<code class="details">${JSON.stringify(e.details)}</code>` : null}</td></tr>`)}
      ${last && data.next !== null ? html`<tr><td colspan="7"><button type="button" onClick=${() => onMore(data.next)}>${t('common.more')}</button></td></tr>` : null}`}<//>
  </tbody>`
}
