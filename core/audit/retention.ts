import { createHash, createHmac, timingSafeEqual } from 'node:crypto'
import { closeSync, fsyncSync, mkdirSync, openSync, readFileSync, writeSync } from 'node:fs'
import { join } from 'node:path'
import type { Database } from '../db/database.ts'
import { entryHash, GENESIS_HASH, legacyEntryHash, toEntry } from './audit-log.ts'

/** Where the chain left in the database starts: the last archived entry, signed with the chain's key. */
export interface ArchiveCut {
  fromSeq: number
  toSeq: number
  lastHash: string
  file: string
  fileSha256: string
  at: string
  mac: string
}

export const ARCHIVE_FOLDER = 'audit-archive'
const BATCH = 20_000
const RETENTION_LOCK = 7_412_604_277
const DAY_MS = 24 * 3600_000

function macOf (key: Uint8Array, cut: Omit<ArchiveCut, 'mac'>): string {
  return createHmac('sha256', key).update(`${cut.fromSeq}\n${cut.toSeq}\n${cut.lastHash}\n${cut.file}\n${cut.fileSha256}\n${cut.at}`).digest('hex')
}

function toCut (row: Record<string, unknown>): ArchiveCut {
  return {
    fromSeq: Number(row.from_seq),
    toSeq: Number(row.to_seq),
    lastHash: String(row.last_hash),
    file: String(row.file),
    fileSha256: String(row.file_sha256),
    at: String(row.at),
    mac: String(row.mac),
  }
}

/**
 * The newest cut whose signature holds, or undefined when nothing was archived; `forged` when the newest cut's
 * signature fails (someone wrote it without the key, perhaps to hide deleted entries).
 */
export async function newestCut (db: Database, key: Uint8Array): Promise<ArchiveCut | 'forged' | undefined> {
  const row = await db.knex('audit_archives').orderBy('to_seq', 'desc').first()
  if (row === undefined) return undefined
  const cut = toCut(row)
  const expected = Buffer.from(macOf(key, cut), 'hex')
  const given = Buffer.from(cut.mac, 'hex')
  return given.length === expected.length && timingSafeEqual(given, expected) ? cut : 'forged'
}

/**
 * The retention sweep (Level 3: logs kept 3 months at least; by default 12): audit entries older than `days` are
 * written to `<dataDir>/audit-archive/audit-<from>-<to>.jsonl` (fsynced), checked link by link on the way, then a
 * signed cut is recorded and the entries are deleted in one transaction. `audit verify` goes on from the cut, so the
 * chain stays whole, and it checks the archive files too. The newest entry is never
 * archived (the next append links to it). Returns how many entries were archived; `now` is for tests.
 */
