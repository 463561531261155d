// The nentang web console: a single page over the platform's HTTP API. Views live in the URL
// fragment (#/units/hn), so reloading or sharing a link opens the same view.
import { render } from 'preact'
import { useEffect, useState } from 'preact/hooks'
import { api, keptWork, restoreWork, setStepUpPrompt, signedIn, signOut as endSession } from './api.js'
import { currentLanguage, setLanguage, t } from './i18n.js'
import { AuditPage } from './page-audit.js'
import { ExchangePage } from './page-exchange.js'
import { HealthPage } from './page-health.js'
import { HomePage } from './page-home.js'
import { RegistryPage } from './page-registry.js'
import { ReviewPage } from './page-review.js'
import { ServicePage } from './page-service.js'
import { SignInPage } from './page-sign-in.js'
import { StepUpDialog } from './step-up.js'
import { UnitPage } from './page-unit.js'
import { UnitsPage } from './page-units.js'
import { html, Loading, useLoad } from './ui.js'

/** What the signed-in user may do, from its grants: the console shows nothing it would refuse. */
export function abilities (me) {
  const roles = (role) => me.grants.filter((g) => g.role === role)
  const adminAt = roles('tenant-admin').map((g) => g.tenant)
  return {
    platformAdmin: roles('platform-admin').length > 0,
    adminAt,
    publishAt: [...new Set([...adminAt, ...roles('developer').map((g) => g.tenant)])],
  }
}

/** An administrator's password runs out within a week: the console says so on every page. */
const expiresSoon = (me) => me.security?.passwordExpiresAt != null && Date.parse(me.security.passwordExpiresAt) - Date.now() < 7 * 24 * 3600_000

function useHash () {
  const [hash, setHash] = useState(location.hash)
  useEffect(() => {
    const changed = () => {
      setHash(location.hash)
      document.getElementById('main')?.focus()
    }
    window.addEventListener('hashchange', changed)
    return () => window.removeEventListener('hashchange', changed)
  }, [])
  return hash
}

function route (hash, me, can) {
  const parts = hash.replace(/^#\/?/, '').split('/').filter((p) => p !== '').map(decodeURIComponent)
  const [first, ...rest] = parts
  const admin = can.adminAt.length > 0
  if (first === undefined) return html`<${HomePage} me=${me} can=${can} />`
  if (first === 'units' && admin && rest.length === 0) return html`<${UnitsPage} roots=${can.adminAt} />`
  if (first === 'units' && admin) return html`<${UnitPage} code=${rest[0]} tab=${rest[1] ?? 'children'} can=${can} />`
  if (first === 'registry' && (can.publishAt.length > 0 || can.platformAdmin)) return html`<${RegistryPage} status=${rest[0] ?? (can.platformAdmin ? 'pending' : 'approved')} can=${can} />`
  if (first === 'review' && rest.length === 3 && (can.publishAt.length > 0 || can.platformAdmin)) return html`<${ReviewPage} name=${`${rest[0]}/${rest[1]}`} version=${rest[2]} can=${can} />`
  if (first === 'audit' && admin) return html`<${AuditPage} roots=${can.adminAt} can=${can} />`
  if (first === 'exchange' && admin) return html`<${ExchangePage} roots=${can.adminAt} tenant=${rest[0] ?? can.adminAt[0]} />`
  if (first === 'health' && can.platformAdmin) return html`<${HealthPage} />`
  if (first === 'services' && rest.length === 2) return html`<${ServicePage} tenant=${rest[0]} mount=${rest[1]} />`
  return html`<p class="card">${t('error.notFound')}</p>`
}

function Navigation ({ me, can, hash, onSignOut, onLanguage }) {
  const admin = can.adminAt.length > 0
  const links = [
    ['#/', 'nav.home', true],
    ['#/units', 'nav.units', admin],
    ['#/registry', 'nav.registry', can.publishAt.length > 0 || can.platformAdmin],
    ['#/audit', 'nav.audit', admin],
    ['#/exchange', 'nav.exchange', admin],
    ['#/health', 'nav.health', can.platformAdmin],
  ]
  const active = (href) => href === '#/' ? (hash === '' || hash === '#/') : hash.startsWith(href)
  return html`<header class="top">
    <a class="brand" href="#/"><img src="/console/logo.svg" alt="" width="28" height="28" /> <span>${t('app.title')}</span></a>
    <nav aria-label=${t('nav.menu')}>
      <ul>
        ${links.filter(([, , shown]) => shown).map(([href, key]) => html`<li><a href=${href} aria-current=${active(href) ? 'page' : undefined}>${t(key)}</a></li>`)}
        <li><a href="/api/docs">${t('nav.api')}</a></li>
      </ul>
    </nav>
    <div class="who">
      <span class="muted">${me.user.displayName} (${me.user.username})</span>
      <button type="button" class="link" onClick=${onLanguage} lang=${currentLanguage() === 'vi' ? 'en' : 'vi'}>${t('lang.switch')}</button>
      <button type="button" class="link" onClick=${onSignOut}>${t('nav.signOut')}</button>
    </div>
  </header>`
}

function Console ({ onSignOut, onLanguage, restored }) {
  const hash = useHash()
  const me = useLoad(() => api('GET', '/api/v1/me'), [])
  return html`<${Loading} state=${me}>${(data) => {
    const can = abilities(data)
    return html`<${Navigation} me=${data} can=${can} hash=${hash} onSignOut=${onSignOut} onLanguage=${onLanguage} />
      ${restored ? html`<p class="notice" role="status">${t('session.restored')}</p>` : null}
      ${expiresSoon(data) ? html`<p class="notice" role="status">${t('security.passwordExpires', { date: new Date(data.security.passwordExpiresAt).toLocaleDateString() })}</p>` : null}
      <main id="main" tabindex="-1">${route(hash, data, can)}</main>`
  }}<//>`
}

function App () {
  const [session, setSession] = useState(signedIn())
  // The platform ended the session (not the user): the sign-in page says so, and what was typed comes back after.
  const [ended, setEnded] = useState(false)
  const [restored, setRestored] = useState(false)
  const [, setLanguageState] = useState(currentLanguage())
  const [stepUp, setStepUp] = useState(null)
  useEffect(() => {
    setStepUpPrompt(() => new Promise((resolve) => setStepUp({ resolve })))
    return () => setStepUpPrompt(null)
  }, [])
  useEffect(() => {
    const out = () => {
      setEnded(true)
      setSession(false)
    }
    window.addEventListener('nentang:signed-out', out)
    return () => window.removeEventListener('nentang:signed-out', out)
  }, [])
  const toggleLanguage = () => {
    setLanguage(currentLanguage() === 'vi' ? 'en' : 'vi')
    setLanguageState(currentLanguage())
  }
  const signOut = () => {
    endSession()
    setEnded(false)
    setSession(false)
    location.hash = '#/'
  }
  const signedInAgain = () => {
    setSession(true)
    setEnded(false)
    restoreWork(() => setRestored(true))
  }
  if (!session) return html`<${SignInPage} onSignedIn=${signedInAgain} onLanguage=${toggleLanguage} ended=${ended} kept=${keptWork() !== null} />`
  return html`<${Console} key=${currentLanguage()} onSignOut=${signOut} onLanguage=${toggleLanguage} restored=${restored} />
    ${stepUp === null ? null : html`<${StepUpDialog} resolve=${(confirmed) => { setStepUp(null); stepUp.resolve(confirmed) }} />`}`
}

const root = document.getElementById('app')
root.textContent = ''
render(html`<${App} />`, root)
