import type BetterSqlite3 from 'better-sqlite3'
import type { Knex } from 'knex'

/** How long a statement waits for another process's write lock before it fails with SQLITE_BUSY. */
export const LOCK_WAIT_MS = 5000
/** The pause between two tries: short, so the lock is taken in the first gap a sandbox worker leaves. */
const RETRY_MS = 1
/** Prepared statements kept per connection (most of knex's SQL repeats; an unbounded cache would not be safe). */
const CACHED_STATEMENTS = 500

interface QueryObject { sql: string, bindings?: unknown[], options?: unknown, response?: unknown, context?: unknown }
interface BetterSqliteClient {
  _query(connection: BetterSqlite3.Database, obj: QueryObject): Promise<QueryObject>
  _formatBindings(bindings: unknown[] | undefined): unknown[]
  _optSafeIntegers(options: unknown): boolean | undefined
}

/**
 * Knex's better-sqlite3 queries, changed in two ways for a gateway that shares the file with sandbox workers:
 *
 * - **Waiting for the write lock never blocks the event loop.** SQLite's own busy handler sleeps on the calling
 *   thread (1, 2, 5, 10… ms) while another process holds the lock; the gateway's thread served no request meanwhile,
 *   and under a worker's steady writes its sleeps grew (measured: a timer set per filing kept the gateway asleep two
 *   seconds in seven). The connection's busy timeout is 0 and a busy statement is tried again after a timer, up to
 *   LOCK_WAIT_MS. Retrying is safe: a statement that answers SQLITE_BUSY did nothing (a BEGIN IMMEDIATE, an
 *   autocommit write, a read during WAL recovery); a write inside a transaction already holds the lock.
 * - **Statements are prepared once per connection** (knex prepared each query anew: a tenth of the gateway's CPU).
 */
export function waitWithoutBlocking (knex: Knex): void {
  const client = knex.client as unknown as BetterSqliteClient
  const cache = new WeakMap<BetterSqlite3.Database, Map<string, BetterSqlite3.Statement>>()
  const prepare = (connection: BetterSqlite3.Database, sql: string): BetterSqlite3.Statement => {
    let statements = cache.get(connection)
    if (statements === undefined) cache.set(connection, statements = new Map())
    let statement = statements.get(sql)
    if (statement === undefined) {
      statement = connection.prepare(sql)
      if (statements.size >= CACHED_STATEMENTS) statements.delete(statements.keys().next().value!)
      statements.set(sql, statement)
    }
    return statement
  }
  client._query = async function (connection, obj) {
    if (!obj.sql) throw new Error('The query is empty')
    const bindings = client._formatBindings(obj.bindings)
    const safeIntegers = client._optSafeIntegers(obj.options)
    const deadline = Date.now() + LOCK_WAIT_MS
    for (;;) {
      try {
        // (A statement asked for with its own integer mode is prepared apart, so the cached ones keep the default.)
        const statement = safeIntegers === undefined ? prepare(connection, obj.sql) : connection.prepare(obj.sql).safeIntegers(safeIntegers)
        if (statement.reader) {
          obj.response = statement.all(bindings)
          return obj
        }
        const response = statement.run(bindings)
        obj.response = response
        obj.context = { lastID: response.lastInsertRowid, changes: response.changes }
        return obj
      } catch (error) {
        if ((error as { code?: string }).code !== 'SQLITE_BUSY' || Date.now() >= deadline) throw error
        await new Promise((resolve) => setTimeout(resolve, RETRY_MS))
      }
    }
  }
}
