import type { Knex } from 'knex'
import { toBoolean, type Database, type Row } from '../core/db/database.ts'
import { manifestsOf, type Manifests } from './versions.ts'

/**
 * Installations (`installations`): which version of which package a tenant serves at a mount, with
 * its settings and whether its descendants inherit it; and the secrets set for a mount
 * (`installation_secrets`, sealed by the caller).
 */

/** The change-feed channel of installations: `{ tenantPath, mount, node }`. */
export const INSTALLATIONS_CHANGED = 'installations.changed'

/** An installation row with the code and path of the tenant that made it. */
export type PlacedInstallation = Row & { tenant_code: string, tenant_path: string, mount: string, name: string, version: string, inherit: unknown }

/**
 * The one rule of what serves a tenant at a mount: its own installation there, else the nearest
 * ancestor's installed with `inherit`. `rows` are the installations of the tenant and its
 * ancestors; both the installation routes and the resolver decide with this function.
 */
export function servingInstallations<R extends PlacedInstallation> (rows: readonly R[], tenantCode: string): { own: R[], inherited: R[] } {
  const own = rows.filter((row) => row.tenant_code === tenantCode)
  const mounts = new Set(own.map((row) => row.mount))
  const inherited = new Map<string, R>()
  for (const row of rows) {
    if (row.tenant_code === tenantCode || !toBoolean(row.inherit) || mounts.has(row.mount)) continue
    const nearer = inherited.get(row.mount)
    if (nearer === undefined || row.tenant_path.length > nearer.tenant_path.length) inherited.set(row.mount, row)
  }
  return { own, inherited: [...inherited.values()] }
}

/** The installations of `tenant` and its ancestors (at `mount` only, when given), by mount. */
export async function installationsAlong (db: Database, tenant: { path: string }, mount?: string): Promise<PlacedInstallation[]> {
  const query = db.knex('installations as i').join('tenants as t', 't.id', 'i.tenant_id')
    .whereIn('t.code', tenant.path.split('/')).orderBy('i.mount').select('i.*', 't.code as tenant_code', 't.path as tenant_path')
  if (mount !== undefined) query.andWhere('i.mount', mount)
  return query
}

/**
 * What serves a tenant, every mount: its own installations and the inherited ones, with the manifests of the versions
 * they name.
 */
export async function effectiveInstallations (db: Database, tenant: { code: string, path: string }): Promise<{
  own: PlacedInstallation[],
  inherited: PlacedInstallation[],
  manifests: Manifests,
}> {
  const { own, inherited } = servingInstallations(await installationsAlong(db, tenant), tenant.code)
  // Only the versions these installations name: every upload of the same package (pending ones
  // with large manifests) once came along on every citizen's services page.
  return { own, inherited, manifests: await manifestsOf(db, [...own, ...inherited]) }
}

/** The installation serving `tenant` at `mount`, its own or inherited. */
export async function servingAt (db: Database, tenant: { code: string, path: string }, mount: string): Promise<PlacedInstallation | undefined> {
  const { own, inherited } = servingInstallations(await installationsAlong(db, tenant, mount), tenant.code)
  return own[0] ?? inherited[0]
}

export interface InstallationRecord {
  tenant_id: number
  mount: string
  name: string
  version: string
  /** JSON text. */
  settings: string
  inherit: boolean
  updated_at: string
  updated_by: string
}

/**
 * Installs or switches `record.mount` at its tenant. A mount's secrets belong to the package they
 * were set for: another package put there (which may ask for the same names) starts without them;
 * another version keeps them. Returns what was there before, and how many secrets were deleted.
 */
export async function saveInstallation (trx: Knex.Transaction, record: InstallationRecord): Promise<{
  previous: { name: string, version: string } | undefined,
  secretsDeleted: number,
}> {
  const existing = await trx('installations').where({ tenant_id: record.tenant_id, mount: record.mount }).first('id', 'version', 'name')
  if (existing === undefined) await trx('installations').insert(record)
  else await trx('installations').where({ id: existing.id }).update(record)
  const secretsDeleted = existing !== undefined && existing.name !== record.name ? await deleteSecretsAt(trx, record.tenant_id, record.mount) : 0
  return { previous: existing === undefined ? undefined : { name: String(existing.name), version: String(existing.version) }, secretsDeleted }
}

