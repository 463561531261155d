import { api } from './api.js'
import { t } from './i18n.js'
import { ActionForm, Field, formatDate, html, Loading, Section, useLoad } from './ui.js'

const STATUSES = ['pending', 'approved', 'rejected', 'revoked']

export function RegistryPage ({ status, can }) {
  const entries = useLoad(() => api('GET', `/api/v1/registry/packages?status=${encodeURIComponent(status)}`), [status])
  return html`<div class="page">
    <h1>${t('nav.registry')}</h1>
    ${can.publishAt.length > 0
      ? html`<${Section} title=${t('registry.upload')} id="upload-title">
          <${ActionForm} label=${t('registry.upload')} submit=${t('registry.upload')} action=${async (data, form) => {
            const file = data.get('package')
            const entry = await api('POST', '/api/v1/registry/packages', undefined, { raw: file, type: 'application/gzip' })
            form.reset()
            location.hash = `#/review/${entry.name}/${entry.version}`
          }}>
            <${Field} label=${t('registry.file')} name="package" type="file" accept=".tgz,application/gzip" required />
          <//>
        <//>`
      : null}
    <nav class="tabs" aria-label=${t('registry.status')}>
      ${STATUSES.map((s) => html`<a href=${`#/registry/${s}`} aria-current=${status === s ? 'page' : undefined}>${t(`registry.${s}`)}</a>`)}
    </nav>
    <${Loading} state=${entries}>${(data) => data.items.length === 0
      ? html`<p class="muted card">${t('registry.empty')}</p>`
      : html`<table class="card">
          <thead><tr><th scope="col">${t('plugins.package')}</th><th scope="col">${t('plugins.version')}</th><th scope="col">${t('registry.publisher')}</th><th scope="col">${t('registry.publishedAt')}</th><th scope="col"><span class="sr-only">${t('registry.open')}</span></th></tr></thead>
          <tbody>${data.items.map((e) => html`<tr>
            <td>${e.name}</td><td>${e.version}</td><td>${e.publisher}</td><td>${formatDate(e.publishedAt)}</td>
            <td><a href=${`#/review/${e.name}/${e.version}`} aria-label=${`${t('registry.open')} ${e.name}@${e.version}`}>${t('registry.open')}</a></td>
          </tr>`)}</tbody>
        </table>`}<//>
  </div>`
}
