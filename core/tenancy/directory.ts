import { toBoolean, type Database } from '../db/database.ts'
import { listChildren, type Tenant } from './tenants.ts'

/** A user as a unit's directory shows it: no password, no grants elsewhere. */
export interface DirectoryUser {
  username: string
  displayName: string
  /** The roles the user holds at the unit (granted there, or above it with its descendants). */
  roles: string[]
}

/** A unit as the directory shows it, with its official code when it has one. */
export interface DirectoryUnit {
  code: string
  name: string
  adminUnitCode: string | null
}

/**
 * The enabled users who hold a role at `tenant`, `role` or any: granted there, or at an ancestor with its
 * descendants. By username, at most `limit`.
 */
export async function usersAt (db: Database, tenant: Tenant, role: string | null, limit = 1000): Promise<DirectoryUser[]> {
  const query = db.knex('grants as g').join('tenants as t', 't.id', 'g.tenant_id').join('users as u', 'u.id', 'g.user_id')
    .whereIn('t.code', tenant.path.split('/'))
    .select('u.username', 'u.display_name', 'u.disabled', 'g.role', 'g.include_descendants', 't.id as tenant_id')
    .orderBy('u.username').orderBy('g.role')
  if (role !== null) query.andWhere('g.role', role)
  const users = new Map<string, DirectoryUser>()
  for (const row of await query) {
    if (toBoolean(row.disabled) || (Number(row.tenant_id) !== tenant.id && !toBoolean(row.include_descendants))) continue
    let user = users.get(String(row.username))
    if (user === undefined) {
      if (users.size >= limit) break
      users.set(String(row.username), user = { username: String(row.username), displayName: String(row.display_name), roles: [] })
    }
    if (!user.roles.includes(String(row.role))) user.roles.push(String(row.role))
  }
  return [...users.values()]
}

/** Where `tenant` sits: its lineage from the root down to itself, and its children. */
export async function unitsAround (db: Database, tenant: Tenant): Promise<{ lineage: DirectoryUnit[], children: DirectoryUnit[] }> {
  const codes = tenant.path.split('/')
  const rows = await db.knex('tenants').whereIn('code', codes).select('code', 'name', 'admin_unit_code')
  const unit = (row: Record<string, unknown>): DirectoryUnit => ({
    code: String(row.code),
    name: String(row.name),
    adminUnitCode: row.admin_unit_code == null ? null : String(row.admin_unit_code),
  })
  const byCode = new Map(rows.map((row) => [String(row.code), unit(row)]))
  return {
    lineage: codes.flatMap((code) => byCode.get(code) ?? []),
    children: (await listChildren(db, tenant)).map((child) => ({ code: child.code, name: child.name, adminUnitCode: child.adminUnitCode })),
  }
}
