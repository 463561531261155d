import { adoptToken, api } from './api.js'
import { has, t } from './i18n.js'
import { AccountSecurity } from './account-security.js'
import { ActionForm, Field, html, Loading, Section, useLoad } from './ui.js'

/** A service's name for people: the first-party ones by name, any other by its mount. */
const serviceTitle = (service) => has(`service.${service.mount}`) ? t(`service.${service.mount}`) : service.mount

export function HomePage ({ me, can }) {
  const admin = can.adminAt.length > 0 || can.platformAdmin || can.publishAt.length > 0
  const services = useLoad(() => api('GET', `/api/v1/tenants/${me.user.tenant}/services`), [me.user.tenant])
  // What a citizen came for first: the unit's services, each with what it is for and one large way in.
  return html`<div class="page">
    <h1>${t('home.hello', { name: me.user.displayName })}</h1>
    <p class="lead">${t('home.home', { tenant: me.user.tenantName ?? me.user.tenant })}</p>
    <${Section} title=${t('home.services')} id="services-title">
      <${Loading} state=${services}>${(data) => data.items.length === 0
        ? html`<p class="muted">${t('home.noServices')}</p>`
        : html`<ul class="service-cards">${data.items.map((service) => html`<li class="service-card">
            <h3>${serviceTitle(service)}</h3>
            ${service.description ? html`<p>${service.description}</p>` : null}
            ${service.pages
              ? html`<a class="button big" href=${`#/services/${me.user.tenant}/${service.mount}`} aria-label=${`${t('plugins.openPage')} ${service.mount}`}>${t('plugins.openPage')}</a>`
              : html`<p class="muted">${t('home.apiOnly')}</p>`}
          </li>`)}</ul>`}<//>
    <//>
    <${Section} title=${t('home.grants')} id="grants-title">
      ${me.grants.length === 0
        ? html`<p class="muted">${t('common.none')}</p>`
        : html`<ul>${me.grants.map((g) => html`<li><strong>${g.role}</strong> @ ${can.adminAt.includes(g.tenant) ? html`<a href=${`#/units/${g.tenant}`}>${g.tenant}</a>` : g.tenant}${g.includeDescendants ? ` (${t('home.includeDescendants')})` : ''}</li>`)}</ul>`}
    <//>
    ${admin ? null : html`<p class="muted" data-testid="no-admin">${t('home.noAdmin')}</p>`}
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
    <${AccountSecurity} me=${me} />
  </div>`
}
