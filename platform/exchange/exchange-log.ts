import { createHmac, createSecretKey, type KeyObject } from 'node:crypto'
import canonicalize from 'canonicalize'
import type { Knex } from 'knex'
import { deriveKey } from '../../core/auth/secret-key.ts'
import type { Database } from '../../core/db/database.ts'
import { createGroupCommit } from '../../core/db/group-commit.ts'

/** One call to another system, as the exchange log keeps it (docs/exchange.md). */
export interface ExchangeRecord {
  tenantId: number
  mount: string
  plugin: string
  endpoint: string
  method: string
  /** The path and query as sent. */
  target: string
  status: number | null
  /** `ok`, or the EXCH_ERR_ code the call failed with. */
  outcome: string
  durationMs: number
  attempts: number
  correlationId: string
  requestId: string | null
  /** SHA-512, hex, of `method + ' ' + target + '\n' + body`. */
  requestHash: string
  /** SHA-512, hex, of `status + '\n' + body`; null when nothing came back. */
  responseHash: string | null
  requestBody: string | null
  responseBody: string | null
}

export interface ExchangeEntry extends Omit<ExchangeRecord, 'tenantId'> {
  seq: number
  at: string
  prevHash: string
  hash: string
}

const GENESIS = '0'.repeat(64)
// With the tenant's id: serialises one tenant's appends on PostgreSQL for the appending transaction.
const APPEND_LOCK = 7_302_115

const COLUMNS: Array<[keyof ExchangeEntry, string]> = [
  ['seq', 'seq'], ['at', 'at'], ['mount', 'mount'], ['plugin', 'plugin'], ['endpoint', 'endpoint'], ['method', 'method'], ['target', 'target'],
  ['status', 'status'], ['outcome', 'outcome'], ['durationMs', 'duration_ms'], ['attempts', 'attempts'], ['correlationId', 'correlation_id'],
  ['requestId', 'request_id'], ['requestHash', 'request_hash'], ['responseHash', 'response_hash'], ['requestBody', 'request_body'],
  ['responseBody', 'response_body'], ['prevHash', 'prev_hash'], ['hash', 'hash'],
]

function entryHash (key: KeyObject, entry: Omit<ExchangeEntry, 'hash'>): string {
  const { prevHash, ...rest } = entry
  return createHmac('sha256', key).update(prevHash).update('\n').update(canonicalize(rest) ?? '').digest('hex')
}

function entryOf (row: Record<string, unknown>): ExchangeEntry {
  const entry: Record<string, unknown> = {}
  for (const [field, column] of COLUMNS) entry[field] = row[column] ?? null
  entry.seq = Number(entry.seq)
  entry.durationMs = Number(entry.durationMs)
  entry.attempts = Number(entry.attempts)
  entry.status = entry.status === null ? null : Number(entry.status)
  return entry as unknown as ExchangeEntry
}

export interface ExchangeSearch {
  endpoint?: string
  outcome?: string
  correlationId?: string
  from?: string
  to?: string
  /** Entries before this id (the next page). */
  before?: number
  limit: number
}

/**
 * The exchange log: per tenant an append-only chain, each entry keyed-hashed (HMAC-SHA256 with a key derived from the
 * platform secret) over the previous entry's hash and its own fields, as the audit log is. Appends are group-committed.
 */
