import { createHash, createHmac } from 'node:crypto'
import canonicalize from 'canonicalize'
import type { Knex } from 'knex'
import { deriveKey } from '../auth/secret-key.ts'
import type { Database } from '../db/database.ts'
import type { Checkpoint } from './checkpoints.ts'
import { createGroupCommit } from '../db/group-commit.ts'

/** What an audit entry says: who did what, where, to what. */
export interface AuditEvent {
  actor: string | null
  action: string
  tenant?: string | null
  target?: string | null
  details?: Record<string, unknown>
  requestId?: string | null
}

export interface AuditEntry {
  seq: number
  at: string
  actor: string | null
  action: string
  tenant: string | null
  target: string | null
  details: Record<string, unknown>
  requestId: string | null
  prevHash: string
  hash: string
}

export const GENESIS_HASH = '0'.repeat(64)
// Any constant: it serialises appends on PostgreSQL for the length of the appending transaction.
const APPEND_LOCK = 7_302_114

/**
 * The chain's key: HMAC-SHA256 with a key derived from the platform secret, which lives outside the
 * database (configuration or the data folder) and is never given to sandbox workers. Without it,
 * someone who can write to the database can delete or change entries but cannot hash the rest of
 * the chain again to hide it. Registered per database connection (its knex configuration object,
 * shared by its transactions), before anything appends.
 */
const keys = new WeakMap<object, Uint8Array>()

/** Makes `secret` the key of the audit chain in `db`; appends fail until it is given. */
export function useAuditKey (db: Database, secret: string): Uint8Array {
  const key = deriveKey(secret, 'audit-chain')
  keys.set(db.knex.client.config, key)
  return key
}

function keyOf (trx: Knex | Knex.Transaction): Uint8Array {
  const key = keys.get(trx.client.config)
  if (key === undefined) throw new Error('the audit chain has no key: useAuditKey(db, secret) at start')
  return key
}

function body (entry: Omit<AuditEntry, 'hash'>): string {
  return canonicalize({
    seq: entry.seq,
    at: entry.at,
    actor: entry.actor,
    action: entry.action,
    tenant: entry.tenant,
    target: entry.target,
    details: entry.details,
    requestId: entry.requestId,
  }) ?? ''
}

/** The HMAC that chains an entry to the previous one: it covers every column but `hash`. */
export function entryHash (entry: Omit<AuditEntry, 'hash'>, key: Uint8Array): string {
  return createHmac('sha256', key).update(entry.prevHash).update('\n').update(body(entry)).digest('hex')
}

/** The unkeyed SHA-256 of chains written before the key (accepted only up to a checkpoint marked `legacy`). */
export function legacyEntryHash (entry: Omit<AuditEntry, 'hash'>): string {
  return createHash('sha256').update(entry.prevHash).update('\n').update(body(entry)).digest('hex')
}

/**
 * Appends an entry to the chain inside `trx`, so the action and its record commit together.
 * Appends are serialised (SQLite has one writer; PostgreSQL takes a transaction-scoped lock).
 */
export function appendAudit (trx: Knex.Transaction, event: AuditEvent): Promise<void> {
  return appendAuditEntries(trx, [event])
}

/** Appends entries in order inside `trx`: one lock, one read of the chain's head, one insert. */
async function appendAuditEntries (trx: Knex.Transaction, events: readonly AuditEvent[]): Promise<void> {
  if (trx.client.config.client === 'pg') await trx.raw('select pg_advisory_xact_lock(?)', [APPEND_LOCK])
  const last = await trx('audit_log').select('seq', 'hash').orderBy('seq', 'desc').first()
  let previous = { seq: last === undefined ? 0 : Number(last.seq), hash: last === undefined ? GENESIS_HASH : String(last.hash) }
  const key = keyOf(trx)
  const rows = events.map((event) => {
    const entry = {
      seq: previous.seq + 1,
      at: new Date().toISOString(),
      actor: event.actor,
      action: event.action,
      tenant: event.tenant ?? null,
      target: event.target ?? null,
      details: event.details ?? {},
      requestId: event.requestId ?? null,
      prevHash: previous.hash,
    }
    const hash = entryHash(entry, key)
    previous = { seq: entry.seq, hash }
    return {
      seq: entry.seq,
      at: entry.at,
      actor: entry.actor,
      action: entry.action,
      tenant: entry.tenant,
      target: entry.target,
      details: JSON.stringify(entry.details),
      request_id: entry.requestId,
      prev_hash: entry.prevHash,
      hash,
    }
  })
  await trx('audit_log').insert(rows)
}

/** Each database's group append of entries that write nothing else (core/db/group-commit.ts). */
const appenders = new WeakMap<Database, (event: AuditEvent) => Promise<void>>()

