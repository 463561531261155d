import { appendAudit } from '../audit/audit-log.ts'
import { assertPasswordAllowed } from '../auth/password-policy.ts'
import { assertRecentFactor } from '../auth/step-up.ts'
import { IDENTITY_NUMBER_PATTERN } from '../auth/identity-numbers.ts'
import { transaction } from '../db/database.ts'
import { CoreError } from '../errors.ts'
import { defineRoute, type Route } from '../http/route.ts'
import type { Services } from '../services.ts'
import { assertMayGrant, assertMayManage } from '../tenancy/delegation.ts'
import { createGrant, loadPrincipal } from '../tenancy/grants.ts'
import { tenantInReach } from '../tenancy/reach.ts'
import type { Tenant } from '../tenancy/tenants.ts'
import { createUser, findUser, listUsers, updateUser, userView, type User, type UserChange } from '../tenancy/users.ts'
import * as schema from './schemas.ts'

interface NewUserBody {
  username: string
  password: string
  displayName?: string
  roles?: string[]
}

const reachErrors = [CoreError.notFound, CoreError.forbidden, CoreError.unauthenticated]

/** Users of a tenant (their home tenant), managed by its tenant-admins. */
export function userRoutes (services: Services): Route<any>[] {
  const { db, changes } = services
  async function userAt (tenant: Tenant, username: string): Promise<User> {
    const user = await findUser(db, username)
    if (user === undefined || user.tenant !== tenant.code) throw CoreError.notFound(`user '${username}' not found in '${tenant.code}'`)
    return user
  }

  const list = defineRoute({
    method: 'GET',
    path: '/api/v1/tenants/:code/users',
    operationId: 'listUsers',
    summary: 'Users whose home is this tenant',
    tag: 'users',
    auth: 'user',
    params: { code: schema.tenantCode },
    responses: { 200: { description: 'Users, by username', schema: schema.list(schema.user) } },
    errors: reachErrors,
    async handle ({ params, principal }) {
      const tenant = await tenantInReach(db, principal, params.code!, 'admin')
      return { status: 200, body: { items: (await listUsers(db, tenant)).map(userView) } }
    },
  })

  const create = defineRoute<NewUserBody>({
    method: 'POST',
    path: '/api/v1/tenants/:code/users',
    operationId: 'createUser',
    summary: 'Create a user at this tenant, optionally granting it roles here',
    tag: 'users',
    auth: 'user',
    params: { code: schema.tenantCode },
    body: {
      type: 'object',
      additionalProperties: false,
      required: ['username', 'password'],
      properties: {
        username: schema.username,
        password: schema.password,
        displayName: schema.displayName,
        roles: { type: 'array', items: schema.role, uniqueItems: true, maxItems: 10 },
      },
    },
    responses: { 201: { description: 'Created', schema: schema.user } },
    errors: [
      ...reachErrors, CoreError.userExists, CoreError.unknownRole, CoreError.rootOnlyRole, CoreError.roleNotHeld,
      CoreError.passwordRejected, CoreError.stepUpRequired,
    ],
    async handle ({ params, body, principal, requestId }) {
      const tenant = await tenantInReach(db, principal, params.code!, 'admin')
      const roles = body.roles ?? []
      if (roles.some((role) => services.identity.factorPolicy.requiredAt(tenant.path).has(role))) assertRecentFactor(principal, services.identity.factorPolicy, 'Granting an administrator role')
      await assertPasswordAllowed(db, { username: body.username, password: body.password }, 0)
      const known = await services.roles.rolesAt(tenant)
      roles.forEach((role) => assertMayGrant(principal, role, tenant, false, known))
      const user = await transaction(db, async (trx) => {
        const created = await createUser(trx, changes, tenant, body)
        await appendAudit(trx, { actor: principal.username, action: 'user.create', tenant: tenant.code, target: created.username, requestId })
        for (const role of roles) {
          await createGrant(trx, changes, created, role, tenant, false)
          await appendAudit(trx, { actor: principal.username, action: 'grant.create', tenant: tenant.code, target: created.username, details: { role, includeDescendants: false }, requestId })
        }
        return created
      })
      return { status: 201, body: userView(user), headers: { Location: `/api/v1/tenants/${tenant.code}/users/${user.username}` } }
    },
  })

  const get = defineRoute({
    method: 'GET',
    path: '/api/v1/tenants/:code/users/:username',
    operationId: 'getUser',
    summary: 'One user of this tenant',
    tag: 'users',
    auth: 'user',
    params: { code: schema.tenantCode, username: schema.username },
    responses: { 200: { description: 'The user', schema: schema.user } },
    errors: reachErrors,
    async handle ({ params, principal }) {
      const tenant = await tenantInReach(db, principal, params.code!, 'admin')
      return { status: 200, body: userView(await userAt(tenant, params.username!)) }
    },
  })

  const update = defineRoute<Omit<UserChange, 'identity'> & { identityNumber?: string | null }>({
    method: 'PATCH',
    path: '/api/v1/tenants/:code/users/:username',
    operationId: 'updateUser',
    summary: 'Rename, disable, enable or set the password of a user; disabling or a new password revokes its tokens at once. Needs the right to grant every grant the user holds',
    tag: 'users',
    auth: 'user',
    params: { code: schema.tenantCode, username: schema.username },
    body: {
      type: 'object',
      additionalProperties: false,
      minProperties: 1,
      properties: {
        displayName: schema.displayName,
        disabled: { type: 'boolean' },
        password: schema.password,
        identityNumber: { type: ['string', 'null'], pattern: IDENTITY_NUMBER_PATTERN, description: 'the citizen identity number (CCCD, 12 digits) that links sign-ins through an identity provider to this user; null unlinks' },
      },
    },
    responses: { 200: { description: 'The changed user', schema: schema.user } },
    errors: [...reachErrors, CoreError.roleNotHeld, CoreError.passwordRejected, CoreError.userExists],
    async handle ({ params, body, principal, requestId }) {
      const tenant = await tenantInReach(db, principal, params.code!, 'admin')
      const user = await userAt(tenant, params.username!)
      assertMayManage(principal, user.username, (await loadPrincipal(db, user.id))?.principal.grants ?? [])
      if (body.password !== undefined) {
        await assertPasswordAllowed(db, { username: user.username, password: body.password, userId: user.id }, services.config.passwordHistory)
      }
      const changed = await transaction(db, async (trx) => {
        const { identityNumber, ...rest } = body
        const identity = identityNumber === undefined ? undefined : identityNumber === null ? null : services.identity.identityNumbers.protect(identityNumber)
        const result = await updateUser(trx, changes, user, { ...rest, identity })
        const fields = Object.keys(body).map((key) => key === 'password' || key === 'identityNumber' ? key : `${key}=${JSON.stringify(body[key as 'displayName' | 'disabled'])}`)
        await appendAudit(trx, { actor: principal.username, action: 'user.update', tenant: tenant.code, target: user.username, details: { changed: fields }, requestId })
        return result
      })
      return { status: 200, body: userView(changed) }
    },
  })

  return [list, create, get, update]
}
