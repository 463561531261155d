import { appendAudit } from '../audit/audit-log.ts'
import { verifyPassword } from '../auth/passwords.ts'
import { assertPasswordAllowed } from '../auth/password-policy.ts'
import { passwordExpiry } from '../auth/sign-in-flow.ts'
import { transaction } from '../db/database.ts'
import { CoreError } from '../errors.ts'
import { defineRoute, type Route } from '../http/route.ts'
import type { Services } from '../services.ts'
import { findUser, updateUser } from '../tenancy/users.ts'
import * as schema from './schemas.ts'
import { fullName, namesOf } from '../tenancy/tenants.ts'

const UNIT_NAME_MS = 30_000

/** `GET /me` and `POST /me/password`: the caller itself. */
export function meRoutes (services: Services): Route<any>[] {
  const { db, changes } = services
  // Home units by name, kept for UNIT_NAME_MS: `GET /me` is on every page load, and a unit is renamed rarely.
  const unitNames = new Map<string, { name: string, at: number }>()
  async function unitName (path: string): Promise<string> {
    const kept = unitNames.get(path)
    if (kept !== undefined && Date.now() - kept.at < UNIT_NAME_MS) return kept.name
    const names = new Map((await namesOf(db, path.split('/'))).map((one) => [one.code, one.name]))
    if (unitNames.size >= 10_000) unitNames.clear()
    const name = fullName(path, names)
    unitNames.set(path, { name, at: Date.now() })
    return name
  }

  const me = defineRoute({
    method: 'GET',
    path: '/api/v1/me',
    operationId: 'getMe',
    summary: 'The signed-in user and its grants',
    tag: 'auth',
    auth: 'user',
    responses: {
      200: {
        description: 'The caller',
        schema: {
          type: 'object',
          properties: {
            user: {
              type: 'object',
              properties: {
                username: schema.username,
                displayName: { type: 'string' },
                tenant: schema.tenantCode,
                tenantName: { type: 'string', description: 'The home unit with the units above it by name: "Phường Ba Đình, Thành phố Hà Nội"' },
              },
            },
            grants: { type: 'array', items: { type: 'object', properties: { role: schema.role, tenant: schema.tenantCode, includeDescendants: { type: 'boolean' } } } },
            security: {
              type: 'object',
              properties: {
                factorRequired: { type: 'boolean', description: 'Your roles require a second factor at sign-in and for dangerous actions' },
                factors: { type: 'array', items: { type: 'string' }, description: 'The second factors you have: totp, passkey, recovery' },
                passwordExpiresAt: { type: ['string', 'null'], format: 'date-time', description: 'An administrator changes the password by then' },
              },
            },
          },
        },
      },
    },
    errors: [],
    async handle ({ principal }) {
      // From the principal cache: /me is on every page load.
      const expiry = passwordExpiry(services, principal, principal.passwordChangedAt)
      const security = {
        factorRequired: services.identity.factorPolicy.requires(principal),
        factors: principal.factors ?? [],
        passwordExpiresAt: expiry?.toISOString() ?? null,
      }
      return {
        status: 200,
        body: {
          user: {
            username: principal.username,
            displayName: principal.displayName,
            tenant: principal.home.code,
            tenantName: await unitName(principal.home.path),
          },
          grants: principal.grants.map((g) => ({ role: g.role, tenant: g.tenant, includeDescendants: g.includeDescendants })),
          security,
        },
      }
    },
  })

  const changePassword = defineRoute<{ currentPassword: string, newPassword: string }>({
    method: 'POST',
    path: '/api/v1/me/password',
    operationId: 'changeMyPassword',
    summary: 'Change your password; every token issued before stops working, and a new one is returned',
    tag: 'auth',
    auth: 'user',
    body: {
      type: 'object',
      additionalProperties: false,
      required: ['currentPassword', 'newPassword'],
      properties: { currentPassword: { type: 'string', minLength: 1, maxLength: 256 }, newPassword: schema.password },
    },
    responses: { 200: { description: 'Changed: every session of the user has ended, and this one goes on with these', schema: { type: 'object', properties: { token: { type: 'string' }, expiresAt: { type: 'string', format: 'date-time' }, refreshToken: { type: 'string' }, refreshExpiresAt: { type: 'string', format: 'date-time' } } } } },
    errors: [CoreError.wrongCurrentPassword, CoreError.passwordRejected],
    async handle ({ ctx, body, principal, requestId }) {
      const [row] = await db.read('select password_hash from users where id = ?', [principal.id])
      if (row === undefined || !(await verifyPassword(body.currentPassword, String(row.password_hash)))) {
        throw CoreError.wrongCurrentPassword('the current password is wrong', { field: 'currentPassword' })
      }
      await assertPasswordAllowed(db, { username: principal.username, password: body.newPassword, userId: principal.id }, services.config.passwordHistory, 'newPassword')
      const user = await findUser(db, principal.username)
      if (user === undefined) throw CoreError.unauthenticated('the user no longer exists')
      await transaction(db, async (trx) => {
        await updateUser(trx, changes, user, { password: body.newPassword })
        await appendAudit(trx, { actor: principal.username, action: 'user.password-change', tenant: user.tenant, target: user.username, requestId })
      })
      const [fresh] = await db.read('select token_version from users where id = ?', [principal.id])
      // Every session of the user ended with the old password (the token version moved on); this one goes on anew.
      await services.identity.sessions.endAll(principal.id)
      const issued = await services.identity.sessions.open(principal.id, Number(fresh?.token_version), {
        method: 'password', factor: principal.session?.factorAt !== undefined, address: ctx.ip, agent: ctx.get('user-agent'),
      })
      return { status: 200, body: issued }
    },
  })

  return [me, changePassword]
}
