import { createHash, randomUUID } from 'node:crypto'
import type { Knex } from 'knex'
import { transaction, type Database, type Row } from '../db/database.ts'

/** A plugin's file as the plugin sees it (`files.info`). */
export interface FileInfo {
  id: string
  name: string
  type: string
  size: number
  sha256: string
  createdAt: string
  /** False while an upload waits for its plugin to keep it (`files.keep`); swept after UPLOAD_WAIT_MS. */
  kept: boolean
}

/** Whose a file is: a plugin's at a tenant. Every query is scoped to both. */
export interface FileOwner {
  tenantId: number
  plugin: string
}

/** What one plugin's files may take at one unit. */
export const FILES_QUOTA_BYTES = 1024 * 1024 * 1024
/** How long an upload waits for its plugin to keep it before the sweep removes it. */
export const UPLOAD_WAIT_MS = 3600_000
/** The file id `files.*` and links accept: a UUID. */
export const FILE_ID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/

const COLUMNS = ['file_id', 'name', 'type', 'size', 'sha256', 'created_at', 'state'] as const

function view (row: Row): FileInfo {
  return {
    id: String(row.file_id),
    name: String(row.name),
    type: String(row.type),
    size: Number(row.size),
    sha256: String(row.sha256),
    createdAt: String(row.created_at),
    kept: row.state === 'kept',
  }
}

/**
 * A file's name as kept: NFC (so `Nguyễn` typed on any keyboard is one name), no path, no control characters, at
 * most 255 characters; `tệp` when nothing is left.
 */
export function fileName (name: string): string {
  const base = name.normalize('NFC').split(/[/\\]/).pop() ?? ''
  // eslint-disable-next-line no-control-regex
  const clean = base.replace(/[\u0000-\u001f\u007f"]/g, '').trim().slice(0, 255)
  return clean === '' || clean === '.' || clean === '..' ? 'tệp' : clean
}

/**
 * Stores `bytes` as a file of `owner`. The bytes are kept once per tenant and content (their SHA-256): the file's
 * row goes in first and the bytes after, in one transaction, so a sweep running meanwhile never removes bytes a new
 * file names.
 */
export interface NewFile { name: string, type: string, bytes: Buffer, kept: boolean, requestId?: string }

export function storeFile (db: Database, owner: FileOwner, file: NewFile): Promise<FileInfo> {
  const sha256 = createHash('sha256').update(file.bytes).digest('hex')
  const row = {
    file_id: randomUUID(),
    tenant_id: owner.tenantId,
    plugin: owner.plugin,
    name: fileName(file.name),
    type: file.type,
    size: file.bytes.length,
    sha256,
    state: file.kept ? 'kept' : 'upload',
    created_at: new Date().toISOString(),
    request_id: file.requestId ?? null,
  }
  return transaction(db, async (trx) => {
    await trx('plugin_files').insert(row)
    await trx('plugin_blobs').insert({ tenant_id: owner.tenantId, sha256, size: file.bytes.length, bytes: file.bytes }).onConflict(['tenant_id', 'sha256']).ignore()
    return view(row)
  })
}

function owned (knex: Knex | Knex.Transaction, owner: FileOwner, id: string): Knex.QueryBuilder {
  return knex('plugin_files').where({ file_id: id, tenant_id: owner.tenantId, plugin: owner.plugin })
}

export async function fileInfo (db: Database, owner: FileOwner, id: string): Promise<FileInfo | undefined> {
  if (!FILE_ID.test(id)) return undefined
  const row = await owned(db.knex, owner, id).first(COLUMNS)
  return row === undefined ? undefined : view(row)
}

export interface FileWithBytes { info: FileInfo, bytes: Buffer }

/** A file and its bytes, by its owner (`files.read`) or by its tenant alone (a signed link names no plugin). */
export async function fileWithBytes (db: Database, owner: FileOwner | { tenantId: number }, id: string): Promise<FileWithBytes | undefined> {
  if (!FILE_ID.test(id)) return undefined
  const query = db.knex('plugin_files as f').join('plugin_blobs as b', (join) => join.on('b.tenant_id', 'f.tenant_id').andOn('b.sha256', 'f.sha256'))
    .where({ 'f.file_id': id, 'f.tenant_id': owner.tenantId })
  if ('plugin' in owner) query.andWhere('f.plugin', owner.plugin)
  const row = await query.first(...COLUMNS.map((column) => `f.${column}`), 'b.bytes')
  if (row === undefined) return undefined
  return { info: view(row), bytes: Buffer.from(row.bytes as Uint8Array) }
}

/** Keeps an upload (the sweep leaves it); true when the file exists. */
export async function keepFile (db: Database, owner: FileOwner, id: string): Promise<boolean> {
  if (!FILE_ID.test(id)) return false
  return (await owned(db.knex, owner, id).update({ state: 'kept' })) > 0
}

/** Removes a file, and its bytes when no other file of the tenant names them; true when it existed. */
export async function removeFile (db: Database, owner: FileOwner, id: string): Promise<boolean> {
  if (!FILE_ID.test(id)) return false
  return transaction(db, async (trx) => {
    const row = await owned(trx, owner, id).first('sha256')
    if (row === undefined) return false
    await owned(trx, owner, id).delete()
    await dropUnnamed(trx, owner.tenantId, String(row.sha256))
    return true
  })
}

async function dropUnnamed (trx: Knex.Transaction, tenantId: number, sha256: string): Promise<void> {
  const named = await trx('plugin_files').where({ tenant_id: tenantId, sha256 }).first('id')
  if (named === undefined) await trx('plugin_blobs').where({ tenant_id: tenantId, sha256 }).delete()
}

/** The bytes `owner`'s files take (each file counted, though equal contents are stored once). */
export async function filesUsage (db: Database, owner: FileOwner): Promise<number> {
  const [row] = await db.knex('plugin_files').where({ tenant_id: owner.tenantId, plugin: owner.plugin }).sum({ bytes: 'size' })
  return Number(row?.bytes ?? 0)
}

/** Removes uploads nobody kept within UPLOAD_WAIT_MS, and the bytes no file names any more; returns how many files. */
export async function sweepFiles (db: Database, now = Date.now()): Promise<number> {
  const before = new Date(now - UPLOAD_WAIT_MS).toISOString()
  const stale = await db.knex('plugin_files').where('state', 'upload').andWhere('created_at', '<', before).limit(500).select('id', 'tenant_id', 'sha256')
  if (stale.length === 0) return 0
  await transaction(db, async (trx) => {
    await trx('plugin_files').whereIn('id', stale.map((row) => row.id)).andWhere('state', 'upload').delete()
    const seen = new Set<string>()
    for (const row of stale) {
      const key = `${row.tenant_id}/${row.sha256}`
      if (seen.has(key)) continue
      seen.add(key)
      await dropUnnamed(trx, Number(row.tenant_id), String(row.sha256))
    }
  })
  return stale.length
}
