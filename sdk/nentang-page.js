// The page side of the SDK: what a plugin's page (`ui/`) uses to act for the signed-in user.
// Served by the platform at /t/{tenant}/{mount}/ui/nentang-page.js; load it with
//   <script type="module"> import { page } from './nentang-page.js' </script>
// The console opens a plugin's page in a frame and hands it a short token good for this plugin's
// routes at this tenant only (5 minutes, renewed before it runs out). The page stays an opaque
// origin: it never sees the console's session, and its token is refused everywhere else.

const base = location.pathname.replace(/\/ui\/.*$/, '')
const framed = window.parent !== window
let session = framed ? null : { token: null, user: null, locale: navigator.language.startsWith('en') ? 'en' : 'vi', expiresAt: null }
let waiting = []
let renewing = null
let renewTimer

window.addEventListener('message', (event) => {
  if (event.source !== window.parent || event.data === null || typeof event.data !== 'object' || event.data.type !== 'nentang:session') return
  const { token, user, locale, expiresAt } = event.data
  session = { token, user, locale: locale ?? 'vi', expiresAt }
  for (const resolve of waiting) resolve(session)
  waiting = []
  // Ask for the next token a little before this one runs out.
  clearTimeout(renewTimer)
  const left = Date.parse(expiresAt) - Date.now() - 30_000
  if (Number.isFinite(left)) renewTimer = setTimeout(() => { void renew() }, Math.max(1000, left))
})

function current () {
  return session !== null ? Promise.resolve(session) : new Promise((resolve) => { waiting.push(resolve) })
}

function renew () {
  renewing ??= new Promise((resolve) => {
    waiting.push(resolve)
    window.parent.postMessage({ type: 'nentang:renew' }, '*')
  }).finally(() => { renewing = null })
  return renewing
}

if (framed) window.parent.postMessage({ type: 'nentang:ready' }, '*')

export const page = {
  /** The signed-in user (`username, displayName, tenant, roles`); null until `ready()`, or when signed out. */
  get user () { return session?.user ?? null },
  /** `vi` or `en`: the console's language. */
  get locale () { return session?.locale ?? 'vi' },
  /** Resolves once the console has handed the page its session. */
  ready () { return current().then(() => page) },
  /** `fetch` on this plugin's routes (`page.fetch('/permits')`) as the signed-in user; a 401 renews the token once. */
  async fetch (path, init = {}) {
    const call = (s) => fetch(base + path, { ...init, headers: { ...(init.headers ?? {}), ...(s.token === null ? {} : { authorization: `Bearer ${s.token}` }) } })
    const response = await call(await current())
    if (response.status !== 401 || !framed) return response
    return call(await renew())
  },
}
export default page
