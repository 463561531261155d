import { appendAudit } from './audit/audit-log.ts'
import { generatePassword } from './auth/passwords.ts'
import { transaction, type Database } from './db/database.ts'
import type { ChangeFeed } from './events/change-feed.ts'
import { createGrant } from './tenancy/grants.ts'
import { ROOT_TENANT } from './tenancy/roles.ts'
import { createTenant } from './tenancy/tenants.ts'
import { createUser } from './tenancy/users.ts'

// Any constant: it keeps two nodes starting on one empty PostgreSQL database from both bootstrapping.
const BOOTSTRAP_LOCK = 7_302_115

export interface BootstrapResult {
  created: boolean
  /** Set only when this start generated the admin password: the one time it is shown. */
  generatedAdminPassword?: string
}

/**
 * First start on an empty database: tenant `vn`, user `admin` holding platform-admin and
 * tenant-admin at `vn` and below. Does nothing when `vn` exists.
 */
export async function bootstrap (db: Database, changes: ChangeFeed, adminPassword: string | undefined): Promise<BootstrapResult> {
  return transaction(db, async (trx) => {
    if (db.dialect === 'postgres') await trx.raw('select pg_advisory_xact_lock(?)', [BOOTSTRAP_LOCK])
    if (await trx('tenants').where({ code: ROOT_TENANT }).first('id') !== undefined) return { created: false }
    const password = adminPassword ?? generatePassword()
    const root = await createTenant(trx, null, { code: ROOT_TENANT, name: 'Việt Nam' })
    const admin = await createUser(trx, changes, root, { username: 'admin', password, displayName: 'Platform administrator' })
    await createGrant(trx, changes, admin, 'platform-admin', root, true)
    await createGrant(trx, changes, admin, 'tenant-admin', root, true)
    await appendAudit(trx, { actor: null, action: 'platform.bootstrap', tenant: ROOT_TENANT, target: 'admin', details: { roles: ['platform-admin', 'tenant-admin'] } })
    return adminPassword === undefined ? { created: true, generatedAdminPassword: password } : { created: true }
  })
}
