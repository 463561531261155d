import { CoreError } from '../error-codes.ts'
import { holds, holdsSubtree, type Principal } from './access.ts'
import { ADMIN_ROLES, ROOT_ONLY_ROLES, ROOT_TENANT } from './roles.ts'
import type { Tenant } from './tenants.ts'

/**
 * Delegated administration. An administrative role (platform-admin, tenant-admin) is granted only
 * by someone who holds that same role there; every other role (developer, officer, member) by a
 * tenant-admin there. A grant that includes descendants needs that right over the whole subtree.
 * So a tenant-admin never grants what it does not hold, nor beyond the tenants it administers.
 */
export function assertMayGrant (principal: Principal, role: string, tenant: Tenant, includeDescendants: boolean, known: ReadonlySet<string>): void {
  if (!known.has(role)) throw CoreError.unknownRole(`no role '${role}'`, { field: 'role' })
  if (ROOT_ONLY_ROLES.includes(role) && tenant.code !== ROOT_TENANT) {
    throw CoreError.rootOnlyRole(`'${role}' is granted only at '${ROOT_TENANT}'`, { field: 'role' })
  }
  const authority = ADMIN_ROLES.includes(role) ? role : 'tenant-admin'
  const held = includeDescendants ? holdsSubtree(principal, authority, tenant.path) : holds(principal, authority, tenant.path)
  if (!held) {
    const where = includeDescendants ? `at '${tenant.code}' and below` : `at '${tenant.code}'`
    throw CoreError.roleNotHeld(`granting '${role}' ${where} needs '${authority}' ${where}, which you do not hold`, { field: 'role' })
  }
}
