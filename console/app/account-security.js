import { api } from './api.js'
import { t } from './i18n.js'
import { formatDate, html, Loading, Section, useLoad } from './ui.js'

/** Your sessions (where and when each began, when last used) with a way to end any of them, and your second factors. */
export function AccountSecurity ({ me }) {
  const sessions = useLoad(() => api('GET', '/api/v1/me/sessions'), [])
  const end = async (path, body) => {
    await api('DELETE', path, body)
    sessions.reload()
  }
  const method = (value) => value === 'password' ? t('security.byPassword') : t('security.byProvider', { provider: value.replace(/^oidc:/, '') })
  return html`<${Section} title=${t('security.title')} id="security-title">
    <p>${me.security?.factors?.length > 0
      ? t('security.factors', { factors: me.security.factors.map((f) => t(`security.factor.${f}`)).join(', ') })
      : me.security?.factorRequired ? t('security.noFactorRequired') : t('security.noFactor')}</p>
    <h3>${t('security.sessions')}</h3>
    <${Loading} state=${sessions}>${(data) => html`<ul class="sessions">${data.sessions.map((session) => html`<li data-testid="session-row">
      <div>
        <strong>${method(session.method)}</strong> · ${t('security.began')} ${formatDate(session.createdAt)}
        <br /><small class="muted">${t('security.where')}: ${session.address ?? ''} ${session.agent ?? ''} · ${t('security.lastUsed')} ${formatDate(session.lastUsedAt)}</small>
      </div>
      ${session.current
        ? html`<strong>${t('security.current')}</strong>`
        : html`<button type="button" class="danger small" onClick=${() => end(`/api/v1/me/sessions/${session.id}`)} aria-label=${`${t('security.end')}: ${formatDate(session.createdAt)}`}>${t('security.end')}</button>`}
    </li>`)}</ul>
    ${data.sessions.length > 1 ? html`<div class="actions"><button type="button" class="danger small" onClick=${() => end('/api/v1/me/sessions', {})}>${t('security.endOthers')}</button></div>` : null}`}<//>
  <//>`
}
