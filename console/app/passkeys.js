// WebAuthn in the browser: the platform's options (JSON, base64url fields) to what navigator.credentials wants, and
// the credential it gives back to JSON again.

const fromBase64url = (text) => {
  const base64 = text.replace(/-/g, '+').replace(/_/g, '/').padEnd(Math.ceil(text.length / 4) * 4, '=')
  return Uint8Array.from(atob(base64), (c) => c.charCodeAt(0)).buffer
}
const toBase64url = (buffer) => btoa(String.fromCharCode(...new Uint8Array(buffer))).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '')
const credentialIds = (list) => (list ?? []).map((one) => ({ ...one, id: fromBase64url(one.id) }))

/** A credential as the platform reads it: its common fields, and those of its kind of response. */
const asJson = (credential, response) => ({
  id: credential.id,
  rawId: toBase64url(credential.rawId),
  type: credential.type,
  clientExtensionResults: credential.getClientExtensionResults(),
  authenticatorAttachment: credential.authenticatorAttachment ?? undefined,
  response: { clientDataJSON: toBase64url(credential.response.clientDataJSON), ...response },
})

/** Whether this browser can use passkeys at all. */
export const passkeysAvailable = () => typeof window.PublicKeyCredential === 'function'

/** Creates a passkey with the platform's registration options; the credential as JSON for the platform. */
export async function createPasskey (options) {
  const credential = await navigator.credentials.create({
    publicKey: {
      ...options,
      challenge: fromBase64url(options.challenge),
      user: { ...options.user, id: fromBase64url(options.user.id) },
      excludeCredentials: credentialIds(options.excludeCredentials),
    },
  })
  const response = credential.response
  return asJson(credential, {
    attestationObject: toBase64url(response.attestationObject),
    transports: typeof response.getTransports === 'function' ? response.getTransports() : [],
  })
}

/** Signs the platform's challenge with a passkey; the assertion as JSON for the platform. */
export async function usePasskey (options) {
  const credential = await navigator.credentials.get({
    publicKey: { ...options, challenge: fromBase64url(options.challenge), allowCredentials: credentialIds(options.allowCredentials) },
  })
  const response = credential.response
  return asJson(credential, {
    authenticatorData: toBase64url(response.authenticatorData),
    signature: toBase64url(response.signature),
    userHandle: response.userHandle === null ? undefined : toBase64url(response.userHandle),
  })
}
