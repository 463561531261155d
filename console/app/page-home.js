import { adoptToken, api } from './api.js'
import { t } from './i18n.js'
import { ActionForm, Field, html, Loading, Section, useLoad } from './ui.js'

export function HomePage ({ me, can }) {
  const admin = can.adminAt.length > 0 || can.platformAdmin || can.publishAt.length > 0
  const services = useLoad(() => api('GET', `/api/v1/tenants/${me.user.tenant}/services`), [me.user.tenant])
  return html`<div class="page">
    <h1>${t('home.hello', { name: me.user.displayName })}</h1>
    <p>${t('home.home', { tenant: me.user.tenant })}</p>
    <${Section} title=${t('home.grants')} id="grants-title">
      ${me.grants.length === 0
        ? html`<p class="muted">${t('common.none')}</p>`
        : html`<ul>${me.grants.map((g) => html`<li><strong>${g.role}</strong> @ ${can.adminAt.includes(g.tenant) ? html`<a href=${`#/units/${g.tenant}`}>${g.tenant}</a>` : g.tenant}${g.includeDescendants ? ` (${t('home.includeDescendants')})` : ''}</li>`)}</ul>`}
    <//>
    ${admin ? null : html`<p class="muted" data-testid="no-admin">${t('home.noAdmin')}</p>`}
    <${Section} title=${t('home.services')} id="services-title">
      <${Loading} state=${services}>${(data) => data.items.length === 0
        ? html`<p class="muted">${t('home.noServices')}</p>`
        : html`<ul class="results">${data.items.map((service) => html`<li>
            <strong>${service.mount}</strong>${service.description ? html` · ${service.description}` : null}
            ${service.pages ? html` <a href=${`#/services/${me.user.tenant}/${service.mount}`} aria-label=${`${t('plugins.openPage')} ${service.mount}`}>${t('plugins.openPage')}</a>` : null}
          </li>`)}</ul>`}<//>
    <//>
    <${Section} title=${t('home.changePassword')} id="password-title">
      <${ActionForm} label=${t('home.changePassword')} submit=${t('home.changePassword')} action=${async (data, form) => {
        // The platform revokes every older token of this user and hands back a new one.
        const issued = await api('POST', '/api/v1/me/password', { currentPassword: String(data.get('currentPassword')), newPassword: String(data.get('newPassword')) })
        adoptToken(issued)
        form.reset()
      }}>
        <${Field} label=${t('home.currentPassword')} name="currentPassword" type="password" required autocomplete="current-password" />
        <${Field} label=${t('home.newPassword')} name="newPassword" type="password" required minlength="10" autocomplete="new-password" />
      <//>
    <//>
  </div>`
}
