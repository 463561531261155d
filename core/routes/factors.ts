import type { Context } from 'koa'
import { appendAudit, recordAudit } from '../audit/audit-log.ts'
import type { RelyingParty } from '../auth/factors/passkeys.ts'
import { assertPasswordAllowed } from '../auth/password-policy.ts'
import { openSession } from '../auth/sign-in-flow.ts'
import { factorKinds } from '../tenancy/grants.ts'
import type { Step, Ticket } from '../auth/sign-in-tickets.ts'
import { transaction } from '../db/database.ts'
import { CoreError } from '../errors.ts'
import { defineRoute, type Route } from '../http/route.ts'
import type { Services } from '../services.ts'
import { loadPrincipal } from '../tenancy/grants.ts'
import { findUser, updateUser } from '../tenancy/users.ts'
import { session, signInAnswer } from './auth.ts'
import * as schema from './schemas.ts'

const ticket = { type: 'string', minLength: 1, maxLength: 128, description: 'The ticket the sign-in gave' }
const code = { type: 'string', minLength: 6, maxLength: 32, description: 'A TOTP code (6 digits) or a recovery code (xxxxx-xxxxx)' }
const credential = { type: 'object', description: 'The WebAuthn response (PublicKeyCredential as JSON, base64url fields)' }
const options = { type: 'object', description: 'WebAuthn options for navigator.credentials (base64url fields)' }
const withRecovery = {
  ...signInAnswer,
  properties: { ...signInAnswer.properties, recoveryCodes: { type: 'array', items: { type: 'string' }, description: 'Ten one-time recovery codes, shown this once: keep them apart from the device' } },
}

/** The WebAuthn relying party: the console's configured origin, else the origin the request came to. */
export function relyingParty (services: Services, ctx: Context): RelyingParty {
  const origin = services.config.consoleOrigin ?? `${ctx.protocol}://${ctx.host}`
  return { id: new URL(origin).hostname, origin }
}

/**
 * The second step of signing in (ASVS V6.3–V6.6): show a second factor, enrol one (TOTP or a passkey, with recovery
 * codes), replace an expired administrator password; and step-up, a factor shown again inside a session before a
 * dangerous action. Every step works on the ticket the first factor gave and nothing else.
 */
