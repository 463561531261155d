import type { Context, Next } from 'koa'
import { CoreError } from '../error-codes.ts'
import type { Services } from '../services.ts'

/**
 * Reads `Authorization: Bearer <jwt>`. A request without it goes on anonymous (routes that need a
 * user); a request with a bad, expired or revoked token is refused here. The user's status and
 * token version come from the principal cache, which every change to a user or its grants clears
 * on commit, so disabling a user or changing its password takes effect on its very next request.
 */
export function authenticate ({ principals, tokens }: Services) {
  return async function authenticateMiddleware (ctx: Context, next: Next): Promise<void> {
    const header = ctx.get('authorization')
    if (header !== '') {
      const match = /^Bearer ([A-Za-z0-9_\-.]+)$/.exec(header)
      if (match === null) throw CoreError.unauthenticated('the Authorization header must be "Bearer <token>"', { field: 'authorization' })
      const claims = await tokens.verify(match[1]!)
      if (claims === undefined) throw CoreError.unauthenticated('the token is invalid or expired; sign in again', { field: 'authorization' })
      const state = await principals.get(claims.userId)
      if (state === undefined || state.disabled || state.tokenVersion !== claims.tokenVersion) {
        throw CoreError.unauthenticated('the token was revoked; sign in again', { field: 'authorization' })
      }
      ctx.state.principal = state.principal
    }
    await next()
  }
}
