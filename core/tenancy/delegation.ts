import { CoreError } from '../errors.ts'
import { holds, holdsSubtree, type Grant, type Principal } from './access.ts'
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

/**
 * Changing another account's password, status or name is as strong as holding its rights: whoever
 * sets the password signs in as that user. So it needs, for every grant the account holds, the
 * right to grant it (assertMayGrant's rule), wherever the account's home is: a commune's
 * tenant-admin manages a clerk homed there, never a province admin or a platform-admin who is.
 */
export function assertMayManage (principal: Principal, username: string, grants: readonly Grant[]): void {
  for (const grant of grants) {
    const authority = ADMIN_ROLES.includes(grant.role) ? grant.role : 'tenant-admin'
    const held = grant.includeDescendants ? holdsSubtree(principal, authority, grant.path) : holds(principal, authority, grant.path)
    if (!held) {
      const where = grant.includeDescendants ? `at '${grant.tenant}' and below` : `at '${grant.tenant}'`
      throw CoreError.roleNotHeld(`'${username}' holds '${grant.role}' ${where}; changing this account needs '${authority}' ${where}, which you do not hold`)
    }
  }
}
