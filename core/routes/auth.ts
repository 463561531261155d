import { recordAudit } from '../audit/audit-log.ts'
import { decoyHash, verifyPassword } from '../auth/passwords.ts'
import { toBoolean } from '../db/database.ts'
import { CoreError } from '../errors.ts'
import { defineRoute, type Route } from '../http/route.ts'
import type { Services } from '../services.ts'
import { afterFirstFactor } from '../auth/sign-in-flow.ts'
import * as schema from './schemas.ts'
import { createKeyedLimit } from '../keyed-limit.ts'

interface SignIn {
  username: string
  password: string
}

const refreshToken = { type: 'string', minLength: 1, maxLength: 128, description: 'The refresh token sign-in (or the last renewal) gave' }
export const session = {
  type: 'object',
  properties: {
    token: { type: 'string', description: 'The bearer token for API calls' },
    expiresAt: { type: 'string', format: 'date-time' },
    refreshToken: { type: 'string', description: 'Renews the session once (POST /api/v1/auth/refresh); keep it as secret as a password' },
    refreshExpiresAt: { type: 'string', format: 'date-time', description: 'The session ends if not renewed by then' },
    sessionId: { type: 'string', description: 'The session, as GET /api/v1/me/sessions lists it' },
  },
}

/** A sign-in's answer: the session, or (no token) the next step and its ticket. */
export const signInAnswer = {
  type: 'object',
  properties: {
    ...session.properties,
    user: schema.user,
    passwordExpiresAt: { type: 'string', format: 'date-time', description: 'An administrator must change the password by then' },
    next: { type: 'string', enum: ['factor', 'enrol', 'password'], description: 'Instead of a token: show a second factor (POST /api/v1/auth/factor), enrol one (/auth/enrol/…), or replace an expired password (/auth/new-password)' },
    ticket: { type: 'string', description: 'Good for that next step only, for 10 minutes' },
    ticketExpiresAt: { type: 'string', format: 'date-time' },
    factors: { type: 'array', items: { type: 'string', enum: ['totp', 'passkey', 'recovery'] }, description: 'The second factors the user has' },
  },
}

/**
 * `POST /auth/token`: sign in with a username and password, get a bearer token (short) and a refresh token;
 * `POST /auth/refresh`: renew with the refresh token (used up, a new one given); `POST /auth/sign-out`: end the
 * session.
 */
export function authRoutes (services: Services): Route<any>[] {
  const { db, throttle, identity } = services
  // Password checks: four at once (libuv's threads), a hundred waiting, the rest told to retry (503). One address
  // holds at most eight of those places: a flood from one address cannot fill the queue a neighbour signs in through.
  const verifications = createKeyedLimit({ running: 4, queued: 100 })
  const perAddress = createKeyedLimit({ running: 2, queued: 6 })
  let proxyWarned = false

  const signIn = defineRoute<SignIn>({
    method: 'POST',
    path: '/api/v1/auth/token',
    operationId: 'signIn',
    summary: 'Sign in; returns a bearer token',
    tag: 'auth',
    auth: 'public',
    body: {
      type: 'object',
      additionalProperties: false,
      required: ['username', 'password'],
      // The password is not held to the creation policy here: any string up to the maximum is checked.
      properties: { username: schema.username, password: { type: 'string', minLength: 1, maxLength: 256 } },
    },
    responses: { 200: { description: 'Signed in, or the next step (a second factor, enrolling one, a new password)', schema: signInAnswer } },
    errors: [CoreError.badCredentials, CoreError.tooManyAttempts, CoreError.unavailable, CoreError.accountInactive],
    async handle ({ ctx, body, requestId }) {
      const address = ctx.ip
      if (!services.config.trustProxy && ctx.get('x-forwarded-for') !== '' && !proxyWarned) {
        proxyWarned = true
        services.logger.warn('sign-ins carry X-Forwarded-For but NENTANG_TRUST_PROXY is off: every client behind the proxy shares one address for the sign-in throttle')
      }
      const wait = throttle.begin(body.username, address)
      if (wait > 0) {
        const seconds = Math.ceil(wait / 1000)
        throw CoreError.tooManyAttempts(`too many failed sign-ins; try again in ${seconds} s`, { headers: { 'Retry-After': String(seconds) } })
      }
      let signedIn = false
      try {
        const [row] = await db.read('select id, password_hash, disabled, kind from users where username = ?', [body.username])
        const mine = await perAddress.acquire(address)
        if (mine === undefined) throw CoreError.unavailable('too many sign-ins from this address at once; try again in a second', { headers: { 'Retry-After': '1' } })
        let passwordMatches: boolean | undefined
        try {
          passwordMatches = await verifications.run('', async () => verifyPassword(
            body.password,
            row === undefined ? await decoyHash() : String(row.password_hash)
          ))
        } finally {
          mine()
        }
        if (passwordMatches === undefined) throw CoreError.unavailable('too many sign-ins at once; try again in a second', { headers: { 'Retry-After': '1' } })
        // Another agency's system takes tokens at /auth/client-token, never by password.
        if (row === undefined || !passwordMatches || toBoolean(row.disabled) || row.kind !== 'person') {
          await recordAudit(db, { actor: null, action: 'auth.sign-in-failed', target: body.username, details: { address }, requestId })
          throw CoreError.badCredentials('Wrong username or password.')
        }
        signedIn = true
        const answer = await afterFirstFactor(services, { userId: Number(row.id), method: 'password', address, agent: ctx.get('user-agent'), requestId })
        return { status: 200, body: answer }
      } finally {
        throttle.end(body.username, address, signedIn)
      }
    },
  })

  const renew = defineRoute<{ refreshToken: string }>({
    method: 'POST',
    path: '/api/v1/auth/refresh',
    operationId: 'refreshSession',
    summary: 'Renew a session: a new bearer token and the next refresh token (the one given is used up)',
    tag: 'auth',
    auth: 'public',
    body: { type: 'object', additionalProperties: false, required: ['refreshToken'], properties: { refreshToken } },
    responses: { 200: { description: 'Renewed', schema: session } },
    errors: [CoreError.sessionEnded],
    async handle ({ body, requestId }) {
      const renewal = await identity.sessions.renew(body.refreshToken, requestId)
      if (!renewal.ok) {
        const why = { unknown: 'this refresh token is not known', expired: 'the session went unused too long', reused: 'this refresh token was used already: the session is ended for safety', 'signed-out': 'the session was signed out or ended', 'user-changed': 'the user was disabled or changed password' }
        throw CoreError.sessionEnded(`the session has ended: ${why[renewal.reason]}`)
      }
      return { status: 200, body: renewal.issued }
    },
  })

  const signOut = defineRoute<{ refreshToken: string }>({
    method: 'POST',
    path: '/api/v1/auth/sign-out',
    operationId: 'signOut',
    summary: 'End a session: its refresh token renews nothing any more, and its bearer tokens are refused at once on every node',
    tag: 'auth',
    auth: 'public',
    body: { type: 'object', additionalProperties: false, required: ['refreshToken'], properties: { refreshToken } },
    responses: { 204: { description: 'Signed out (also when the token was unknown or ended already)' } },
    errors: [],
    async handle ({ body, requestId }) {
      const user = await identity.sessions.signOut(body.refreshToken)
      if (user !== undefined) await recordAudit(db, { actor: user.username, action: 'auth.sign-out', tenant: user.tenant, target: user.username, requestId })
      return { status: 204 }
    },
  })

  return [signIn, renew, signOut]
}
