import type { Database } from '../db/database.ts'
import { CoreError } from '../errors.ts'
import { canSee, isTenantAdmin, type Principal } from './access.ts'
import { findTenant, type Tenant } from './tenants.ts'

/**
 * The tenant named in a path, as the caller may reach it: 404 when it does not exist or is
 * outside the caller's reach (the two are indistinguishable), 403 when the caller sees it but
 * `need`s administration rights it does not have there.
 */
export async function tenantInReach (db: Database, principal: Principal, code: string, need: 'see' | 'admin'): Promise<Tenant> {
  const tenant = await findTenant(db, code)
  if (tenant === undefined || !canSee(principal, tenant.path)) throw CoreError.notFound(`tenant '${code}' not found`)
  if (need === 'admin' && !isTenantAdmin(principal, tenant.path)) throw CoreError.forbidden(`you are not a tenant-admin of '${code}'`)
  return tenant
}
