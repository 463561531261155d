import { createHash } from 'node:crypto'
import canonicalize from 'canonicalize'
import type { Knex } from 'knex'
import type { Database } from '../db/database.ts'

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

/** The SHA-256 that chains an entry to the previous one: it covers every column but `hash`. */
export function entryHash (entry: Omit<AuditEntry, 'hash'>): string {
  const body = canonicalize({
    seq: entry.seq,
    at: entry.at,
    actor: entry.actor,
    action: entry.action,
    tenant: entry.tenant,
    target: entry.target,
    details: entry.details,
    requestId: entry.requestId,
  })
  return createHash('sha256').update(entry.prevHash).update('\n').update(body ?? '').digest('hex')
}

/**
 * Appends an entry to the chain inside `trx`, so the action and its record commit together.
 * Appends are serialised (SQLite has one writer; PostgreSQL takes a transaction-scoped lock).
 */
export async function appendAudit (trx: Knex.Transaction, event: AuditEvent): Promise<void> {
  if (trx.client.config.client === 'pg') await trx.raw('select pg_advisory_xact_lock(?)', [APPEND_LOCK])
  const last = await trx('audit_log').select('seq', 'hash').orderBy('seq', 'desc').first()
  const entry = {
    seq: last === undefined ? 1 : Number(last.seq) + 1,
    at: new Date().toISOString(),
    actor: event.actor,
    action: event.action,
    tenant: event.tenant ?? null,
    target: event.target ?? null,
    details: event.details ?? {},
    requestId: event.requestId ?? null,
    prevHash: last === undefined ? GENESIS_HASH : String(last.hash),
  }
  await trx('audit_log').insert({
    seq: entry.seq,
    at: entry.at,
    actor: entry.actor,
    action: entry.action,
    tenant: entry.tenant,
    target: entry.target,
    details: JSON.stringify(entry.details),
    request_id: entry.requestId,
    prev_hash: entry.prevHash,
    hash: entryHash(entry),
  })
}

/** Appends one entry in a transaction of its own, for actions that write nothing else (sign-ins). */
export function recordAudit (db: Database, event: AuditEvent): Promise<void> {
  return db.knex.transaction((trx) => appendAudit(trx, event))
}

export type VerifyResult =
  | { ok: true, entries: number, head: string }
  | { ok: false, entries: number, seq: number, reason: string }

/** Walks the whole chain in order and reports the first entry that does not verify. */
export async function verifyAudit (db: Database, pageSize = 1000): Promise<VerifyResult> {
  let previous = { seq: 0, hash: GENESIS_HASH }
  let count = 0
  for (;;) {
    const rows = await db.knex('audit_log').where('seq', '>', previous.seq).orderBy('seq').limit(pageSize)
    for (const row of rows) {
      const entry = toEntry(row)
      count++
      if (entry.seq !== previous.seq + 1) return { ok: false, entries: count, seq: entry.seq, reason: `entries ${previous.seq + 1}–${entry.seq - 1} are missing` }
      if (entry.prevHash !== previous.hash) return { ok: false, entries: count, seq: entry.seq, reason: 'its previous-hash does not match the entry before it' }
      if (entryHash(entry) !== entry.hash) return { ok: false, entries: count, seq: entry.seq, reason: 'its content does not match its hash' }
      previous = entry
    }
    if (rows.length < pageSize) return { ok: true, entries: count, head: previous.hash }
  }
}

export function toEntry (row: Record<string, unknown>): AuditEntry {
  let details: Record<string, unknown>
  try {
    details = JSON.parse(String(row.details))
  } catch {
    details = { unparseable: String(row.details) }
  }
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
