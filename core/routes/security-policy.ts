import { appendAudit } from '../audit/audit-log.ts'
import { FACTOR_POLICY_CHANGED } from '../auth/factor-policy.ts'
import { assertRecentFactor } from '../auth/step-up.ts'
import { transaction } from '../db/database.ts'
import { CoreError } from '../errors.ts'
import { defineRoute, type Route } from '../http/route.ts'
import type { Services } from '../services.ts'
import { tenantInReach } from '../tenancy/reach.ts'
import * as schema from './schemas.ts'

const policySchema = {
  type: 'object',
  properties: {
    mfaRoles: { type: 'array', items: schema.role, description: "Roles that must use a second factor at this unit and below, beside the platform's" },
    platformMfaRoles: { type: 'array', items: schema.role, description: 'Roles the platform requires it of everywhere (NENTANG_MFA_ROLES)' },
    effective: { type: 'array', items: schema.role, description: 'Every role that must use one here, with the units above' },
  },
}

/**
 * A unit's own security policy: a tenant-admin may require a second factor of more roles in its subtree (never fewer
 * than the platform's). Every node applies a change at once (the change feed).
 */
export function securityPolicyRoutes (services: Services): Route<any>[] {
  const { db, changes } = services
  const view = async (tenantId: number, path: string) => {
    const row = await db.knex('tenant_security_policies').where({ tenant_id: tenantId }).first('mfa_roles')
    return {
      mfaRoles: row === undefined ? [] : JSON.parse(String(row.mfa_roles)) as string[],
      platformMfaRoles: services.config.mfaRoles,
      effective: [...services.identity.factorPolicy.requiredAt(path)].sort(),
    }
  }

  const get = defineRoute({
    method: 'GET',
    path: '/api/v1/tenants/:code/security-policy',
    operationId: 'getSecurityPolicy',
    summary: "This unit's security policy: the roles that must use a second factor here",
    tag: 'identity',
    auth: 'user',
    params: { code: schema.tenantCode },
    responses: { 200: { description: 'The policy', schema: policySchema } },
    errors: [CoreError.notFound, CoreError.forbidden],
    async handle ({ params, principal }) {
      const tenant = await tenantInReach(db, principal, params.code!, 'admin')
      return { status: 200, body: await view(tenant.id, tenant.path) }
    },
  })

  const put = defineRoute<{ mfaRoles: string[] }>({
    method: 'PUT',
    path: '/api/v1/tenants/:code/security-policy',
    operationId: 'putSecurityPolicy',
    summary: 'Require a second factor of more roles at this unit and below (their holders enrol at their next sign-in)',
    tag: 'identity',
    auth: 'user',
    params: { code: schema.tenantCode },
    body: { type: 'object', additionalProperties: false, required: ['mfaRoles'], properties: { mfaRoles: { type: 'array', items: schema.role, uniqueItems: true, maxItems: 50 } } },
    responses: { 200: { description: 'The policy now', schema: policySchema } },
    errors: [CoreError.notFound, CoreError.forbidden, CoreError.unknownRole, CoreError.stepUpRequired],
    async handle ({ params, body, principal, requestId }) {
      const tenant = await tenantInReach(db, principal, params.code!, 'admin')
      assertRecentFactor(principal, services.identity.factorPolicy, "Changing a unit's security policy")
      const known = await services.roles.rolesAt(tenant)
      const unknown = body.mfaRoles.find((role) => !known.has(role))
      if (unknown !== undefined) throw CoreError.unknownRole(`there is no role '${unknown}' at '${tenant.code}'`, { field: 'mfaRoles' })
      await transaction(db, async (trx) => {
        const row = { mfa_roles: JSON.stringify(body.mfaRoles), updated_by: principal.username, updated_at: new Date().toISOString() }
        await trx('tenant_security_policies').insert({ tenant_id: tenant.id, ...row }).onConflict('tenant_id').merge(row)
        await appendAudit(trx, { actor: principal.username, action: 'security-policy.update', tenant: tenant.code, details: { mfaRoles: body.mfaRoles }, requestId })
        await changes.publish(trx, FACTOR_POLICY_CHANGED, { tenant: tenant.code })
      })
      await services.identity.factorPolicy.refresh()
      return { status: 200, body: await view(tenant.id, tenant.path) }
    },
  })

  return [get, put]
}