/**
 * Appends one entry in a transaction of its own, for actions that write nothing else (sign-ins, a plugin's
 * `audit.record`). Entries that arrive while one such transaction runs are appended together in the next (a group
 * commit): a burst of sixty sign-ins costs a few transactions, not sixty in a row behind one lock.
 */
export function recordAudit (db: Database, event: AuditEvent): Promise<void> {
  let append = appenders.get(db)
  if (append === undefined) {
    append = createGroupCommit((events: AuditEvent[]) => db.knex.transaction((trx) => appendAuditEntries(trx, events)))
    appenders.set(db, append)
  }
  return append(event)
}

export type VerifyResult =
  | { ok: true, entries: number, head: string, checkpoint: number }
  | { ok: false, entries: number, seq: number, reason: string }

export interface VerifyOptions {
  key: Uint8Array
  /** Checkpoints kept outside the database, already checked for their own signatures, oldest first. */
  checkpoints?: readonly Checkpoint[]
  /** Where the chain left in the database starts, when older entries were archived (core/audit/retention.ts). */
  from?: { seq: number, hash: string }
  pageSize?: number
}

/**
 * Walks the whole chain in order and reports the first entry that does not verify: a gap, a broken
 * link, content that does not match its keyed hash, or a value that cannot be read. Then the chain
 * must reach the newest checkpoint, with the hash that checkpoint recorded: deleting the newest
 * entries, or rewriting history and hashing it again, no longer passes unnoticed.
 */
export async function verifyAudit (db: Database, options: VerifyOptions): Promise<VerifyResult> {
  const pageSize = options.pageSize ?? 1000
  const checkpoints = [...(options.checkpoints ?? [])].sort((a, b) => a.seq - b.seq)
  const legacyUntil = Math.max(0, ...checkpoints.filter((c) => c.legacy === true).map((c) => c.seq))
  const expected = new Map(checkpoints.map((c) => [c.seq, c.hash]))
  let previous = options.from ?? { seq: 0, hash: GENESIS_HASH }
  let count = 0
  for (;;) {
    const rows = await db.knex('audit_log').where('seq', '>', previous.seq).orderBy('seq').limit(pageSize)
    for (const row of rows) {
      count++
      let entry: AuditEntry
      try {
        entry = toEntry(row)
      } catch (error) {
        return { ok: false, entries: count, seq: Number(row.seq) || previous.seq + 1, reason: `it cannot be read: ${(error as Error).message.slice(0, 200)}` }
      }
      if (entry.seq !== previous.seq + 1) return { ok: false, entries: count, seq: entry.seq, reason: `entries ${previous.seq + 1}–${entry.seq - 1} are missing` }
      if (entry.prevHash !== previous.hash) return { ok: false, entries: count, seq: entry.seq, reason: 'its previous-hash does not match the entry before it' }
      const keyed = entryHash(entry, options.key) === entry.hash
      if (!keyed && !(entry.seq <= legacyUntil && legacyEntryHash(entry) === entry.hash)) return { ok: false, entries: count, seq: entry.seq, reason: 'its content does not match its hash' }
      const recorded = expected.get(entry.seq)
      if (recorded !== undefined && recorded !== entry.hash) return { ok: false, entries: count, seq: entry.seq, reason: 'its hash differs from the one a checkpoint recorded' }
      previous = entry
    }
    if (rows.length < pageSize) break
  }
  const newest = checkpoints.at(-1)
  if (newest !== undefined && newest.seq > previous.seq) {
    return { ok: false, entries: count, seq: previous.seq + 1, reason: `the chain ends at entry ${previous.seq}, but a checkpoint of ${newest.at} records entry ${newest.seq}: entries were deleted` }
  }
  return { ok: true, entries: count, head: previous.hash, checkpoint: newest?.seq ?? 0 }
}

export function toEntry (row: Record<string, unknown>): AuditEntry {
  let details: Record<string, unknown>
  try {
    details = JSON.parse(String(row.details))
  } catch {
    details = { unparseable: String(row.details) }
  }
  if (!Number.isSafeInteger(Number(row.seq))) throw new Error(`seq '${String(row.seq).slice(0, 40)}' is not a number`)
  return {
    seq: Number(row.seq),
    at: String(row.at),
    actor: row.actor === null ? null : String(row.actor),
    action: String(row.action),
    tenant: row.tenant === null ? null : String(row.tenant),
    target: row.target === null ? null : String(row.target),
    details,
    requestId: row.request_id === null ? null : String(row.request_id),
    prevHash: String(row.prev_hash),
    hash: String(row.hash),
  }
}

/** Whether the newest entry was written before the chain had a key (an older platform's chain). */
export async function headIsLegacy (db: Database, key: Uint8Array): Promise<boolean> {
  const row = await db.knex('audit_log').orderBy('seq', 'desc').first()
  if (row === undefined) return false
  const entry = toEntry(row)
  return entryHash(entry, key) !== entry.hash && legacyEntryHash(entry) === entry.hash
}