/** Uninstalls what is at `mount` and deletes its secrets; undefined when nothing was installed there. */
export async function deleteInstallation (trx: Knex.Transaction, tenantId: number, mount: string): Promise<{
  name: string,
  version: string,
  secretsDeleted: number,
} | undefined> {
  const existing = await trx('installations').where({ tenant_id: tenantId, mount }).first('id', 'name', 'version')
  if (existing === undefined) return undefined
  await trx('installations').where({ id: existing.id }).delete()
  return { name: String(existing.name), version: String(existing.version), secretsDeleted: await deleteSecretsAt(trx, tenantId, mount) }
}

/** Marks an installation changed (its routing key carries `updated_at`, so every node rebuilds it). */
export async function touchInstallation (trx: Knex.Transaction, tenantId: number, mount: string, username: string): Promise<void> {
  await trx('installations').where({ tenant_id: tenantId, mount }).update({ updated_at: new Date().toISOString(), updated_by: username })
}

function deleteSecretsAt (trx: Knex.Transaction, tenantId: number, mount: string): Promise<number> {
  return trx('installation_secrets').where({ tenant_id: tenantId, mount }).delete()
}

/** The secrets set at a mount, sealed, by name. */
export function sealedSecrets (db: Database, tenantId: unknown, mount: string): Promise<Array<{
  name: string,
  sealed: string,
  updated_at: string,
  updated_by: string,
}>> {
  return db.knex('installation_secrets').where({ tenant_id: tenantId, mount }).orderBy('name').select('name', 'sealed', 'updated_at', 'updated_by')
}

/** Sets a sealed secret at a mount. */
export async function putSecret (trx: Knex.Transaction, tenantId: number, mount: string, name: string, sealed: string, username: string): Promise<void> {
  const now = new Date().toISOString()
  const existing = await trx('installation_secrets').where({ tenant_id: tenantId, mount, name }).first('id')
  if (existing === undefined) await trx('installation_secrets').insert({ tenant_id: tenantId, mount, name, sealed, updated_at: now, updated_by: username })
  else await trx('installation_secrets').where({ id: existing.id }).update({ sealed, updated_at: now, updated_by: username })
}

/** Removes a secret; false when there was none. */
export async function deleteSecret (trx: Knex.Transaction, tenantId: number, mount: string, name: string): Promise<boolean> {
  return (await trx('installation_secrets').where({ tenant_id: tenantId, mount, name }).delete()) > 0
}

/** The settings a unit set for itself at a mount it inherits; undefined when it set none. */
export interface LocalSettings { settings: Record<string, unknown>, updatedAt: string }

export async function localSettings (db: Database, tenantId: number, mount: string): Promise<LocalSettings | undefined> {
  const row = await db.knex('installation_settings').where({ tenant_id: tenantId, mount }).first('settings', 'updated_at')
  return row === undefined ? undefined : { settings: JSON.parse(String(row.settings)) as Record<string, unknown>, updatedAt: String(row.updated_at) }
}

export async function putLocalSettings (trx: Knex.Transaction, tenantId: number, mount: string, settings: Record<string, unknown>, by: string): Promise<void> {
  const row = { tenant_id: tenantId, mount, settings: JSON.stringify(settings), updated_at: new Date().toISOString(), updated_by: by }
  await trx('installation_settings').insert(row).onConflict(['tenant_id', 'mount']).merge()
}

export async function deleteLocalSettings (trx: Knex.Transaction, tenantId: number, mount: string): Promise<boolean> {
  return (await trx('installation_settings').where({ tenant_id: tenantId, mount }).delete()) > 0
}