export function createExchangeLog (db: Database, secret: string) {
  // A key object made once: handing createHmac the raw bytes made one per entry (a fifth of an append's time).
  const key = createSecretKey(deriveKey(secret, 'exchange-log'))
  /** SQLite: each unit's chain head, kept here (this node is the log's only writer); read from the log when unknown. */
  const heads = new Map<number, { seq: number, hash: string }>()

  /** Chains `records` onto the heads `headOf` reads; the rows to insert, in order. */
  function chained (records: ExchangeRecord[], headOf: (tenantId: number) => { seq: number, hash: string }): Array<Record<string, unknown>> {
    const heads = new Map<number, { seq: number, hash: string }>()
    const at = new Date().toISOString()
    return records.map(({ tenantId, ...record }) => {
      const head = heads.get(tenantId) ?? headOf(tenantId)
      const entry = { ...record, seq: head.seq + 1, at, prevHash: head.hash }
      const hash = entryHash(key, entry)
      heads.set(tenantId, { seq: entry.seq, hash })
      const row: Record<string, unknown> = { tenant_id: tenantId }
      for (const [field, column] of COLUMNS) row[column] = field === 'hash' ? hash : entry[field as keyof typeof entry]
      return row
    })
  }
  const headOfRow = (row: Record<string, unknown> | undefined): { seq: number, hash: string } =>
    row === undefined ? { seq: 0, hash: GENESIS } : { seq: Number(row.seq), hash: String(row.hash) }
  const INSERT = `insert into exchange_log (tenant_id, ${COLUMNS.map(([, column]) => column).join(', ')}) values (${Array(COLUMNS.length + 1).fill('?').join(', ')})`

  async function write (records: ExchangeRecord[]): Promise<void> {
    // SQLite: on this thread, in the writer's transaction of this turn (one process writes the log, and nothing
    // else runs between reading a head and appending to it); committed before the caller hears of it.
    const sync = db.now()
    if (sync !== undefined) {
      const rows = chained(records, (tenantId) => heads.get(tenantId) ??
        headOfRow(sync.read('select seq, hash from exchange_log where tenant_id = ? order by seq desc limit 1', [tenantId])[0]))
      try {
        for (const row of rows) sync.write(INSERT, [row.tenant_id, ...COLUMNS.map(([, column]) => row[column])])
        sync.commit()
      } catch (error) {
        // Another writer after all (a second node on the file): the unique (tenant, seq) refused a stale head.
        heads.clear()
        throw error
      }
      for (const row of rows) heads.set(Number(row.tenant_id), { seq: Number(row.seq), hash: String(row.hash) })
      return
    }
    await db.knex.transaction(async (trx) => {
      const tenants = [...new Set(records.map((record) => record.tenantId))].sort((a, b) => a - b)
      // PostgreSQL (and SQLite before its connections open): each tenant's head read under its lock, so several
      // nodes append to one chain in turn.
      const heads = new Map<number, { seq: number, hash: string }>()
      for (const tenantId of tenants) {
        if (db.dialect === 'postgres') await trx.raw('select pg_advisory_xact_lock(?, ?)', [APPEND_LOCK, tenantId])
        heads.set(tenantId, headOfRow(await trx('exchange_log').where({ tenant_id: tenantId }).orderBy('seq', 'desc').first('seq', 'hash')))
      }
      await insertRows(trx, chained(records, (tenantId) => heads.get(tenantId)!))
    })
  }

  return {
    // Deferred: the calls answered in one turn of the event loop append in one transaction.
    append: createGroupCommit(write, { max: 200, defer: true }),

    /** The calls of a unit and the units below it, newest first (by `id`: `seq` counts each unit's chain). */
    async search (tenant: { path: string }, search: ExchangeSearch): Promise<Array<ExchangeEntry & { id: number, tenant: string }>> {
      const query = db.knex('exchange_log as e').join('tenants as t', 't.id', 'e.tenant_id')
        .where((where) => { where.where('t.path', tenant.path).orWhere('t.path', 'like', `${tenant.path}/%`) })
        .orderBy('e.id', 'desc').limit(search.limit).select('e.*', 't.code as tenant')
      if (search.endpoint !== undefined) query.where('e.endpoint', search.endpoint)
      if (search.outcome !== undefined) query.where('e.outcome', search.outcome)
      if (search.correlationId !== undefined) query.where('e.correlation_id', search.correlationId)
      if (search.from !== undefined) query.where('e.at', '>=', search.from)
      if (search.to !== undefined) query.where('e.at', '<', search.to)
      if (search.before !== undefined) query.where('e.id', '<', search.before)
      return (await query).map((row) => ({ ...entryOf(row), id: Number(row.id), tenant: String(row.tenant) }))
    },

    /** Walks a tenant's chain in order; the first entry that does not follow from the one before, if any. */
    async verify (tenantId: number): Promise<{ ok: true, entries: number } | { ok: false, entries: number, seq: number, reason: string }> {
      let previous = { seq: 0, hash: GENESIS }
      let entries = 0
      for (;;) {
        const rows = await db.knex('exchange_log').where({ tenant_id: tenantId }).where('seq', '>', previous.seq).orderBy('seq').limit(1000)
        if (rows.length === 0) return { ok: true, entries }
        for (const row of rows) {
          const entry = entryOf(row)
          if (entry.seq !== previous.seq + 1) return { ok: false, entries, seq: entry.seq, reason: `entry ${previous.seq + 1} is missing` }
          if (entry.prevHash !== previous.hash) return { ok: false, entries, seq: entry.seq, reason: 'it does not link to the entry before it' }
          const { hash, ...rest } = entry
          if (entryHash(key, rest) !== hash) return { ok: false, entries, seq: entry.seq, reason: 'its content does not match its hash' }
          previous = { seq: entry.seq, hash }
          entries++
        }
      }
    },
  }
}

export type ExchangeLog = ReturnType<typeof createExchangeLog>

/** SQLite takes at most 999 bound values a statement: 20 columns × 40 rows. */
async function insertRows (trx: Knex.Transaction, rows: Array<Record<string, unknown>>): Promise<void> {
  for (let start = 0; start < rows.length; start += 40) await trx('exchange_log').insert(rows.slice(start, start + 40))
}
