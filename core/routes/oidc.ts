import type { Context } from 'koa'
import { recordAudit } from '../audit/audit-log.ts'
import { enabledProviders, findProvider, type IdentityProvider } from '../auth/oidc/identity-providers.ts'
import { linkPerson } from '../auth/oidc/link-person.ts'
import { OidcFailure } from '../auth/oidc/oidc-sign-in.ts'
import { afterFirstFactor } from '../auth/sign-in-flow.ts'
import { toBoolean } from '../db/database.ts'
import { readBody } from '../http/body.ts'
import { CoreError } from '../errors.ts'
import { defineRoute, type Route } from '../http/route.ts'
import type { Services } from '../services.ts'
import { signInAnswer } from './auth.ts'

const providerParam = { type: 'string', pattern: '^[a-z0-9][a-z0-9-]{1,63}$' }

/** Where a provider sends the browser back: the console's configured origin, else the origin the request came to. */
export function redirectUriOf (services: Services, ctx: Context, code: string): string {
  return `${services.config.consoleOrigin ?? `${ctx.protocol}://${ctx.host}`}/api/v1/auth/oidc/${code}/callback`
}

/**
 * Signing in through an identity provider (OpenID Connect): the sign-in page lists the providers; `start` sends the
 * browser to one; `callback` checks its answer, links the person by identity number and sends the browser back to the
 * console with a one-time ticket in the fragment (never a token in a URL); `continue` turns the ticket into a session,
 * or the next step (an administrator's second factor).
 */
