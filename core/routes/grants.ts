import { appendAudit } from '../audit/audit-log.ts'
import { transaction } from '../db/database.ts'
import { CoreError } from '../errors.ts'
import { defineRoute, type Route } from '../http/route.ts'
import { assertRecentFactor } from '../auth/step-up.ts'
import type { Services } from '../services.ts'
import { isTenantAdmin } from '../tenancy/access.ts'
import { assertMayGrant } from '../tenancy/delegation.ts'
import { createGrant, deleteGrant, findGrant, grantView, listGrantsAt, setGrantReach } from '../tenancy/grants.ts'
import { tenantInReach } from '../tenancy/reach.ts'
import { findTenant } from '../tenancy/tenants.ts'
import { findUser } from '../tenancy/users.ts'
import * as schema from './schemas.ts'

interface NewGrant {
  username: string
  role: string
  includeDescendants?: boolean
}

const reachErrors = [CoreError.notFound, CoreError.forbidden, CoreError.unauthenticated]

/** Grants `(user, role, tenant, includeDescendants)` at a tenant, delegated down the tree. */
export function grantRoutes (services: Services): Route<any>[] {
  const { db, changes } = services
  const list = defineRoute({
    method: 'GET',
    path: '/api/v1/tenants/:code/grants',
    operationId: 'listGrants',
    summary: 'Grants held at this tenant',
    tag: 'grants',
    auth: 'user',
    params: { code: schema.tenantCode },
    responses: { 200: { description: 'Grants', schema: schema.list(schema.grant) } },
    errors: reachErrors,
    async handle ({ params, principal }) {
      const tenant = await tenantInReach(db, principal, params.code!, 'admin')
      return { status: 200, body: { items: (await listGrantsAt(db, tenant)).map(grantView) } }
    },
  })

  const create = defineRoute<NewGrant>({
    method: 'POST',
    path: '/api/v1/tenants/:code/grants',
    operationId: 'createGrant',
    summary: 'Grant a role at this tenant to a user within your reach; you must hold the role yourself',
    tag: 'grants',
    auth: 'user',
    params: { code: schema.tenantCode },
    body: {
      type: 'object',
      additionalProperties: false,
      required: ['username', 'role'],
      properties: { username: schema.username, role: schema.role, includeDescendants: { type: 'boolean', default: false } },
    },
    responses: { 201: { description: 'Granted', schema: schema.grant } },
    errors: [...reachErrors, CoreError.unknownRole, CoreError.rootOnlyRole, CoreError.roleNotHeld, CoreError.grantExists, CoreError.stepUpRequired],
    async handle ({ params, body, principal, requestId }) {
      const tenant = await tenantInReach(db, principal, params.code!, 'admin')
      const includeDescendants = body.includeDescendants ?? false
      assertMayGrant(principal, body.role, tenant, includeDescendants, await services.roles.rolesAt(tenant))
      if (services.identity.factorPolicy.requiredAt(tenant.path).has(body.role)) assertRecentFactor(principal, services.identity.factorPolicy, 'Granting an administrator role')
      // The grantee must live where the caller administers, or its existence would leak across the tree.
      const user = await findUser(db, body.username)
      const home = user === undefined ? undefined : await findTenant(db, user.tenant)
      if (user === undefined || home === undefined || !isTenantAdmin(principal, home.path)) {
        throw CoreError.notFound(`user '${body.username}' not found`, { field: 'username' })
      }
      const grant = await transaction(db, async (trx) => {
        const created = await createGrant(trx, changes, user, body.role, tenant, includeDescendants)
        await appendAudit(trx, { actor: principal.username, action: 'grant.create', tenant: tenant.code, target: user.username, details: { role: body.role, includeDescendants }, requestId })
        return created
      })
      return { status: 201, body: grantView(grant) }
    },
  })

  const remove = defineRoute({
    method: 'DELETE',
    path: '/api/v1/tenants/:code/grants/:id',
    operationId: 'deleteGrant',
    summary: 'Revoke a grant; you must hold the role yourself',
    tag: 'grants',
    auth: 'user',
    params: { code: schema.tenantCode, id: schema.id },
    responses: { 204: { description: 'Revoked' } },
    errors: [...reachErrors, CoreError.roleNotHeld],
    async handle ({ params, principal, requestId }) {
      const tenant = await tenantInReach(db, principal, params.code!, 'admin')
      const grant = await findGrant(db, tenant, Number(params.id))
      if (grant === undefined) throw CoreError.notFound(`grant ${params.id} not found at '${tenant.code}'`)
      assertMayGrant(principal, grant.role, tenant, grant.includeDescendants, new Set([grant.role]))
      await transaction(db, async (trx) => {
        await deleteGrant(trx, changes, grant)
        await appendAudit(trx, { actor: principal.username, action: 'grant.delete', tenant: tenant.code, target: grant.username, details: { role: grant.role, includeDescendants: grant.includeDescendants }, requestId })
      })
      return { status: 204 }
    },
  })

  const update = defineRoute<{ includeDescendants: boolean }>({
    method: 'PATCH',
    path: '/api/v1/tenants/:code/grants/:id',
    operationId: 'updateGrant',
    summary: 'Widen a grant to the units below its tenant, or narrow it to the tenant alone; you must be able to grant the wider one',
    tag: 'grants',
    auth: 'user',
    params: { code: schema.tenantCode, id: schema.id },
    body: { type: 'object', additionalProperties: false, required: ['includeDescendants'], properties: { includeDescendants: { type: 'boolean' } } },
    responses: { 200: { description: 'Changed (or already so)', schema: schema.grant } },
    errors: [...reachErrors, CoreError.roleNotHeld],
    async handle ({ params, body, principal, requestId }) {
      const tenant = await tenantInReach(db, principal, params.code!, 'admin')
      const grant = await findGrant(db, tenant, Number(params.id))
      if (grant === undefined) throw CoreError.notFound(`grant ${params.id} not found at '${tenant.code}'`)
      assertMayGrant(principal, grant.role, tenant, grant.includeDescendants || body.includeDescendants, new Set([grant.role]))
      if (grant.includeDescendants === body.includeDescendants) return { status: 200, body: grantView(grant) }
      const changed = await transaction(db, async (trx) => {
        const updated = await setGrantReach(trx, changes, grant, body.includeDescendants)
        const details = { role: grant.role, includeDescendants: body.includeDescendants, was: grant.includeDescendants }
        await appendAudit(trx, { actor: principal.username, action: 'grant.update', tenant: tenant.code, target: grant.username, details, requestId })
        return updated
      })
      return { status: 200, body: grantView(changed) }
    },
  })

  return [list, create, update, remove]
}
