import type { Knex } from 'knex'
import type { Database, Row } from '../core/db/database.ts'
import type { Manifest } from './manifest.ts'

/**
 * The registry's versions (`registry_versions`): one row per published version of a package, with
 * its manifest, checks, review and signature. Versions are immutable once published; only the
 * status moves (pending → approved | rejected, approved → revoked).
 */

export type VersionStatus = 'pending' | 'approved' | 'rejected' | 'revoked'
export const VERSION_STATUSES: readonly VersionStatus[] = ['pending', 'approved', 'rejected', 'revoked']

/** A row of `registry_versions`. */
export type VersionRow = {
  id: number
  name: string
  /** The publishing tenant's code. */
  scope: string
  version: string
  sha256: string
  status: VersionStatus
  /** JSON text of plugin.json, and of the automated checks. */
  manifest: string
  checks: string
  publisher: string
  published_at: string
  reviewer: string | null
  reviewed_at: string | null
  review_comment: string | null
  revoke_reason: string | null
  /** The platform's signature over name, version and SHA-256, set at approval. */
  signature: string | null
}

/** `name@version` → the version's manifest and status. */
export type Manifests = Map<string, { manifest: Manifest, status: string }>

export function manifestOf (row: Row): Manifest {
  return JSON.parse(String(row.manifest)) as Manifest
}

export function findVersion (db: Database, name: string, version: string): Promise<VersionRow | undefined> {
  return db.knex('registry_versions').where({ name, version }).first()
}

/** The version with this id (it exists: versions are never deleted). */
export async function findVersionById (db: Database, id: number): Promise<VersionRow> {
  const row = await db.knex('registry_versions').where({ id }).first()
  if (row === undefined) throw new Error(`no registry version ${id}`)
  return row
}

export async function versionExists (db: Database, name: string, version: string): Promise<boolean> {
  return (await db.knex('registry_versions').where({ name, version }).first('id')) !== undefined
}

/** The SHA-256 recorded for `name@version`, if it is published. */
export async function recordedDigest (db: Database, name: string, version: string): Promise<string | undefined> {
  const row = await db.knex('registry_versions').where({ name, version }).first('sha256')
  return row === undefined ? undefined : String(row.sha256)
}

/** The manifest of the newest approved version of `name` (what an upload's checks compare with). */
export async function latestApprovedManifest (db: Database, name: string): Promise<Manifest | undefined> {
  const row = await db.knex('registry_versions').where({ name, status: 'approved' }).orderBy('id', 'desc').first('manifest')
  return row === undefined ? undefined : manifestOf(row)
}

export async function insertVersion (trx: Knex.Transaction, row: Row): Promise<void> {
  await trx('registry_versions').insert(row)
}

/**
 * Moves a version from `from` to another status; false when it was no longer `from` (two racing reviews resolve to
 * one).
 */
export async function changeStatus (trx: Knex.Transaction, id: number, from: VersionStatus, update: Row): Promise<boolean> {
  return (await trx('registry_versions').where({ id, status: from }).update(update)) === 1
}

/**
 * The newest 1,000 versions, of one status or all: what a list shows and the manifest's visibility
 * alone, never whole manifests (up to 256 KiB each).
 */
export function listVersions (db: Database, status: VersionStatus | undefined): Promise<Array<Pick<VersionRow, 'name' | 'scope' | 'version' | 'status' | 'sha256' | 'publisher' | 'published_at' | 'checks'> & { visibility: string | null }>> {
  const visibility = db.dialect === 'postgres' ? "(manifest::jsonb ->> 'visibility') as visibility" : "json_extract(manifest, '$.visibility') as visibility"
  const query = db.knex('registry_versions').orderBy('id', 'desc').limit(1000)
    .select('name', 'scope', 'version', 'status', 'sha256', 'publisher', 'published_at', 'checks', db.knex.raw(visibility))
  if (status !== undefined) query.where({ status })
  return query
}

/** The manifests and statuses of the versions named, and of no other. */
export async function manifestsOf (db: Database, versions: Iterable<{ name: unknown, version: unknown }>): Promise<Manifests> {
  const pairs = [...new Map([...versions].map((v) => [`${String(v.name)}@${String(v.version)}`, [String(v.name), String(v.version)]])).values()]
  if (pairs.length === 0) return new Map()
  const rows = await db.knex('registry_versions').whereIn(['name', 'version'], pairs).select('name', 'version', 'manifest', 'status')
  return new Map(rows.map((v) => [`${v.name}@${v.version}`, { manifest: manifestOf(v), status: String(v.status) }]))
}

/** How many versions the registry holds, by status. */
export async function countVersionsByStatus (db: Database): Promise<Record<string, number>> {
  const rows = await db.knex('registry_versions').select('status').count({ n: '*' }).groupBy('status') as Array<{ status: string, n: number | string }>
  return Object.fromEntries(rows.map((row) => [String(row.status), Number(row.n)]))
}
