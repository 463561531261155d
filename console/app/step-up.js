import { useEffect, useRef, useState } from 'preact/hooks'
import { adoptToken, api } from './api.js'
import { t } from './i18n.js'
import { passkeysAvailable, usePasskey } from './passkeys.js'
import { ActionForm, ErrorBox, Field, html } from './ui.js'

/**
 * Before a dangerous action (approving a package, granting an administrator role…), the platform asks for the second
 * factor again: this dialog asks for it, and `resolve(true)` once the new token is kept (the action is then sent
 * again), `resolve(false)` when the user cancels.
 */
export function StepUpDialog ({ resolve }) {
  const dialog = useRef(null)
  const [error, setError] = useState(undefined)
  useEffect(() => {
    dialog.current?.showModal()
    return () => dialog.current?.close()
  }, [])
  const confirmed = (issued) => {
    adoptToken(issued)
    resolve(true)
  }
  return html`<dialog ref=${dialog} class="card narrow" aria-labelledby="step-up-title" onCancel=${(event) => { event.preventDefault(); resolve(false) }}>
    <h2 id="step-up-title">${t('stepUp.title')}</h2>
    <p>${t('stepUp.lead')}</p>
    <${ActionForm} label=${t('stepUp.title')} submit=${t('stepUp.submit')} action=${async (data) => confirmed(await api('POST', '/api/v1/auth/step-up', { code: String(data.get('code')).trim() }))}>
      <${Field} label=${t('factor.code')} name="code" required autocomplete="one-time-code" inputmode="numeric" autofocus hint=${t('factor.codeHint')} />
    <//>
    ${passkeysAvailable()
      ? html`<div class="actions"><button type="button" class="danger" onClick=${async () => {
          setError(undefined)
          try {
            const { ticket, options } = await api('POST', '/api/v1/auth/step-up/passkey-options', {})
            confirmed(await api('POST', '/api/v1/auth/step-up', { ticket, credential: await usePasskey(options) }))
          } catch (failure) {
            setError(failure.code === undefined ? { message: t('factor.passkeyFailed'), detail: failure.name } : failure)
          }
        }}>${t('factor.usePasskey')}</button></div>`
      : null}
    <${ErrorBox} error=${error} />
    <div class="actions"><button type="button" class="link" onClick=${() => resolve(false)}>${t('common.cancel')}</button></div>
  </dialog>`
}
