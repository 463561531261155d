import { createHash, createHmac } from 'node:crypto'
import type { Endpoint } from './endpoints.ts'
import type { Answer } from './transport.ts'

/** The platform could not get credentials from the other system: its token endpoint or login refused, or failed. */
export class AuthFailed extends Error {}

/** Posts to the other system for a credential (a token or a session), by the endpoint's own connection rules. */
export type CredentialPost = (endpoint: Endpoint, url: URL, headers: Record<string, string>, body: Buffer, deadline: number) => Promise<Answer>

interface Held {
  value: string
  expiresAt: number
}

const RENEW_EARLY_MS = 30_000

/**
 * The headers that authenticate one call, per kind (docs/exchange.md): a static bearer token; an OAuth2 access token
 * (client credentials, RFC 6749 §4.4), kept until shortly before it expires; access key and HMAC-SHA256 signature of
 * method, target, timestamp and body hash; a session from a login call, kept until it expires. Mutual TLS is the
 * connection's (transport.ts). A token or session the other system refused (`forget`) is fetched again once.
 */
export function createOutboundAuth (post: CredentialPost) {
  const held = new Map<string, Held>()
  const fetching = new Map<string, Promise<Held>>()

  async function credential (endpoint: Endpoint, get: () => Promise<Held>): Promise<string> {
    const kept = held.get(endpoint.version)
    if (kept !== undefined && kept.expiresAt - RENEW_EARLY_MS > Date.now()) return kept.value
    // Calls that find no token wait for one request for it, not one each.
    let pending = fetching.get(endpoint.version)
    if (pending === undefined) {
      pending = get().finally(() => fetching.delete(endpoint.version))
      fetching.set(endpoint.version, pending)
    }
    const got = await pending
    if (held.size > 10_000) held.clear()
    held.set(endpoint.version, got)
    return got.value
  }

  async function oauth2Token (endpoint: Endpoint, deadline: number): Promise<Held> {
    const { tokenUrl, clientId, scope } = endpoint.auth.options
    const form = new URLSearchParams({ grant_type: 'client_credentials', ...(scope === undefined || scope === '' ? {} : { scope }) })
    const basic = Buffer.from(`${encodeURIComponent(clientId!)}:${encodeURIComponent(endpoint.auth.secrets.clientSecret ?? '')}`).toString('base64')
    const answer = await post(endpoint, new URL(tokenUrl!), { 'content-type': 'application/x-www-form-urlencoded', accept: 'application/json', authorization: `Basic ${basic}` }, Buffer.from(form.toString()), deadline)
    const body = jsonOf(answer.body)
    if (answer.status !== 200 || typeof body?.access_token !== 'string') throw new AuthFailed(`the token endpoint answered ${answer.status}${typeof body?.error === 'string' ? ` (${body.error.slice(0, 64)})` : ''}`)
    const seconds = typeof body.expires_in === 'number' ? body.expires_in : 300
    return { value: body.access_token, expiresAt: Date.now() + seconds * 1000 }
  }

  async function session (endpoint: Endpoint, deadline: number): Promise<Held> {
    const options = endpoint.auth.options
    const login = { [options.usernameField ?? 'username']: options.username, [options.passwordField ?? 'password']: endpoint.auth.secrets.password }
    const answer = await post(endpoint, new URL(endpoint.baseUrl + options.loginPath!), { 'content-type': 'application/json', accept: 'application/json' }, Buffer.from(JSON.stringify(login)), deadline)
    const body = jsonOf(answer.body)
    const value = body?.[options.sessionField ?? 'session']
    if (answer.status !== 200 || typeof value !== 'string' || value === '') {
      const said = typeof body?.message === 'string' ? ` (${body.message.slice(0, 100)})` : ''
      throw new AuthFailed(`the login answered ${answer.status} without a session${said}`)
    }
    const seconds = body?.[options.expiresField ?? 'expires_in']
    return { value, expiresAt: Date.now() + (typeof seconds === 'number' && seconds > 0 ? seconds : 600) * 1000 }
  }

  return {
    async headers (endpoint: Endpoint, method: string, target: string, body: Buffer, deadline: number): Promise<Record<string, string>> {
      const { options, secrets } = endpoint.auth
      switch (endpoint.auth.kind) {
        case 'bearer':
          return { authorization: `Bearer ${secrets.token ?? ''}` }
        case 'oauth2':
          return { authorization: `Bearer ${await credential(endpoint, () => oauth2Token(endpoint, deadline))}` }
        case 'session': {
          const value = await credential(endpoint, () => session(endpoint, deadline))
          return { [(options.sessionHeader ?? 'authorization').toLowerCase()]: `${options.sessionPrefix ?? 'Bearer '}${value}` }
        }
        case 'hmac': {
          const timestamp = String(Math.floor(Date.now() / 1000))
          const bodyHash = createHash('sha256').update(body).digest('hex')
          const signature = createHmac('sha256', secrets.secretKey ?? '').update([method, target, timestamp, bodyHash].join('\n')).digest('base64')
          return {
            [(options.accessKeyHeader ?? 'X-Access-Key').toLowerCase()]: options.accessKey!,
            ...(options.appName === undefined ? {} : { [(options.appNameHeader ?? 'X-App-Name').toLowerCase()]: options.appName }),
            [(options.timestampHeader ?? 'X-Timestamp').toLowerCase()]: timestamp,
            [(options.signatureHeader ?? 'X-Signature').toLowerCase()]: signature,
          }
        }
        default:
          return {}
      }
    },

    /** Whether a refused call may be sent again with a fresh credential (a token or session that had lapsed). */
    renewable: (endpoint: Endpoint): boolean => endpoint.auth.kind === 'oauth2' || endpoint.auth.kind === 'session',

    forget (endpoint: Endpoint): void {
      held.delete(endpoint.version)
    },
  }
}

function jsonOf (body: Buffer): Record<string, unknown> | undefined {
  try {
    const value: unknown = JSON.parse(body.toString('utf8'))
    return value !== null && typeof value === 'object' && !Array.isArray(value) ? value as Record<string, unknown> : undefined
  } catch {
    return undefined
  }
}
