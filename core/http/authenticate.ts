import type { Context, Next } from 'koa'
import { CoreError } from '../errors.ts'
import type { Services } from '../services.ts'
import type { Principal } from '../tenancy/access.ts'

const BEARER = /^Bearer ([A-Za-z0-9_\-.]+)$/

/**
 * The user an `Authorization: Bearer <jwt>` header names: undefined without the header
 * (anonymous), CORE_ERR_UNAUTHENTICATED for a bad, expired or revoked token. The user's status and
 * token version come from the principal cache, which every change to a user or its grants clears
 * on commit, so disabling a user or changing its password takes effect on its very next request.
 */
export async function principalFrom (
  { principals, tokens }: Pick<Services, 'principals' | 'tokens'>,
  header: string | undefined,
  /** `t/{tenant}/{mount}` on a plugin's routes: a plugin page's token is good there and nowhere else. */
  audience?: string
): Promise<Principal | undefined> {
  if (header === undefined || header === '') return undefined
  const match = BEARER.exec(header)
  if (match === null) throw CoreError.unauthenticated('the Authorization header must be "Bearer <token>"', { field: 'authorization' })
  const claims = await tokens.verify(match[1]!)
  if (claims === undefined) throw CoreError.unauthenticated('the token is invalid or expired; sign in again', { field: 'authorization' })
  if (claims.audience !== undefined && !covers(claims.audience, audience)) {
    const whose = claims.audience.endsWith('*') ? "another system's (client credentials)" : "a plugin page's"
    throw CoreError.unauthenticated(`this token is ${whose}, good for /${claims.audience.replace(/\*$/, '')}… only`, { field: 'authorization' })
  }
  const state = await principals.get(claims.userId)
  if (state === undefined || state.disabled || state.tokenVersion !== claims.tokenVersion) {
    throw CoreError.unauthenticated('the token was revoked; sign in again', { field: 'authorization' })
  }
  if (claims.session === undefined) return state.principal
  if (state.endedSessions.has(claims.session)) throw CoreError.unauthenticated('the session was ended; sign in again', { field: 'authorization' })
  return { ...state.principal, session: { id: claims.session, factorAt: claims.factorAt } }
}

/** Whether a token for `granted` is good where `audience` is asked: the same, or within a `…/*` audience. */
function covers (granted: string, audience: string | undefined): boolean {
  if (audience === undefined) return false
  return granted === audience || (granted.endsWith('/*') && audience.startsWith(granted.slice(0, -1)))
}

/** What a route that needs a signed-in caller answers one without a token, wherever it is served. */
export const signInFirst = (): Error => CoreError.unauthenticated('sign in first: send Authorization: Bearer <token>')

/** The core API's authentication: a request goes on anonymous or as the token's user (`ctx.state.principal`). */
export function authenticate (services: Services) {
  return async function authenticateMiddleware (ctx: Context, next: Next): Promise<void> {
    // Prometheus sends the metrics token, not a user's: /metrics checks it itself.
    // …and the client-token endpoint takes a system's own credentials (HTTP Basic, RFC 6749 §2.3.1).
    if (ctx.path === '/metrics' || ctx.path === '/api/v1/auth/client-token') return next()
    const principal = await principalFrom(services, ctx.req.headers.authorization)
    if (principal !== undefined) ctx.state.principal = principal
    await next()
  }
}
