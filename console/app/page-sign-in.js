import { signIn } from './api.js'
import { t } from './i18n.js'
import { ActionForm, Field, html } from './ui.js'

export function SignInPage ({ onSignedIn, onLanguage, ended = false, kept = false }) {
  return html`<main id="main" class="sign-in">
    <div class="card narrow">
      <img src="/console/logo.svg" alt="" width="48" height="48" />
      <h1>${t('app.title')}</h1>
      ${ended ? html`<p class="notice" role="alert">${t('session.ended')}${kept ? ` ${t('session.kept')}` : ''}</p>` : null}
      <${ActionForm} label=${t('signIn.title')} submit=${t('signIn.submit')} action=${async (data) => {
        await signIn(String(data.get('username')), String(data.get('password')))
        onSignedIn()
      }}>
        <${Field} label=${t('signIn.username')} name="username" required autocomplete="username" autofocus />
        <${Field} label=${t('signIn.password')} name="password" type="password" required autocomplete="current-password" />
      <//>
      <button type="button" class="link" onClick=${onLanguage}>${t('lang.switch')}</button>
    </div>
  </main>`
}
