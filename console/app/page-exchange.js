// Data exchange (docs/exchange.md): a unit's calls to other systems (the exchange log, searched, verified, exported),
// the other agencies' systems registered to call it, and the services it publishes in the connection catalogue.
import { useState } from 'preact/hooks'
import { api } from './api.js'
import { t } from './i18n.js'
import { ActionForm, ErrorBox, Field, formatDate, html, Loading, navigate, Section, useLoad } from './ui.js'

/** The unit is in the address (#/exchange/hn), so a reload or a shared link opens the same one. */
export function ExchangePage ({ roots, tenant }) {
  return html`<div class="page">
    <h1>${t('nav.exchange')}</h1>
    <form class="form inline" aria-label=${t('exchange.unit')} onSubmit=${(event) => {
      event.preventDefault()
      navigate(`#/exchange/${encodeURIComponent(String(new FormData(event.currentTarget).get('tenant')).trim())}`)
    }}>
      <div class="field"><label for="exchange-tenant">${t('exchange.unit')}</label><input id="exchange-tenant" name="tenant" value=${tenant} key=${tenant} required list="exchange-roots" /></div>
      <datalist id="exchange-roots">${roots.map((r) => html`<option value=${r} />`)}</datalist>
      <div class="actions"><button type="submit">${t('audit.apply')}</button></div>
    </form>
    <${ExchangeLog} key=${`log:${tenant}`} tenant=${tenant} />
    <${Clients} key=${`clients:${tenant}`} tenant=${tenant} />
    <${Published} key=${`services:${tenant}`} tenant=${tenant} />
  </div>`
}

function ExchangeLog ({ tenant }) {
  const [filters, setFilters] = useState({ endpoint: '', outcome: '', correlationId: '' })
  const [error, setError] = useState(undefined)
  const query = () => {
    const params = new URLSearchParams()
    for (const [name, value] of Object.entries(filters)) if (value !== '') params.set(name, value)
    return params.toString()
  }
  const log = useLoad(() => api('GET', `/api/v1/tenants/${tenant}/exchange-log?${query()}`), [tenant, JSON.stringify(filters)])
  const chain = useLoad(() => api('GET', `/api/v1/tenants/${tenant}/exchange-log/verification`), [tenant])
  async function download () {
    setError(undefined)
    try {
      const csv = await api('GET', `/api/v1/tenants/${tenant}/exchange-log/export?${query()}`, undefined, { text: true })
      const link = Object.assign(document.createElement('a'), { href: URL.createObjectURL(new Blob([csv], { type: 'text/csv' })), download: `exchange-log-${tenant}.csv` })
      link.click()
      URL.revokeObjectURL(link.href)
    } catch (failure) {
      setError(failure)
    }
  }
  return html`<${Section} title=${t('exchange.log')} id="exchange-log-title">
    <${Loading} state=${chain}>${(c) => html`<p data-testid="exchange-chain" class=${c.ok ? 'ok' : 'error'}>${c.ok ? t('audit.chainOk', { entries: c.entries }) : t('audit.chainBroken', { seq: c.seq, reason: c.reason })}</p>`}<//>
    <form class="form inline" aria-label=${t('audit.filters')} onSubmit=${(event) => {
      event.preventDefault()
      const data = new FormData(event.currentTarget)
      setFilters({ endpoint: String(data.get('endpoint')).trim(), outcome: String(data.get('outcome')).trim(), correlationId: String(data.get('correlationId')).trim() })
    }}>
      <${Field} label=${t('exchange.endpoint')} name="endpoint" value=${filters.endpoint} />
      <${Field} label=${t('exchange.outcome')} name="outcome" value=${filters.outcome} hint="ok, EXCH_ERR_TIMEOUT…" />
      <${Field} label=${t('exchange.correlationId')} name="correlationId" value=${filters.correlationId} />
      <div class="actions"><button type="submit">${t('audit.apply')}</button> <button type="button" onClick=${download}>${t('exchange.export')}</button></div>
    </form>
    <${ErrorBox} error=${error} />
    <${Loading} state=${log}>${(data) => data.items.length === 0
      ? html`<p class="muted">${t('exchange.noCalls')}</p>`
      : html`<table class="card" data-testid="exchange-log">
        <thead><tr><th scope="col">#</th><th scope="col">${t('audit.at')}</th><th scope="col">${t('exchange.endpoint')}</th><th scope="col">${t('exchange.call')}</th><th scope="col">${t('exchange.status')}</th><th scope="col">${t('exchange.outcome')}</th><th scope="col">${t('exchange.duration')}</th><th scope="col">${t('exchange.correlationId')}</th><th scope="col">${t('exchange.hashes')}</th></tr></thead>
        <tbody>${data.items.map((e) => html`<tr>
          <td>${e.tenant} #${e.seq}</td><td>${formatDate(e.at)}</td><td>${e.mount}/${e.endpoint}</td><td><code>${e.method} ${e.target}</code></td><td>${e.status ?? '—'}</td>
          <td class=${e.outcome === 'ok' ? 'ok' : 'error'}>${e.outcome}</td><td>${e.durationMs} ms${e.attempts > 1 ? ` ×${e.attempts}` : ''}</td><td><code>${e.correlationId}</code></td>
          <td><code class="details" title=${`${e.requestHash}\n${e.responseHash ?? ''}`}>${e.requestHash.slice(0, 16)}…</code></td></tr>`)}</tbody>
      </table>`}<//>
  <//>`
}

