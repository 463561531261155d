import type { AddressInfo } from 'node:net'
import { createServer, type Server } from 'node:http'
import { decodeJwt, exportJWK, generateKeyPair, importJWK, SignJWT } from 'jose'
import Provider from 'oidc-provider'

/** A person the provider knows, by the login typed at its sign-in page. */
export interface Person {
  identity_number?: string
  name: string
  birthdate?: string
  unit?: string
}

export interface TestProvider {
  issuer: string
  clientId: string
  clientSecret: string
  /** When set, the token endpoint's ID token is re-signed with these claims changed (a forged or confused token). */
  tamper: Record<string, unknown> | undefined
  /** Starts answering, with the client's redirect URIs (known once the platform listens). */
  serve(redirectUris: string[], backchannelLogoutUri?: string): void
  close(): Promise<void>
}

/**
 * A real OpenID provider on loopback (`oidc-provider`, the certified Node implementation, with its development sign-in
 * pages: any login, any password): the client `nentang` with a secret, the people in `people`. `tamper` re-signs the
 * ID token with the provider's own key and some claims changed, as a confused or compromised provider would answer.
 */
export async function startTestProvider (t: { teardown(fn: () => unknown): void }, people: Record<string, Person>): Promise<TestProvider> {
  const { privateKey } = await generateKeyPair('RS256', { extractable: true })
  const jwk = { ...await exportJWK(privateKey), kid: 'test-key', alg: 'RS256', use: 'sig' }
  const server: Server = createServer()
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const issuer = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
  const clientSecret = 'a-client-secret-of-at-least-32-characters'
  const result: TestProvider = { issuer, clientId: 'nentang', clientSecret, tamper: undefined, serve, close: async () => {} }
  const signingKey = await importJWK(jwk, 'RS256')
  function serve (redirectUris: string[], backchannelLogoutUri?: string): void {
    const provider = new Provider(issuer, {
      clients: [{
        client_id: 'nentang',
        client_secret: clientSecret,
        redirect_uris: redirectUris,
        grant_types: ['authorization_code'],
        response_types: ['code'],
        token_endpoint_auth_method: 'client_secret_post',
        ...(backchannelLogoutUri === undefined ? {} : { backchannel_logout_uri: backchannelLogoutUri, backchannel_logout_session_required: true }),
      }],
      jwks: { keys: [jwk] },
      claims: { openid: ['sub'], profile: ['name', 'birthdate', 'identity_number', 'unit'] },
      cookies: { keys: ['test-cookie-key-1'] },
      features: { devInteractions: { enabled: true }, backchannelLogout: { enabled: true } },
      // Its back-channel calls reach the platform on loopback, which the provider's SSRF guard refuses by default.
      fetch: (url: string | URL | Request, options?: RequestInit) => {
        delete (options as { dispatcher?: unknown } | undefined)?.dispatcher
        return fetch(url, options)
      },
      async findAccount (_ctx, id) {
        const person = people[id]
        if (person === undefined) return undefined
        return { accountId: id, async claims () { return { sub: id, ...person } } }
      },
    })
    provider.use(async (ctx, next) => {
      await next()
      if (ctx.path !== '/token' || result.tamper === undefined || typeof (ctx.body as { id_token?: unknown })?.id_token !== 'string') return
      const body = ctx.body as { id_token: string }
      const claims = { ...decodeJwt(body.id_token), ...result.tamper }
      body.id_token = await new SignJWT(claims).setProtectedHeader({ alg: 'RS256', kid: 'test-key' }).sign(signingKey)
    })
    server.on('request', provider.callback())
  }
  result.close = () => new Promise<void>((resolve) => { server.closeAllConnections(); server.close(() => resolve()) })
  t.teardown(() => result.close())
  return result
}

/**
 * A browser's way through the provider without a browser: follows redirects with a cookie jar, signs in at the
 * development login page as `login`, consents, and stops at the first redirect to `stopAt`, returning that URL.
 * `onAuthorize` may change the authorization request (as an attacker in the middle would).
 */
export async function throughProvider (
  authorizeUrl: string, login: string, stopAt: string, onAuthorize: (url: URL) => URL = (u) => u, jar = new Map<string, string>()
): Promise<URL> {
  let url = onAuthorize(new URL(authorizeUrl))
  let method = 'GET'
  let form: URLSearchParams | undefined
  for (let hop = 0; hop < 20; hop++) {
    const response = await fetch(url, {
      method,
      redirect: 'manual',
      headers: { cookie: [...jar].map(([k, v]) => `${k}=${v}`).join('; '), ...(form === undefined ? {} : { 'content-type': 'application/x-www-form-urlencoded' }) },
      ...(form === undefined ? {} : { body: form.toString() }),
    })
    for (const cookie of response.headers.getSetCookie()) {
      const [pair] = cookie.split(';')
      const at = pair!.indexOf('=')
      jar.set(pair!.slice(0, at), pair!.slice(at + 1))
    }
    const location = response.headers.get('location')
    if (response.status >= 300 && response.status < 400 && location !== null) {
      const next = new URL(location, url)
      if (next.href.startsWith(stopAt)) return next
      url = next
      method = 'GET'
      form = undefined
      continue
    }
    const html = await response.text()
    const action = /<form[^>]*action="([^"]+)"/.exec(html)?.[1]
    if (action === undefined) throw new Error(`the provider answered ${response.status} without a form: ${html.slice(0, 300)}`)
    form = new URLSearchParams()
    for (const [, name, value] of html.matchAll(/<input[^>]*type="hidden"[^>]*name="([^"]+)"[^>]*value="([^"]*)"/g)) form.set(name!, value!)
    if (html.includes('name="login"')) {
      form.set('login', login)
      form.set('password', 'any')
    }
    url = new URL(action.replace(/&amp;/g, '&'), url)
    method = 'POST'
  }
  throw new Error('too many hops through the provider')
}

/** Signs out at the provider (its end-session page, confirmed) with the browser's cookies `jar`: the provider then
 * tells every client of that session through its back-channel logout URI. */
export async function signOutAtProvider (issuer: string, jar: Map<string, string>): Promise<void> {
  const cookie = () => [...jar].map(([k, v]) => `${k}=${v}`).join('; ')
  const page = await fetch(`${issuer}/session/end`, { headers: { cookie: cookie() } })
  const html = await page.text()
  const action = /<form[^>]*action="([^"]+)"/.exec(html)?.[1]
  const xsrf = /name="xsrf" value="([^"]+)"/.exec(html)?.[1]
  if (action === undefined || xsrf === undefined) throw new Error(`no end-session form: ${html.slice(0, 200)}`)
  const done = await fetch(new URL(action.replace(/&amp;/g, '&'), issuer), {
    method: 'POST', redirect: 'manual', headers: { cookie: cookie(), 'content-type': 'application/x-www-form-urlencoded' }, body: new URLSearchParams({ xsrf, logout: 'yes' }).toString(),
  })
  if (done.status >= 400) throw new Error(`the provider's end-session answered ${done.status}`)
}
