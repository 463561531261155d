import type { Knex } from 'knex'
import { isUniqueViolation, toBoolean, type Database, type Row } from '../db/database.ts'
import { CoreError } from '../error-codes.ts'
import type { Grant, Principal } from './access.ts'
import { insertedId, type Tenant } from './tenants.ts'
import type { User } from './users.ts'

export interface GrantRecord extends Grant {
  username: string
  createdAt: string
}

export function grantView (grant: GrantRecord): Record<string, unknown> {
  return { id: grant.id, username: grant.username, role: grant.role, tenant: grant.tenant, includeDescendants: grant.includeDescendants, createdAt: grant.createdAt }
}

const grantColumns = 'g.id, g.role, g.include_descendants, g.created_at, t.code as tenant_code, t.path as tenant_path, u.username'

function toGrant (row: Row): GrantRecord {
  return {
    id: Number(row.id),
    role: String(row.role),
    tenant: String(row.tenant_code),
    path: String(row.tenant_path),
    includeDescendants: toBoolean(row.include_descendants),
    username: String(row.username),
    createdAt: String(row.created_at),
  }
}

export async function listGrantsAt (db: Database, tenant: Tenant): Promise<GrantRecord[]> {
  const rows = await db.read(`select ${grantColumns} from grants g join tenants t on t.id = g.tenant_id join users u on u.id = g.user_id where g.tenant_id = ? order by u.username, g.role`, [tenant.id])
  return rows.map(toGrant)
}

export async function findGrant (db: Database, tenant: Tenant, id: number): Promise<GrantRecord | undefined> {
  const rows = await db.read(`select ${grantColumns} from grants g join tenants t on t.id = g.tenant_id join users u on u.id = g.user_id where g.tenant_id = ? and g.id = ?`, [tenant.id, id])
  return rows[0] === undefined ? undefined : toGrant(rows[0])
}

export async function createGrant (trx: Knex.Transaction, user: User, role: string, tenant: Tenant, includeDescendants: boolean): Promise<GrantRecord> {
  const conflict = (): Error => CoreError.grantExists(`'${user.username}' already holds '${role}' at '${tenant.code}'`, { field: 'role' })
  const existing = await trx('grants').where({ user_id: user.id, role, tenant_id: tenant.id }).first('id')
  if (existing !== undefined) throw conflict()
  const createdAt = new Date().toISOString()
  let inserted: unknown
  try {
    [inserted] = await trx('grants').insert({ user_id: user.id, role, tenant_id: tenant.id, include_descendants: includeDescendants, created_at: createdAt }).returning('id')
  } catch (error) {
    if (isUniqueViolation(error)) throw conflict()
    throw error
  }
  return { id: insertedId(inserted), role, tenant: tenant.code, path: tenant.path, includeDescendants, username: user.username, createdAt }
}

export async function deleteGrant (trx: Knex.Transaction, grant: GrantRecord): Promise<void> {
  await trx('grants').where({ id: grant.id }).delete()
}

export interface PrincipalState {
  principal: Principal
  disabled: boolean
  tokenVersion: number
}

// One round trip: the user, its home tenant and every grant with its tenant's path.
const principalSql = `select u.id, u.username, u.display_name, u.disabled, u.token_version,
    h.code as home_code, h.path as home_path,
    g.id as grant_id, g.role, g.include_descendants, t.code as grant_tenant, t.path as grant_path
  from users u
  join tenants h on h.id = u.home_tenant_id
  left join grants g on g.user_id = u.id
  left join tenants t on t.id = g.tenant_id
  where u.id = ?
  order by g.id`

/** Loads a user with its grants as they are now: the source of truth on every authenticated request. */
export async function loadPrincipal (db: Database, userId: number): Promise<PrincipalState | undefined> {
  const rows = await db.read(principalSql, [userId])
  const first = rows[0]
  if (first === undefined) return undefined
  const grants: Grant[] = []
  for (const row of rows) {
    if (row.grant_id == null) continue
    grants.push({ id: Number(row.grant_id), role: String(row.role), tenant: String(row.grant_tenant), path: String(row.grant_path), includeDescendants: toBoolean(row.include_descendants) })
  }
  return {
    principal: {
      id: Number(first.id),
      username: String(first.username),
      displayName: String(first.display_name),
      home: { code: String(first.home_code), path: String(first.home_path) },
      grants,
    },
    disabled: toBoolean(first.disabled),
    tokenVersion: Number(first.token_version),
  }
}
