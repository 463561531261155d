import { useEffect, useState } from 'preact/hooks'
import { api, signIn, signInStep } from './api.js'
import { t } from './i18n.js'
import { createPasskey, passkeysAvailable, usePasskey } from './passkeys.js'
import { ActionForm, ErrorBox, Field, html } from './ui.js'

/** `#/continue?ticket=…` (back from an identity provider) or `#/sign-in?failed=vneid`: what the fragment says. */
function fromFragment () {
  const [path, query = ''] = location.hash.replace(/^#/, '').split('?')
  return { path, params: new URLSearchParams(query) }
}

/** The button that runs a passkey ceremony, with its error in place. */
function PasskeyButton ({ label, run }) {
  const [busy, setBusy] = useState(false)
  const [error, setError] = useState(undefined)
  if (!passkeysAvailable()) return null
  return html`<div class="actions">
    <button type="button" class="danger" disabled=${busy} onClick=${async () => {
      setBusy(true)
      setError(undefined)
      try {
        await run()
      } catch (failure) {
        setError(failure.code === undefined ? { message: t('factor.passkeyFailed'), detail: failure.name } : failure)
      } finally {
        setBusy(false)
      }
    }}>${label}</button>
    <${ErrorBox} error=${error} />
  </div>`
}

/** The second step: a code from the authenticator app, a recovery code, or a passkey. */
function FactorStep ({ ticket, factors, done }) {
  return html`<div>
    <h2>${t('factor.title')}</h2>
    <p>${t('factor.lead')}</p>
    <${ActionForm} label=${t('factor.title')} submit=${t('factor.submit')} action=${async (data) => done(await signInStep('/api/v1/auth/factor', { ticket, code: String(data.get('code')).trim() }))}>
      <${Field} label=${t('factor.code')} name="code" required autocomplete="one-time-code" inputmode="numeric" autofocus hint=${t('factor.codeHint')} />
    <//>
    ${factors.includes('passkey')
      ? html`<${PasskeyButton} label=${t('factor.usePasskey')} run=${async () => {
          const options = await api('POST', '/api/v1/auth/factor/passkey-options', { ticket })
          done(await signInStep('/api/v1/auth/factor', { ticket, credential: await usePasskey(options) }))
        }} />`
      : null}
  </div>`
}

/** The first sign-in of someone who must use a second factor: an authenticator app, or a passkey. */
function EnrolStep ({ ticket, done }) {
  const [totp, setTotp] = useState(null)
  const [error, setError] = useState(undefined)
  return html`<div>
    <h2>${t('enrol.title')}</h2>
    <p>${t('enrol.lead')}</p>
    <${PasskeyButton} label=${t('enrol.passkey')} run=${async () => {
      const options = await api('POST', '/api/v1/auth/enrol/passkey-options', { ticket })
      done(await signInStep('/api/v1/auth/enrol/passkey', { ticket, credential: await createPasskey(options), label: navigator.platform || 'Passkey' }))
    }} />
    ${totp === null
      ? html`<div class="actions"><button type="button" class="danger" onClick=${async () => {
          try {
            setTotp(await api('POST', '/api/v1/auth/enrol/totp', { ticket }))
          } catch (failure) {
            setError(failure)
          }
        }}>${t('enrol.app')}</button><${ErrorBox} error=${error} /></div>`
      : html`<div class="enrol-app">
          <p>${t('enrol.appLead')}</p>
          <p><a href=${totp.uri}>${t('enrol.openApp')}</a></p>
          <p>${t('enrol.secret')} <code data-testid="totp-secret">${totp.secret.match(/.{1,4}/g).join(' ')}</code></p>
          <${ActionForm} label=${t('enrol.confirm')} submit=${t('enrol.confirm')} action=${async (data) => done(await signInStep('/api/v1/auth/enrol/totp/confirm', { ticket, code: String(data.get('code')).trim() }))}>
            <${Field} label=${t('factor.code')} name="code" required autocomplete="one-time-code" inputmode="numeric" autofocus />
          <//>
        </div>`}
  </div>`
}

/** An administrator's password older than the rotation period: a new one before going on. */
function NewPasswordStep ({ ticket, done }) {
  return html`<div>
    <h2>${t('newPassword.title')}</h2>
    <p>${t('newPassword.lead')}</p>
    <${ActionForm} label=${t('newPassword.title')} submit=${t('newPassword.submit')} action=${async (data) => done(await signInStep('/api/v1/auth/new-password', { ticket, newPassword: String(data.get('newPassword')) }))}>
      <${Field} label=${t('home.newPassword')} name="newPassword" type="password" required minlength="10" autocomplete="new-password" autofocus />
    <//>
  </div>`
}

/** Recovery codes, shown once after enrolling. */
function RecoveryCodes ({ codes, onDone }) {
  return html`<div>
    <h2>${t('recovery.title')}</h2>
    <p>${t('recovery.lead')}</p>
    <ul class="recovery-codes" data-testid="recovery-codes">${codes.map((code) => html`<li><code>${code}</code></li>`)}</ul>
    <div class="actions"><button type="button" onClick=${onDone} autofocus>${t('recovery.kept')}</button></div>
  </div>`
}

/**
 * Signing in: a username and password, or an identity provider ("Sign in with VNeID"); then, for those who must, a
 * second factor (enrolled at the first sign-in, with recovery codes shown once), or a new password when it expired.
 */
export function SignInPage ({ onSignedIn, onLanguage, ended = false, kept = false }) {
  const [step, setStep] = useState(null)
  const [providers, setProviders] = useState([])
  const [error, setError] = useState(undefined)
  const fragment = fromFragment()
  const failed = fragment.path === '/sign-in' ? fragment.params.get('failed') : null

  const answered = (answer) => {
    if (typeof answer.token === 'string') {
      if (Array.isArray(answer.recoveryCodes)) setStep({ next: 'recovery', codes: answer.recoveryCodes })
      else {
        if (location.hash.startsWith('#/continue') || location.hash.startsWith('#/sign-in')) history.replaceState(null, '', '#/')
        onSignedIn()
      }
    } else {
      setStep(answer)
    }
  }

  useEffect(() => {
    api('GET', '/api/v1/auth/providers').then((data) => setProviders(data.providers), () => setProviders([]))
    if (fragment.path === '/continue' && fragment.params.get('ticket') !== null) {
      const ticket = fragment.params.get('ticket')
      // The ticket leaves the address bar at once (history, screenshots), then becomes the session.
      history.replaceState(null, '', '#/')
      signInStep('/api/v1/auth/continue', { ticket }).then(answered, setError)
    }
  }, [])

  const providerName = providers.find((p) => p.code === failed)?.name ?? failed
  return html`<main id="main" class="sign-in">
    <div class="card narrow">
      <img src="/console/logo.svg" alt="" width="48" height="48" />
      <h1>${t('app.title')}</h1>
      ${ended ? html`<p class="notice" role="alert">${t('session.ended')}${kept ? ` ${t('session.kept')}` : ''}</p>` : null}
      ${failed !== null ? html`<p class="notice" role="alert">${t('signIn.providerFailed', { provider: providerName })}</p>` : null}
      <${ErrorBox} error=${error} />
      ${step === null
        ? html`<${ActionForm} label=${t('signIn.title')} submit=${t('signIn.submit')} action=${async (data) => answered(await signIn(String(data.get('username')), String(data.get('password'))))}>
            <${Field} label=${t('signIn.username')} name="username" required autocomplete="username" autofocus />
            <${Field} label=${t('signIn.password')} name="password" type="password" required autocomplete="current-password" />
          <//>
          ${providers.length > 0
            ? html`<div class="providers" aria-label=${t('signIn.providers')} role="group">
                <p class="muted">${t('signIn.or')}</p>
                ${providers.map((p) => html`<a class="button big provider" href=${p.start}>${t('signIn.with', { provider: p.name })}</a>`)}
              </div>`
            : null}`
        : step.next === 'factor'
? html`<${FactorStep} ticket=${step.ticket} factors=${step.factors ?? []} done=${answered} />`
          : step.next === 'enrol'
? html`<${EnrolStep} ticket=${step.ticket} done=${answered} />`
            : step.next === 'password'
? html`<${NewPasswordStep} ticket=${step.ticket} done=${answered} />`
              : html`<${RecoveryCodes} codes=${step.codes} onDone=${onSignedIn} />`}
      <button type="button" class="link" onClick=${onLanguage}>${t('lang.switch')}</button>
    </div>
  </main>`
}
