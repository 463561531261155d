import { recordAudit } from '../audit/audit-log.ts'
import { decoyHash, verifyPassword } from '../auth/passwords.ts'
import { toBoolean } from '../db/database.ts'
import { CoreError } from '../errors.ts'
import { defineRoute, type Route } from '../http/route.ts'
import type { Services } from '../services.ts'
import { findUser, userView } from '../tenancy/users.ts'
import * as schema from './schemas.ts'
import { createKeyedLimit } from '../keyed-limit.ts'

interface SignIn {
  username: string
  password: string
}

/** `POST /auth/token`: sign in with a username and password, get a JWT. */
export function authRoutes (services: Services): Route<any>[] {
  const { db, tokens, throttle } = services
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
    responses: {
      200: {
        description: 'Signed in',
        schema: { type: 'object', properties: { token: { type: 'string' }, expiresAt: { type: 'string', format: 'date-time' }, user: schema.user } },
      },
    },
    errors: [CoreError.badCredentials, CoreError.tooManyAttempts, CoreError.unavailable],
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
        const [row] = await db.read('select id, password_hash, disabled, token_version from users where username = ?', [body.username])
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
        if (row === undefined || !passwordMatches || toBoolean(row.disabled)) {
          await recordAudit(db, { actor: null, action: 'auth.sign-in-failed', target: body.username, details: { address }, requestId })
          throw CoreError.badCredentials('wrong username or password')
        }
        signedIn = true
        const user = await findUser(db, body.username)
        const issued = await tokens.issue(Number(row.id), Number(row.token_version))
        await recordAudit(db, { actor: body.username, action: 'auth.sign-in', tenant: user?.tenant ?? null, details: { address }, requestId })
        return { status: 200, body: { token: issued.token, expiresAt: issued.expiresAt, user: user === undefined ? null : userView(user) } }
      } finally {
        throttle.end(body.username, address, signedIn)
      }
    },
  })

  return [signIn]
}
