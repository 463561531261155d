import { CoreError } from '../error-codes.ts'
import { holds, holdsSubtree, type Principal } from './access.ts'
import { ROOT_ONLY_ROLES, ROOT_TENANT, isKnownRole } from './roles.ts'
import type { Tenant } from './tenants.ts'

/**
 * Delegated administration: a tenant-admin may grant (or revoke) a role at a tenant only if it
 * holds that role there itself, and over the whole subtree when the grant includes descendants.
 * The caller's tenant-admin right at `tenant` is checked before this (see `tenantInReach`).
 */
export function assertMayGrant (principal: Principal, role: string, tenant: Tenant, includeDescendants: boolean): void {
  if (!isKnownRole(role)) throw CoreError.unknownRole(`no role '${role}'`, { field: 'role' })
  if (ROOT_ONLY_ROLES.includes(role) && tenant.code !== ROOT_TENANT) {
    throw CoreError.rootOnlyRole(`'${role}' is granted only at '${ROOT_TENANT}'`, { field: 'role' })
  }
  const held = includeDescendants ? holdsSubtree(principal, role, tenant.path) : holds(principal, role, tenant.path)
  if (!held) {
    const where = includeDescendants ? `at '${tenant.code}' and below` : `at '${tenant.code}'`
    throw CoreError.roleNotHeld(`you do not hold '${role}' ${where}, so you cannot grant it`, { field: 'role' })
  }
}