export function oidcRoutes (services: Services): Route<any>[] {
  const { db, identity } = services

  async function enabled (code: string): Promise<IdentityProvider> {
    const provider = await findProvider(db, code)
    if (provider === undefined || !provider.enabled) throw CoreError.notFound(`no identity provider '${code}'`)
    return provider
  }

  const list = defineRoute({
    method: 'GET',
    path: '/api/v1/auth/providers',
    operationId: 'listSignInProviders',
    summary: 'The identity providers a person may sign in with ("Sign in with …")',
    tag: 'auth',
    auth: 'public',
    responses: { 200: { description: 'National first, then by unit', schema: { type: 'object', properties: { providers: { type: 'array', items: { type: 'object', properties: { code: { type: 'string' }, name: { type: 'string' }, tenant: { type: 'string' }, start: { type: 'string' } } } } } } } },
    errors: [],
    async handle () {
      const providers = await enabledProviders(db)
      return { status: 200, body: { providers: providers.map((p) => ({ code: p.code, name: p.name, tenant: p.tenant.code, start: `/api/v1/auth/oidc/${p.code}/start` })) } }
    },
  })

  const start = defineRoute({
    method: 'GET',
    path: '/api/v1/auth/oidc/:provider/start',
    operationId: 'startProviderSignIn',
    summary: "Go to the identity provider's sign-in (302), with a fresh state, nonce and PKCE challenge",
    tag: 'auth',
    auth: 'public',
    params: { provider: providerParam },
    responses: { 302: { description: "To the provider's authorization endpoint" } },
    errors: [CoreError.notFound, CoreError.identityProviderFailed],
    async handle ({ ctx, params, requestId }) {
      const provider = await enabled(params.provider!)
      let url: URL
      try {
        url = await identity.oidc.begin(provider, redirectUriOf(services, ctx, provider.code))
      } catch (error) {
        const reason = error instanceof OidcFailure ? error.message : `the provider cannot be reached: ${(error as Error).message.slice(0, 200)}`
        await recordAudit(db, { actor: null, action: 'auth.oidc-failed', tenant: provider.tenant.code, target: provider.code, details: { reason, address: ctx.ip }, requestId })
        throw CoreError.identityProviderFailed(`${provider.name} cannot be reached now; try again later`)
      }
      return { status: 302, headers: { Location: url.href, 'Cache-Control': 'no-store' } }
    },
  })

  const callback = defineRoute({
    method: 'GET',
    path: '/api/v1/auth/oidc/:provider/callback',
    operationId: 'providerSignInCallback',
    summary: 'Where the provider sends the browser back: checked, linked, then 302 to the console with a one-time ticket',
    tag: 'auth',
    auth: 'public',
    params: { provider: providerParam },
    responses: { 302: { description: 'To the console: #/continue?ticket=… when it held, #/sign-in?failed=… when not' } },
    errors: [CoreError.notFound],
    async handle ({ ctx, params, requestId }) {
      const provider = await enabled(params.provider!)
      try {
        const claims = await identity.oidc.complete(provider, redirectUriOf(services, ctx, provider.code), new URLSearchParams(ctx.querystring))
        const person = await linkPerson({ db, changes: services.changes, identityNumbers: identity.identityNumbers }, provider, claims, requestId)
        const [row] = await db.read('select disabled from users where id = ?', [person.userId])
        if (row === undefined || toBoolean(row.disabled)) throw new OidcFailure(`user ${person.username} is disabled`)
        const external = { subject: typeof claims.sub === 'string' ? claims.sub : null, session: typeof claims.sid === 'string' ? claims.sid : null }
        const { ticket } = await identity.tickets.issue(person.userId, `oidc:${provider.code}`, 'continue', ctx.ip, external)
        return { status: 302, headers: { Location: `/console/#/continue?ticket=${ticket}`, 'Cache-Control': 'no-store', 'Referrer-Policy': 'no-referrer' } }
      } catch (error) {
        if (!(error instanceof OidcFailure)) throw error
        await recordAudit(db, { actor: null, action: 'auth.oidc-failed', tenant: provider.tenant.code, target: provider.code, details: { reason: error.message, address: ctx.ip }, requestId })
        return { status: 302, headers: { Location: `/console/#/sign-in?failed=${encodeURIComponent(provider.code)}`, 'Cache-Control': 'no-store' } }
      }
    },
  })

  const proceed = defineRoute<{ ticket: string }>({
    method: 'POST',
    path: '/api/v1/auth/continue',
    operationId: 'continueSignIn',
    summary: 'Back from an identity provider: the one-time ticket becomes a session, or the next step (a second factor)',
    tag: 'auth',
    auth: 'public',
    body: { type: 'object', additionalProperties: false, required: ['ticket'], properties: { ticket: { type: 'string', minLength: 1, maxLength: 128 } } },
    responses: { 200: { description: 'Signed in, or the next step', schema: signInAnswer } },
    errors: [CoreError.ticketEnded, CoreError.accountInactive, CoreError.badCredentials],
    async handle ({ ctx, body, requestId }) {
      const held = await identity.tickets.find(body.ticket, ['continue'])
      if (held === undefined || !await identity.tickets.use(body.ticket)) throw CoreError.ticketEnded('this sign-in link was used or has expired; sign in again', { field: 'ticket' })
      const answer = await afterFirstFactor(services, { userId: held.userId, method: held.method, address: ctx.ip, agent: ctx.get('user-agent'), requestId, external: held.external })
      return { status: 200, body: answer }
    },
  })

  const backchannelLogout = defineRoute({
    method: 'POST',
    path: '/api/v1/auth/oidc/:provider/backchannel-logout',
    operationId: 'providerBackchannelLogout',
    summary: "The provider's back-channel logout (form-encoded logout_token): the sessions begun through it for that person end",
    tag: 'auth',
    auth: 'public',
    params: { provider: providerParam },
    responses: { 200: { description: 'Ended (also when nothing was open)' } },
    errors: [CoreError.notFound, CoreError.unsupportedMediaType, CoreError.bodyTooLarge, CoreError.identityProviderFailed],
    async handle ({ ctx, params, requestId }) {
      const provider = await enabled(params.provider!)
      const type = (ctx.get('content-type').split(';')[0] ?? '').trim().toLowerCase()
      if (type !== 'application/x-www-form-urlencoded') throw CoreError.unsupportedMediaType('a logout token comes as application/x-www-form-urlencoded', { field: '(body)' })
      const token = new URLSearchParams((await readBody(ctx.req, 16 * 1024)).toString('utf8')).get('logout_token') ?? ''
      let ended: number
      try {
        const external = await identity.oidc.logoutToken(provider, token)
        ended = await identity.sessions.endExternal(`oidc:${provider.code}`, external)
      } catch (error) {
        if (!(error instanceof OidcFailure)) throw error
        await recordAudit(db, { actor: null, action: 'auth.oidc-logout-refused', tenant: provider.tenant.code, target: provider.code, details: { reason: error.message, address: ctx.ip }, requestId })
        throw CoreError.identityProviderFailed('the logout token does not hold', { field: 'logout_token' })
      }
      await recordAudit(db, { actor: null, action: 'auth.oidc-logout', tenant: provider.tenant.code, target: provider.code, details: { ended }, requestId })
      return { status: 200, headers: { 'Cache-Control': 'no-store' } }
    },
  })

  return [list, start, callback, proceed, backchannelLogout]
}
