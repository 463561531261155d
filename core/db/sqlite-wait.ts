import type BetterSqlite3 from 'better-sqlite3'
import type { Knex } from 'knex'

/** How long a statement waits for another process's write lock before it fails with SQLITE_BUSY. */
export const LOCK_WAIT_MS = 5000
/**
 * The pauses between tries: short at first, so the lock is taken in the first gap a sandbox worker leaves, then
 * longer, so that a gateway writing without pause leaves gaps in turn to a worker waiting in SQLite's busy handler.
 */
const RETRY_MS = [1, 1, 2, 2, 5, 5, 10]
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
 *   LOCK_WAIT_MS. Retrying is safe: a statement that answers SQLITE_BUSY or one of its kinds did nothing (a BEGIN
 *   IMMEDIATE, an autocommit write, a read meeting a WAL being reset); a write inside a transaction already holds
 *   the lock.
 * - **Statements are prepared once per connection** (knex prepared each query anew: a tenth of the gateway's CPU).
 */
export function waitWithoutBlocking (knex: Knex): void {
  // On the client's class, not the instance: knex runs a transaction's statements through a client made from the
  // class's prototype (makeTxClient), which an instance's own method would miss.
  const prototype = Object.getPrototypeOf(knex.client) as BetterSqliteClient & { [PATCHED]?: true }
  if (prototype[PATCHED] === true) return
  prototype[PATCHED] = true
  prototype._query = async function (this: BetterSqliteClient, connection, obj) {
    if (!obj.sql) throw new Error('The query is empty')
    const bindings = this._formatBindings(obj.bindings)
    const safeIntegers = this._optSafeIntegers(obj.options)
    const deadline = Date.now() + LOCK_WAIT_MS
    for (let attempt = 0; ; attempt++) {
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
        if (!String((error as { code?: string }).code).startsWith('SQLITE_BUSY') || Date.now() >= deadline) throw error
        await new Promise((resolve) => setTimeout(resolve, RETRY_MS[Math.min(attempt, RETRY_MS.length - 1)]))
      }
    }
  }
}

const PATCHED = Symbol('nentang.sqliteWait')
const statementsOf = new WeakMap<BetterSqlite3.Database, Map<string, BetterSqlite3.Statement>>()

function prepare (connection: BetterSqlite3.Database, sql: string): BetterSqlite3.Statement {
  let statements = statementsOf.get(connection)
  if (statements === undefined) statementsOf.set(connection, statements = new Map())
  let statement = statements.get(sql)
  if (statement === undefined) {
    statement = connection.prepare(sql)
    if (statements.size >= CACHED_STATEMENTS) statements.delete(statements.keys().next().value!)
    statements.set(sql, statement)
  }
  return statement
}
