import { useEffect, useRef } from 'preact/hooks'
import { api } from './api.js'
import { currentLanguage, t } from './i18n.js'
import { html, Loading, useLoad } from './ui.js'

/**
 * A plugin's page, framed, acting as the signed-in user: when the page asks (`nentang:ready`, `nentang:renew`), the
 * console fetches a token good for that plugin's routes at that unit only (5 minutes) and hands it over with the
 * user and the language. The frame is sandboxed without `allow-same-origin`: the page is an opaque origin and never
 * reaches the console's own token.
 */
export function ServicePage ({ tenant, mount }) {
  const services = useLoad(() => api('GET', `/api/v1/tenants/${tenant}/services`), [tenant])
  return html`<div class="page">
    <${Loading} state=${services}>${(data) => {
      const service = data.items.find((item) => item.mount === mount)
      if (service === undefined || !service.pages) return html`<p class="card">${t('error.notFound')}</p>`
      return html`<h1>${mount}</h1>
        ${service.description ? html`<p class="muted">${service.description}</p>` : null}
        <${PluginFrame} tenant=${tenant} mount=${mount} src=${service.pages} />`
    }}<//>
  </div>`
}

function PluginFrame ({ tenant, mount, src }) {
  const frame = useRef(null)
  useEffect(() => {
    const answer = async (event) => {
      const target = frame.current?.contentWindow
      if (target === null || target === undefined || event.source !== target) return
      if (event.data?.type !== 'nentang:ready' && event.data?.type !== 'nentang:renew') return
      const issued = await api('POST', `/api/v1/tenants/${tenant}/plugins/${mount}/page-token`)
      // The frame's origin is opaque ('null'), which postMessage cannot name: '*', to that one window.
      target.postMessage({ type: 'nentang:session', token: issued.token, user: issued.user, expiresAt: issued.expiresAt, locale: currentLanguage() }, '*')
    }
    window.addEventListener('message', answer)
    return () => window.removeEventListener('message', answer)
  }, [tenant, mount])
  return html`<iframe ref=${frame} class="plugin-page" title=${t('service.frame', { mount })} src=${src}
    sandbox="allow-scripts allow-forms allow-downloads allow-popups" referrerpolicy="no-referrer"></iframe>`
}
