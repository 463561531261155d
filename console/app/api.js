// The console talks to the platform only through its public HTTP API, as any other system would.
import { currentLanguage } from './i18n.js'

const TOKEN_KEY = 'nentang.token'
const REFRESH_KEY = 'nentang.refresh'
const KEPT_KEY = 'nentang.kept'

// Both kept per tab (sessionStorage): a tab is a session of its own, renewed by its own refresh token.
let token = sessionStorage.getItem(TOKEN_KEY)
let refreshToken = sessionStorage.getItem(REFRESH_KEY)
let renewing = null

export function signedIn () {
  return token !== null
}

export function forget () {
  token = null
  refreshToken = null
  sessionStorage.removeItem(TOKEN_KEY)
  sessionStorage.removeItem(REFRESH_KEY)
}

/** Ends the session on the platform too (its refresh token renews nothing after), then here. */
export function signOut () {
  if (refreshToken !== null) {
    fetch('/api/v1/auth/sign-out', { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ refreshToken }), keepalive: true }).catch(() => {})
  }
  forget()
}

/**
 * A new bearer token for the one that ran out, with the refresh token (used up: the next one is kept). One renewal at a
 * time: requests refused together wait for the same one.
 */
function renewSession () {
  if (refreshToken === null) return Promise.resolve(false)
  renewing ??= (async () => {
    try {
      const response = await fetch('/api/v1/auth/refresh', { method: 'POST', headers: { 'Content-Type': 'application/json', Accept: 'application/json' }, body: JSON.stringify({ refreshToken }) })
      if (!response.ok) return false
      adoptToken(await response.json())
      return true
    } catch {
      return false
    }
  })().finally(() => { renewing = null })
  return renewing
}

/**
 * What the user has typed in the page's forms (not passwords or files), kept in this tab when the session ends, so
 * that signing in again brings it back (`restoreWork`).
 */
function keepWork () {
  const fields = []
  for (const element of document.querySelectorAll('#main form input, #main form textarea, #main form select')) {
    if (element.name === '' || ['password', 'file', 'hidden', 'submit', 'button'].includes(element.type)) continue
    const form = element.form?.getAttribute('aria-label') ?? ''
    if (element.type === 'checkbox' || element.type === 'radio') {
      if (element.checked !== element.defaultChecked) fields.push({ form, name: element.name, option: element.value, checked: element.checked })
    } else if (element.value !== element.defaultValue || element.tagName === 'SELECT') {
      fields.push({ form, name: element.name, value: element.value })
    }
  }
  if (fields.length > 0) sessionStorage.setItem(KEPT_KEY, JSON.stringify({ hash: location.hash, fields }))
}

/** Whether work was kept when the session ended, and where. */
export function keptWork () {
  try {
    return JSON.parse(sessionStorage.getItem(KEPT_KEY) ?? 'null')
  } catch {
    return null
  }
}

/**
 * Puts kept work back into the forms as they appear (pages load before they show their forms), for up to ten seconds;
 * what it filled in is said to the page's reader by `onRestored`.
 */
export function restoreWork (onRestored) {
  const kept = keptWork()
  sessionStorage.removeItem(KEPT_KEY)
  if (kept === null) return
  if (location.hash !== kept.hash) location.hash = kept.hash
  let left = kept.fields
  const started = Date.now()
  const fill = () => {
    left = left.filter((field) => {
      const scope = field.form === '' ? '#main form' : `#main form[aria-label="${CSS.escape(field.form)}"]`
      const selector = `${scope} [name="${CSS.escape(field.name)}"]` + (field.option !== undefined ? `[value="${CSS.escape(field.option)}"]` : '')
      const element = document.querySelector(selector)
      if (element === null) return true
      if (field.option !== undefined) element.checked = field.checked
      else element.value = field.value
      element.dispatchEvent(new Event('input', { bubbles: true }))
      element.dispatchEvent(new Event('change', { bubbles: true }))
      return false
    })
    if (left.length === 0) onRestored?.()
    else if (Date.now() - started < 10_000) setTimeout(fill, 100)
  }
  setTimeout(fill, 0)
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

/**
 * Calls the API with the session's token; a JSON body unless `raw` (a File, sent as-is with `type`); with `text`, the
 * answer as text (a CSV).
 */
export async function api (method, path, body, options = {}) {
  // Errors come back in the console's language (their codes unchanged).
  const headers = { Accept: 'application/json', 'Accept-Language': currentLanguage() }
  const sentWith = token
  if (token !== null) headers.Authorization = `Bearer ${token}`
  let payload
  if (options.raw !== undefined) {
    payload = options.raw
    headers['Content-Type'] = options.type ?? 'application/octet-stream'
  } else if (body !== undefined) {
    payload = JSON.stringify(body)
    headers['Content-Type'] = 'application/json'
  }
  if (options.text === true) headers.Accept = 'text/csv, text/plain, application/json'
  const response = await fetch(path, { method, headers, body: payload })
  const text = await response.text()
  if (options.text === true && response.ok) return text
  let parsed = null
  if (text !== '') {
    try {
      parsed = JSON.parse(text)
    } catch {
      parsed = { error: { message: text.slice(0, 300) } }
    }
  }
  if (response.status === 401 && sentWith !== null && !path.startsWith('/api/v1/auth/')) {
    // The bearer token ran out (an hour): renewed quietly and the request sent again, once. If the session itself
    // has ended, what the user was typing is kept for after signing in again.
    if (options.retried !== true && (token !== sentWith || await renewSession())) return api(method, path, body, { ...options, retried: true })
    if (token === sentWith) {
      keepWork()
      forget()
      window.dispatchEvent(new Event('nentang:signed-out'))
    }
  }
  if (response.status === 403 && parsed?.error?.code === 'CORE_ERR_STEP_UP_REQUIRED' && stepUpPrompt !== null && options.steppedUp !== true) {
    // A dangerous action: the user shows the second factor again, then the request goes once more with the new token.
    if (await stepUpPrompt()) return api(method, path, body, { ...options, steppedUp: true })
  }
  if (!response.ok) throw new ApiError(response.status, parsed?.error)
  return parsed
}

/** Keeps the tokens the platform issued (at sign-in, a renewal, or after a password change ended the old ones). */
export function adoptToken (issued) {
  token = issued.token
  sessionStorage.setItem(TOKEN_KEY, token)
  if (typeof issued.refreshToken === 'string') {
    refreshToken = issued.refreshToken
    sessionStorage.setItem(REFRESH_KEY, refreshToken)
  }
}

/**
 * One step of signing in (the password, a second factor, an enrolment, a provider's ticket): keeps the tokens when the
 * answer has them; else the answer names the next step (`next`) and its ticket.
 */
export async function signInStep (path, body) {
  const answer = await api('POST', path, body)
  if (typeof answer?.token === 'string') adoptToken(answer)
  return answer
}

export function signIn (username, password) {
  return signInStep('/api/v1/auth/token', { username, password })
}

let stepUpPrompt = null
/** The dialog that asks for the second factor again before a dangerous action (set by the console). */
export function setStepUpPrompt (prompt) {
  stepUpPrompt = prompt
}

/** `@hn/permits` + `1.0.0` → the registry path of that version. */
export function versionPath (name, version) {
  const [scope, short] = name.slice(1).split('/')
  return `/api/v1/registry/packages/${scope}/${short}/versions/${encodeURIComponent(version)}`
}
