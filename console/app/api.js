// The console talks to the platform only through its public HTTP API, as any other system would.
import { currentLanguage } from './i18n.js'

const TOKEN_KEY = 'nentang.token'

let token = sessionStorage.getItem(TOKEN_KEY)

export function signedIn () {
  return token !== null
}

export function forget () {
  token = null
  sessionStorage.removeItem(TOKEN_KEY)
}

/** An API error: the platform's code, message and the field it names. */
export class ApiError extends Error {
  constructor (status, error) {
    super(error?.message ?? `HTTP ${status}`)
    this.status = status
    this.code = error?.code ?? 'HTTP_' + status
    this.field = error?.field
    this.errors = error?.errors ?? []
    /** The particulars behind a message said in words (in English), for the detail line. */
    this.detail = error?.detail
  }
}

/** Calls the API with the session's token; a JSON body unless `raw` (a File, sent as-is with `type`). */
export async function api (method, path, body, options = {}) {
  // Errors come back in the console's language (their codes unchanged).
  const headers = { Accept: 'application/json', 'Accept-Language': currentLanguage() }
  if (token !== null) headers.Authorization = `Bearer ${token}`
  let payload
  if (options.raw !== undefined) {
    payload = options.raw
    headers['Content-Type'] = options.type ?? 'application/octet-stream'
  } else if (body !== undefined) {
    payload = JSON.stringify(body)
    headers['Content-Type'] = 'application/json'
  }
  const response = await fetch(path, { method, headers, body: payload })
  const text = await response.text()
  let parsed = null
  if (text !== '') {
    try {
      parsed = JSON.parse(text)
    } catch {
      parsed = { error: { message: text.slice(0, 300) } }
    }
  }
  if (response.status === 401 && token !== null && path !== '/api/v1/auth/token') {
    forget()
    window.dispatchEvent(new Event('nentang:signed-out'))
  }
  if (!response.ok) throw new ApiError(response.status, parsed?.error)
  return parsed
}

/** Keeps a token the platform issued (at sign-in, or after a password change revoked the old one). */
export function adoptToken (issued) {
  token = issued
  sessionStorage.setItem(TOKEN_KEY, token)
}

export async function signIn (username, password) {
  const result = await api('POST', '/api/v1/auth/token', { username, password })
  adoptToken(result.token)
  return result
}

/** `@hn/permits` + `1.0.0` → the registry path of that version. */
export function versionPath (name, version) {
  const [scope, short] = name.slice(1).split('/')
  return `/api/v1/registry/packages/${scope}/${short}/versions/${encodeURIComponent(version)}`
}