export async function archiveAudit (options: { db: Database, key: Uint8Array, dataDir: string, days: number, now?: number }): Promise<number> {
  const { db, key, dataDir, days } = options
  const cutoff = new Date((options.now ?? Date.now()) - days * DAY_MS).toISOString()
  const cut = await newestCut(db, key)
  if (cut === 'forged') throw new Error('the newest audit archive cut has a signature that does not hold: archiving stops until it is looked into')
  let previous = cut === undefined ? { seq: 0, hash: GENESIS_HASH } : { seq: cut.toSeq, hash: cut.lastHash }
  const head = await db.knex('audit_log').max({ seq: 'seq' }).first()
  const newest = Number(head?.seq ?? 0)
  let archived = 0
  for (;;) {
    const rows = await db.knex('audit_log').where('seq', '>', previous.seq).where('seq', '<', newest).where('at', '<', cutoff).orderBy('seq').limit(BATCH)
    if (rows.length === 0) break
    const fromSeq = previous.seq + 1
    const lines: string[] = []
    for (const row of rows) {
      const entry = toEntry(row)
      if (entry.seq !== previous.seq + 1 || entry.prevHash !== previous.hash) throw new Error(`the audit chain breaks at entry ${entry.seq}: archiving stops until it is looked into`)
      if (entryHash(entry, key) !== entry.hash && legacyEntryHash(entry) !== entry.hash) throw new Error(`audit entry ${entry.seq} does not match its hash: archiving stops`)
      lines.push(JSON.stringify(entry))
      previous = { seq: entry.seq, hash: entry.hash }
    }
    const folder = join(dataDir, ARCHIVE_FOLDER)
    mkdirSync(folder, { recursive: true, mode: 0o700 })
    const file = `audit-${String(fromSeq).padStart(12, '0')}-${String(previous.seq).padStart(12, '0')}.jsonl`
    const text = lines.join('\n') + '\n'
    const fd = openSync(join(folder, file), 'w', 0o600)
    try {
      writeSync(fd, text)
      fsyncSync(fd)
    } finally {
      closeSync(fd)
    }
    const record: Omit<ArchiveCut, 'mac'> = {
      fromSeq, toSeq: previous.seq, lastHash: previous.hash, file, fileSha256: createHash('sha256').update(text).digest('hex'), at: new Date().toISOString(),
    }
    const toSeq = previous.seq
    const moved = await db.knex.transaction(async (trx) => {
      // Two nodes sweeping at once: the second finds the first's cut and leaves (its file is overwritten next time).
      if (trx.client.config.client === 'pg') await trx.raw('select pg_advisory_xact_lock(?)', [RETENTION_LOCK])
      const latest = await trx('audit_archives').max({ seq: 'to_seq' }).first()
      if (Number(latest?.seq ?? 0) !== fromSeq - 1) return false
      await trx('audit_archives').insert({
        from_seq: record.fromSeq,
        to_seq: record.toSeq,
        last_hash: record.lastHash,
        file: record.file,
        file_sha256: record.fileSha256,
        at: record.at,
        mac: macOf(key, record),
      })
      await trx('audit_log').where('seq', '>=', fromSeq).where('seq', '<=', toSeq).delete()
      return true
    })
    if (!moved) break
    archived += rows.length
    if (rows.length < BATCH) break
  }
  return archived
}

/**
 * The archive files against their signed cuts, oldest first: each file whole (its SHA-256), each entry's hash and link,
 * each file following the one before. A file missing from this node's data folder is a finding.
 */
export async function verifyArchives (
  db: Database, key: Uint8Array, dataDir: string
): Promise<{ ok: true, entries: number } | { ok: false, entries: number, seq: number, reason: string }> {
  const rows = await db.knex('audit_archives').orderBy('to_seq')
  let previous = { seq: 0, hash: GENESIS_HASH }
  let entries = 0
  for (const row of rows) {
    const cut = toCut(row)
    if (macOf(key, cut) !== cut.mac) return { ok: false, entries, seq: cut.fromSeq, reason: `the archive cut of ${cut.file} has a signature that does not hold` }
    let text: string
    try {
      text = readFileSync(join(dataDir, ARCHIVE_FOLDER, cut.file.replace(/[/\\]/g, '')), 'utf8')
    } catch {
      return { ok: false, entries, seq: cut.fromSeq, reason: `the archive file ${cut.file} is missing from ${join(dataDir, ARCHIVE_FOLDER)}` }
    }
    if (createHash('sha256').update(text).digest('hex') !== cut.fileSha256) return { ok: false, entries, seq: cut.fromSeq, reason: `the archive file ${cut.file} was changed` }
    for (const line of text.split('\n')) {
      if (line === '') continue
      const entry = JSON.parse(line) as ReturnType<typeof toEntry>
      entries++
      if (entry.seq !== previous.seq + 1 || entry.prevHash !== previous.hash) return { ok: false, entries, seq: entry.seq, reason: `the archive ${cut.file} does not follow on at entry ${entry.seq}` }
      if (entryHash(entry, key) !== entry.hash && legacyEntryHash(entry) !== entry.hash) return { ok: false, entries, seq: entry.seq, reason: `archived entry ${entry.seq} does not match its hash` }
      previous = { seq: entry.seq, hash: entry.hash }
    }
    if (previous.seq !== cut.toSeq || previous.hash !== cut.lastHash) return { ok: false, entries, seq: cut.toSeq, reason: `the archive ${cut.file} does not end where its cut says` }
  }
  return { ok: true, entries }
}
