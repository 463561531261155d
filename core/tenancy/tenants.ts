import type { Knex } from 'knex'
import { isUniqueViolation, type Database, type Row } from '../db/database.ts'
import { CoreError } from '../errors.ts'

export interface Tenant {
  id: number
  code: string
  name: string
  parent: string | null
  path: string
  adminUnitCode: string | null
  createdAt: string
}

export const TENANT_CODE_PATTERN = '^[a-z][a-z0-9-]{1,62}$'
// A subquery, not a self-join, for the parent: findTenant runs on most requests (see grants.ts).
const tenantColumns = 't.id, t.code, t.name, t.path, t.admin_unit_code, t.created_at, (select code from tenants p where p.id = t.parent_id) as parent_code'

function toTenant (row: Row): Tenant {
  return {
    id: Number(row.id),
    code: String(row.code),
    name: String(row.name),
    parent: row.parent_code == null ? null : String(row.parent_code),
    path: String(row.path),
    adminUnitCode: row.admin_unit_code == null ? null : String(row.admin_unit_code),
    createdAt: String(row.created_at),
  }
}

/** The public view of a tenant in API responses. */
export function tenantView (tenant: Tenant): Record<string, unknown> {
  return { code: tenant.code, name: tenant.name, parent: tenant.parent, path: tenant.path, adminUnitCode: tenant.adminUnitCode, createdAt: tenant.createdAt }
}

export async function findTenant (db: Database, code: string): Promise<Tenant | undefined> {
  const rows = await db.read(`select ${tenantColumns} from tenants t where t.code = ?`, [code])
  return rows[0] === undefined ? undefined : toTenant(rows[0])
}

/** Lower case without Vietnamese diacritics, so "ba dinh" finds "Ba Đình". */
export function foldText (text: string): string {
  return text.normalize('NFD').replace(/[\u0300-\u036f]/g, '').replace(/đ/g, 'd').replace(/Đ/g, 'D').toLowerCase()
}

/**
 * Tenants at or below `root` whose code, name or unit code contains every word of `text`,
 * ignoring case and diacritics, the shallowest first, each with its full name: `limit` of them after the first
 * `offset`, and whether more follow.
 */
export async function searchSubtree (db: Database, root: Tenant, text: string, limit: number, offset = 0): Promise<{ found: Named[], more: boolean }> {
  const words = foldText(text).split(/\s+/).filter((word) => word !== '')
  const rows = await db.read(`select ${tenantColumns} from tenants t where t.path = ? or t.path like ?`, [root.path, `${root.path}/%`])
  const depth = (row: Row): number => String(row.path).split('/').length
  rows.sort((a, b) => depth(a) - depth(b) || String(a.code).localeCompare(String(b.code)))
  const names = new Map(rows.map((row) => [String(row.code), String(row.name)]))
  for (const above of await namesOf(db, root.path.split('/').slice(0, -1))) names.set(above.code, above.name)
  const found: Named[] = []
  let skipped = 0
  for (const row of rows) {
    const haystack = foldText(`${String(row.code)} ${String(row.name)} ${String(row.admin_unit_code ?? '')}`)
    if (!words.every((word) => haystack.includes(word))) continue
    if (skipped++ < offset) continue
    if (found.length === limit) return { found, more: true }
    const tenant = toTenant(row)
    found.push({ ...tenant, fullName: fullName(tenant.path, names) })
  }
  return { found, more: false }
}

type Named = Tenant & { fullName: string }

/** The codes and names of `codes`' tenants. */
export async function namesOf (db: Database, codes: string[]): Promise<Array<{ code: string, name: string }>> {
  if (codes.length === 0) return []
  const rows = await db.read(`select code, name from tenants where code in (${codes.map(() => '?').join(', ')})`, codes)
  return rows.map((row) => ({ code: String(row.code), name: String(row.name) }))
}

/**
 * A unit's name followed by those above it, up to (not with) the national root: "Phường Ba Đình, Thành phố Hà Nội".
 * The root alone is its own name.
 */
export function fullName (path: string, names: ReadonlyMap<string, string>): string {
  const codes = path.split('/')
  const named = (codes.length > 1 ? codes.slice(1) : codes).reverse().map((code) => names.get(code) ?? code)
  return named.join(', ')
}

export async function listChildren (db: Database, parent: Tenant): Promise<Tenant[]> {
  const rows = await db.read(`select ${tenantColumns} from tenants t where t.parent_id = ? order by t.code`, [parent.id])
  return rows.map(toTenant)
}

export interface NewTenant {
  code: string
  name: string
  adminUnitCode?: string | undefined
}

/** Creates a tenant under `parent` (or the root when `parent` is null) inside `trx`. */
export async function createTenant (trx: Knex.Transaction, parent: Tenant | null, input: NewTenant): Promise<Tenant> {
  const existing = await trx('tenants').where({ code: input.code }).first('id')
  if (existing !== undefined) throw CoreError.tenantExists(`a tenant with code '${input.code}' already exists`, { field: 'code' })
  if (input.adminUnitCode !== undefined) {
    const taken = await trx('tenants').where({ admin_unit_code: input.adminUnitCode }).first('code')
    if (taken !== undefined) throw CoreError.adminUnitTaken(`administrative unit ${input.adminUnitCode} already has a tenant`, { field: 'adminUnitCode' })
  }
  const row = {
    code: input.code,
    name: input.name,
    parent_id: parent?.id ?? null,
    path: parent === null ? input.code : `${parent.path}/${input.code}`,
    admin_unit_code: input.adminUnitCode ?? null,
    created_at: new Date().toISOString(),
  }
  let inserted: unknown
  try {
    [inserted] = await trx('tenants').insert(row).returning('id')
  } catch (error) {
    // Two creations racing past the checks above on PostgreSQL: the constraint decides.
    if (isUniqueViolation(error)) throw CoreError.tenantExists(`a tenant with code '${input.code}' or unit ${input.adminUnitCode ?? '-'} already exists`, { field: 'code' })
    throw error
  }
  return {
    id: insertedId(inserted),
    code: row.code,
    name: row.name,
    parent: parent?.code ?? null,
    path: row.path,
    adminUnitCode: row.admin_unit_code,
    createdAt: row.created_at,
  }
}

/** knex's `returning('id')` gives `{id}` on PostgreSQL and SQLite alike, but older drivers give the bare id. */
export function insertedId (inserted: unknown): number {
  return Number(typeof inserted === 'object' && inserted !== null ? (inserted as { id: unknown }).id : inserted)
}