function Clients ({ tenant }) {
  const clients = useLoad(() => api('GET', `/api/v1/tenants/${tenant}/clients`), [tenant])
  const [secret, setSecret] = useState(undefined)
  const [error, setError] = useState(undefined)
  const toggle = async (client) => {
    setError(undefined)
    try {
      await api('PATCH', `/api/v1/tenants/${tenant}/clients/${client.clientId}`, { disabled: !client.disabled })
      clients.reload()
    } catch (failure) {
      setError(failure)
    }
  }
  return html`<${Section} title=${t('exchange.clients')} id="exchange-clients-title">
    <p class="muted">${t('exchange.clientsHint')}</p>
    ${secret ? html`<p class="notice" role="status" data-testid="client-secret">${t('exchange.secretOnce', { id: secret.clientId })} <code>${secret.clientSecret}</code></p>` : null}
    <${ErrorBox} error=${error} />
    <${Loading} state=${clients}>${(data) => html`<ul class="results" data-testid="clients">${data.clients.map((client) => html`<li>
      <strong>${client.name}</strong> <code>${client.clientId}</code> · ${client.roles.join(', ')} · ${t(`exchange.clientAuth.${client.auth}`)}
      ${client.disabled ? html` · <span class="error">${t('exchange.disabled')}</span>` : null}
      <button type="button" onClick=${() => toggle(client)}>${client.disabled ? t('exchange.enable') : t('exchange.disable')}</button></li>`)}</ul>`}<//>
    <${ActionForm} label=${t('exchange.newClient')} submit=${t('exchange.register')} action=${async (data, form) => {
      const certificate = String(data.get('certificate')).trim()
      const created = await api('POST', `/api/v1/tenants/${tenant}/clients`, {
        name: String(data.get('name')).trim(),
        roles: String(data.get('roles')).split(',').map((role) => role.trim()).filter((role) => role !== ''),
        ...(certificate === '' ? {} : { certificate }),
      })
      setSecret(created.clientSecret === undefined ? undefined : created)
      form.reset()
      clients.reload()
    }}>
      <${Field} label=${t('exchange.clientName')} name="name" required />
      <${Field} label=${t('exchange.clientRoles')} name="roles" required />
      <${Field} label=${t('exchange.clientCertificate')} name="certificate" rows="4" />
    <//>
  <//>`
}

function Published ({ tenant }) {
  const services = useLoad(() => api('GET', `/api/v1/catalogue/${tenant}`), [tenant])
  return html`<${Section} title=${t('exchange.published')} id="exchange-published-title">
    <${Loading} state=${services}>${(data) => data.services.length === 0
      ? html`<p class="muted">${t('exchange.noServices')}</p>`
      : html`<ul class="results">${data.services.map((service) => html`<li><strong>${service.title}</strong> <code>${service.method} ${service.url}</code>
          · ${service.auth.role ?? service.auth.type} · <a href=${service.openapi} target="_blank" rel="noopener">OpenAPI</a></li>`)}</ul>`}<//>
    <${ActionForm} label=${t('exchange.publish')} submit=${t('exchange.publish')} action=${async (data, form) => {
      await api('PUT', `/api/v1/tenants/${tenant}/published-services/${String(data.get('code')).trim()}`, {
        mount: String(data.get('mount')).trim(), method: String(data.get('method')), path: String(data.get('path')).trim(), title: String(data.get('title')).trim(),
      })
      form.reset()
      services.reload()
    }}>
      <${Field} label=${t('exchange.serviceCode')} name="code" required pattern="[a-z][a-z0-9\\-]{1,62}" />
      <${Field} label=${t('plugins.mount')} name="mount" required />
      <${Field} label=${t('exchange.method')} name="method" value="GET" options=${['GET', 'POST', 'PUT', 'PATCH', 'DELETE'].map((value) => ({ value, label: value }))} />
      <${Field} label=${t('exchange.path')} name="path" required hint="/ho-so/:id" />
      <${Field} label=${t('exchange.title')} name="title" required />
    <//>
  <//>`
}