export function factorRoutes (services: Services): Route<any>[] {
  const { db, identity, throttle } = services

  async function ticketFor (value: string, steps: readonly Step[]): Promise<Ticket> {
    const found = await identity.tickets.find(value, steps)
    if (found === undefined) throw CoreError.ticketEnded('the sign-in step has ended (used, expired, or too many wrong answers); sign in again', { field: 'ticket' })
    return found
  }

  async function wrong (value: string, held: Ticket, requestId: string): Promise<never> {
    await identity.tickets.fail(value)
    const user = (await loadPrincipal(db, held.userId))?.principal
    await recordAudit(db, { actor: user?.username ?? null, action: 'auth.factor-failed', tenant: user?.home.code ?? null, details: { method: held.method }, requestId })
    throw CoreError.wrongFactor('the code or key does not match, or the code was used already', { field: 'code' })
  }

  async function finish (ctx: Context, value: string, held: Ticket, requestId: string, extra: Record<string, unknown> = {}) {
    if (!await identity.tickets.use(value)) throw CoreError.ticketEnded('the sign-in step was used already; sign in again', { field: 'ticket' })
    const first = { userId: held.userId, method: held.method, address: ctx.ip, agent: ctx.get('user-agent'), requestId, external: held.external }
    const answer = await openSession(services, first, true)
    return { status: 200, body: { ...answer, ...extra } }
  }

  /** A TOTP code, else a recovery code, of the user: true when it matched (and is now used). */
  async function codeHolds (userId: number, given: string): Promise<boolean> {
    if (/^\d{6}$/.test(given)) return identity.totp.check(userId, given)
    return identity.recoveryCodes.use(userId, given)
  }

  const factor = defineRoute<{ ticket: string, code?: string, credential?: any }>({
    method: 'POST',
    path: '/api/v1/auth/factor',
    operationId: 'signInFactor',
    summary: 'Sign in, second step: a TOTP code, a recovery code, or a passkey\'s assertion (after POST /auth/factor/passkey-options)',
    tag: 'auth',
    auth: 'public',
    body: { type: 'object', additionalProperties: false, required: ['ticket'], properties: { ticket, code, credential } },
    responses: { 200: { description: 'Signed in', schema: signInAnswer } },
    errors: [CoreError.ticketEnded, CoreError.wrongFactor, CoreError.missingField],
    async handle ({ ctx, body, requestId }) {
      const held = await ticketFor(body.ticket, ['factor'])
      if (held.method === 'step-up') throw CoreError.ticketEnded('a step-up ticket does not sign anyone in', { field: 'ticket' })
      let holds: boolean
      if (body.credential !== undefined) {
        if (held.challenge === null) throw CoreError.missingField('ask for passkey options first (POST /api/v1/auth/factor/passkey-options)', { field: 'credential' })
        holds = await identity.passkeys.authenticate(relyingParty(services, ctx), held.userId, held.challenge, body.credential)
      } else if (body.code !== undefined) {
        holds = await codeHolds(held.userId, body.code)
      } else {
        throw CoreError.missingField('give code or credential', { field: 'code' })
      }
      if (!holds) return wrong(body.ticket, held, requestId)
      return finish(ctx, body.ticket, held, requestId)
    },
  })

  const factorOptions = defineRoute<{ ticket: string }>({
    method: 'POST',
    path: '/api/v1/auth/factor/passkey-options',
    operationId: 'signInPasskeyOptions',
    summary: 'Sign in, second step with a passkey: the WebAuthn challenge for navigator.credentials.get',
    tag: 'auth',
    auth: 'public',
    body: { type: 'object', additionalProperties: false, required: ['ticket'], properties: { ticket } },
    responses: { 200: { description: 'The options', schema: options } },
    errors: [CoreError.ticketEnded],
    async handle ({ ctx, body }) {
      const held = await ticketFor(body.ticket, ['factor'])
      const given = await identity.passkeys.authenticationOptions(relyingParty(services, ctx), held.userId)
      await identity.tickets.setChallenge(body.ticket, given.challenge)
      return { status: 200, body: given }
    },
  })

  const enrolTotp = defineRoute<{ ticket: string }>({
    method: 'POST',
    path: '/api/v1/auth/enrol/totp',
    operationId: 'enrolTotp',
    summary: 'Enrol an authenticator app: its secret and otpauth:// address (confirm with a code it shows)',
    tag: 'auth',
    auth: 'public',
    body: { type: 'object', additionalProperties: false, required: ['ticket'], properties: { ticket } },
    responses: { 200: { description: 'The secret', schema: { type: 'object', properties: { secret: { type: 'string', description: 'base32' }, uri: { type: 'string' } } } } },
    errors: [CoreError.ticketEnded],
    async handle ({ body }) {
      const held = await ticketFor(body.ticket, ['enrol'])
      const user = (await loadPrincipal(db, held.userId))?.principal
      const enrolled = await identity.totp.enrol(held.userId, user?.username ?? String(held.userId))
      return { status: 200, body: { secret: enrolled.secret, uri: enrolled.uri } }
    },
  })

  const confirmTotp = defineRoute<{ ticket: string, code: string }>({
    method: 'POST',
    path: '/api/v1/auth/enrol/totp/confirm',
    operationId: 'confirmTotp',
    summary: 'Confirm the authenticator app with a code it shows: the session begins, with ten recovery codes shown once',
    tag: 'auth',
    auth: 'public',
    body: { type: 'object', additionalProperties: false, required: ['ticket', 'code'], properties: { ticket, code } },
    responses: { 200: { description: 'Enrolled and signed in', schema: withRecovery } },
    errors: [CoreError.ticketEnded, CoreError.wrongFactor],
    async handle ({ ctx, body, requestId }) {
      const held = await ticketFor(body.ticket, ['enrol'])
      if (!await identity.totp.check(held.userId, body.code, true)) return wrong(body.ticket, held, requestId)
      return enrolled(ctx, body.ticket, held, requestId, 'totp')
    },
  })

  async function enrolled (ctx: Context, value: string, held: Ticket, requestId: string, kind: string) {
    const recoveryCodes = await identity.recoveryCodes.replace(held.userId)
    const user = (await loadPrincipal(db, held.userId))?.principal
    await recordAudit(db, { actor: user?.username ?? null, action: 'auth.factor-enrolled', tenant: user?.home.code ?? null, target: user?.username ?? null, details: { kind }, requestId })
    return finish(ctx, value, held, requestId, { recoveryCodes })
  }

  const passkeyOptions = defineRoute<{ ticket: string }>({
    method: 'POST',
    path: '/api/v1/auth/enrol/passkey-options',
    operationId: 'enrolPasskeyOptions',
    summary: 'Enrol a passkey or security key: the WebAuthn options for navigator.credentials.create',
    tag: 'auth',
    auth: 'public',
    body: { type: 'object', additionalProperties: false, required: ['ticket'], properties: { ticket } },
    responses: { 200: { description: 'The options', schema: options } },
    errors: [CoreError.ticketEnded],
    async handle ({ ctx, body }) {
      const held = await ticketFor(body.ticket, ['enrol'])
      const user = (await loadPrincipal(db, held.userId))?.principal
      if (user === undefined) throw CoreError.ticketEnded('the user no longer exists', { field: 'ticket' })
      const person = { id: user.id, username: user.username, displayName: user.displayName }
      const given = await identity.passkeys.registrationOptions(relyingParty(services, ctx), person)
      await identity.tickets.setChallenge(body.ticket, given.challenge)
      return { status: 200, body: given }
    },
  })

  const enrolPasskey = defineRoute<{ ticket: string, credential: any, label?: string }>({
    method: 'POST',
    path: '/api/v1/auth/enrol/passkey',
    operationId: 'enrolPasskey',
    summary: 'Keep the passkey the browser created: the session begins, with ten recovery codes shown once',
    tag: 'auth',
    auth: 'public',
    body: { type: 'object', additionalProperties: false, required: ['ticket', 'credential'], properties: { ticket, credential, label: { type: 'string', minLength: 1, maxLength: 100 } } },
    responses: { 200: { description: 'Enrolled and signed in', schema: withRecovery } },
    errors: [CoreError.ticketEnded, CoreError.wrongFactor, CoreError.missingField],
    async handle ({ ctx, body, requestId }) {
      const held = await ticketFor(body.ticket, ['enrol'])
      if (held.challenge === null) throw CoreError.missingField('ask for passkey options first (POST /api/v1/auth/enrol/passkey-options)', { field: 'credential' })
      if (!await identity.passkeys.register(relyingParty(services, ctx), held.userId, held.challenge, body.credential, body.label ?? 'Passkey')) return wrong(body.ticket, held, requestId)
      return enrolled(ctx, body.ticket, held, requestId, 'passkey')
    },
  })

  const newPassword = defineRoute<{ ticket: string, newPassword: string }>({
    method: 'POST',
    path: '/api/v1/auth/new-password',
    operationId: 'replaceExpiredPassword',
    summary: "Replace an administrator's expired password during sign-in; the answer is the next step (the second factor)",
    tag: 'auth',
    auth: 'public',
    body: { type: 'object', additionalProperties: false, required: ['ticket', 'newPassword'], properties: { ticket, newPassword: schema.password } },
    responses: { 200: { description: 'Changed: the next step', schema: signInAnswer } },
    errors: [CoreError.ticketEnded, CoreError.passwordRejected],
    async handle ({ body, requestId }) {
      const held = await ticketFor(body.ticket, ['password'])
      const principal = (await loadPrincipal(db, held.userId))?.principal
      const user = principal === undefined ? undefined : await findUser(db, principal.username)
      if (principal === undefined || user === undefined) throw CoreError.ticketEnded('the user no longer exists', { field: 'ticket' })
      await assertPasswordAllowed(db, { username: user.username, password: body.newPassword, userId: user.id }, services.config.passwordHistory, 'newPassword')
      await transaction(db, async (trx) => {
        await updateUser(trx, services.changes, user, { password: body.newPassword })
        await appendAudit(trx, { actor: user.username, action: 'user.password-change', tenant: user.tenant, target: user.username, details: { expired: true }, requestId })
      })
      const factors = await factorKinds(services.db, held.userId)
      const next: Step = factors.length > 0 ? 'factor' : 'enrol'
      await identity.tickets.advance(body.ticket, next)
      return { status: 200, body: { next, ticket: body.ticket, factors } }
    },
  })

  const stepUp = defineRoute<{ code?: string, ticket?: string, credential?: any }>({
    method: 'POST',
    path: '/api/v1/auth/step-up',
    operationId: 'stepUp',
    summary: 'Show your second factor again before a dangerous action: a bearer token that carries it for 5 minutes',
    tag: 'auth',
    auth: 'user',
    body: { type: 'object', additionalProperties: false, properties: { code, ticket, credential } },
    responses: { 200: { description: 'Confirmed', schema: { type: 'object', properties: { token: session.properties.token, expiresAt: session.properties.expiresAt } } } },
    errors: [CoreError.wrongFactor, CoreError.tooManyAttempts, CoreError.missingField, CoreError.ticketEnded],
    async handle ({ ctx, body, principal, requestId }) {
      if (principal.session === undefined) throw CoreError.unauthenticated('this token has no session: sign in again')
      const key = `step-up:${principal.username}`
      const wait = throttle.begin(key, ctx.ip)
      if (wait > 0) throw CoreError.tooManyAttempts(`too many wrong codes; try again in ${Math.ceil(wait / 1000)} s`, { headers: { 'Retry-After': String(Math.ceil(wait / 1000)) } })
      let holds = false
      try {
        if (body.credential !== undefined) {
          const held = body.ticket === undefined ? undefined : await identity.tickets.find(body.ticket, ['factor'])
          if (held === undefined || held.userId !== principal.id || held.challenge === null || !await identity.tickets.use(body.ticket!)) {
            throw CoreError.ticketEnded('ask for passkey options first (POST /api/v1/auth/step-up/passkey-options)', { field: 'ticket' })
          }
          holds = await identity.passkeys.authenticate(relyingParty(services, ctx), principal.id, held.challenge, body.credential)
        } else if (body.code !== undefined) {
          holds = await codeHolds(principal.id, body.code)
        } else {
          throw CoreError.missingField('give code, or ticket and credential', { field: 'code' })
        }
      } finally {
        throttle.end(key, ctx.ip, holds)
      }
      if (!holds) {
        await recordAudit(db, { actor: principal.username, action: 'auth.step-up-failed', tenant: principal.home.code, requestId })
        throw CoreError.wrongFactor('the code or key does not match, or the code was used already', { field: 'code' })
      }
      const state = await services.principals.get(principal.id)
      const issued = await identity.sessions.stepUp(principal.id, state?.tokenVersion ?? -1, principal.session.id)
      await recordAudit(db, { actor: principal.username, action: 'auth.step-up', tenant: principal.home.code, requestId })
      return { status: 200, body: issued }
    },
  })

  const stepUpOptions = defineRoute({
    method: 'POST',
    path: '/api/v1/auth/step-up/passkey-options',
    operationId: 'stepUpPasskeyOptions',
    summary: 'Step-up with a passkey: a ticket and the WebAuthn options for navigator.credentials.get (send {})',
    tag: 'auth',
    auth: 'user',
    body: { type: 'object', additionalProperties: false, properties: {} },
    responses: { 200: { description: 'The ticket and options', schema: { type: 'object', properties: { ticket: { type: 'string' }, options } } } },
    errors: [],
    async handle ({ ctx, principal }) {
      const issued = await identity.tickets.issue(principal.id, 'step-up', 'factor', ctx.ip)
      const given = await identity.passkeys.authenticationOptions(relyingParty(services, ctx), principal.id)
      await identity.tickets.setChallenge(issued.ticket, given.challenge)
      return { status: 200, body: { ticket: issued.ticket, options: given } }
    },
  })

  return [factor, factorOptions, enrolTotp, confirmTotp, passkeyOptions, enrolPasskey, newPassword, stepUp, stepUpOptions]
}
