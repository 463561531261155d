import { api } from './api.js'
import { t } from './i18n.js'
import { formatDate, html, Loading, Section, useLoad } from './ui.js'

/** Your sessions (where and when each began, when last used) with a way to end any of them, and your second factors. */
export function AccountSecurity ({ me }) {
  const sessions = useLoad(() => api('GET', '/api/v1/me/sessions'), [])
  const end = async (path) => {
    await api('DELETE', path)
    sessions.reload()
  }
  const method = (value) => value === 'password' ? t('security.byPassword') : t('security.byProvider', { provider: value.replace(/^oidc:/, '') })
  return html`<${Section} title=${t('security.title')} id="security-title">
    <p>${me.security?.factors?.length > 0
      ? t('security.factors', { factors: me.security.factors.map((f) => t(`security.factor.${f}`)).join(', ') })
      : me.security?.factorRequired ? t('security.noFactorRequired') : t('security.noFactor')}</p>
    <h3>${t('security.sessions')}</h3>
    <${Loading} state=${sessions}>${(data) => html`<table>
      <caption class="sr-only">${t('security.sessions')}</caption>
      <thead><tr><th scope="col">${t('security.began')}</th><th scope="col">${t('security.how')}</th><th scope="col">${t('security.where')}</th><th scope="col">${t('security.lastUsed')}</th><th scope="col"><span class="sr-only">${t('security.end')}</span></th></tr></thead>
      <tbody>${data.sessions.map((session) => html`<tr data-testid="session-row">
        <td>${formatDate(session.createdAt)}</td>
        <td>${method(session.method)}</td>
        <td>${session.address ?? ''} <small class="muted">${session.agent ?? ''}</small></td>
        <td>${formatDate(session.lastUsedAt)}</td>
        <td>${session.current
          ? html`<strong>${t('security.current')}</strong>`
          : html`<button type="button" class="danger small" onClick=${() => end(`/api/v1/me/sessions/${session.id}`)} aria-label=${`${t('security.end')} ${formatDate(session.createdAt)}`}>${t('security.end')}</button>`}</td>
      </tr>`)}</tbody>
    </table>
    ${data.sessions.length > 1 ? html`<div class="actions"><button type="button" class="danger small" onClick=${() => end('/api/v1/me/sessions')}>${t('security.endOthers')}</button></div>` : null}`}<//>
  <//>`
}
