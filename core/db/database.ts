import { mkdirSync } from 'node:fs'
import { dirname, resolve } from 'node:path'
import BetterSqlite3 from 'better-sqlite3'
import knexFactory, { type Knex } from 'knex'
import type pg from 'pg'
import { fold } from './fold.ts'
import { pipeline, type Statement, type StatementResult } from './pipeline.ts'
import { waitWithoutBlocking } from './sqlite-wait.ts'

export type Dialect = 'sqlite' | 'postgres'
export type Row = Record<string, unknown>

/**
 * The platform's database: knex for every write and most reads, plus `read`, a lean path for the
 * few queries on every request. On SQLite `read` runs prepared statements on a second, read-only
 * connection (WAL lets it see every committed write at once); on PostgreSQL it is `knex.raw`.
 * SQL given to `read` must be portable and use `?` placeholders.
 */
export interface Database {
  readonly knex: Knex
  readonly dialect: Dialect
  read<T extends Row = Row>(sql: string, params?: readonly unknown[]): Promise<T[]>
  /** A lean write outside knex (prepared statements on SQLite); returns the rows changed. */
  write(sql: string, params?: readonly unknown[]): Promise<number>
  /**
   * `read` and `write` answered on this thread (SQLite only, once its connections are open):
   * the sandbox's storage calls use them to answer a plugin within its call.
   */
  now(): Immediate | undefined
  /**
   * PostgreSQL only: statements (`$1` placeholders) sent together on one pooled connection and run as one
   * transaction, in one round trip (pipeline.ts).
   */
  pipeline?(statements: readonly Statement[]): Promise<StatementResult[]>
  close(): Promise<void>
}

export function createDatabase (url: string): Database {
  return url.startsWith('sqlite:') ? createSqlite(url.slice('sqlite:'.length)) : createPostgres(url)
}

/**
 * Reads and writes answered on the calling thread. Writes group into one transaction per turn of
 * the event loop, committed by `commit()` or at the end of the turn, whichever comes first: a
 * caller that answers for a write commits before it answers. Reads see the open transaction.
 */
export interface Immediate {
  read<T extends Row = Row>(sql: string, params?: readonly unknown[]): T[]
  write(sql: string, params?: readonly unknown[]): number
  commit(): void
}

function createSqlite (file: string): Database {
  const filename = resolve(file)
  mkdirSync(dirname(filename), { recursive: true })
  const knex = knexFactory({
    client: 'better-sqlite3',
    connection: { filename },
    useNullAsDefault: true,
    pool: {
      min: 1,
      max: 1,
      afterCreate (connection: BetterSqlite3.Database, done: (error: Error | null, connection: unknown) => void) {
        connection.pragma('journal_mode = WAL')
        connection.pragma('synchronous = NORMAL')
        connection.pragma('foreign_keys = ON')
        // Waits for another process's write lock without sleeping on this thread (sqlite-wait.ts).
        connection.pragma('busy_timeout = 0')
        withFunctions(connection)
        done(null, connection)
      },
    },
  })
  waitWithoutBlocking(knex)
  // Transactions take the write lock when they begin (BEGIN IMMEDIATE), waiting for it as sqlite-wait.ts does.
  // A deferred BEGIN reads first and then fails at once with SQLITE_BUSY (the snapshot is
  // stale) if a sandbox worker committed in between: an audited sign-in answered 500 that way.
  const makeTransaction = knex.client.transaction.bind(knex.client) as (...args: unknown[]) => {
    begin(conn: unknown): unknown,
    query(conn: unknown, sql: string): unknown,
  }
  knex.client.transaction = (...args: unknown[]) => {
    const trx = makeTransaction(...args)
    trx.begin = (conn: unknown) => trx.query(conn, 'BEGIN IMMEDIATE;')
    return trx
  }
  // Not opened `readonly`: a read-only connection cannot map the WAL index and rebuilds it by
  // reading the whole WAL on every query (50 µs instead of 2). `query_only` forbids writes.
  const reader = preparedConnection(knex, filename, ['busy_timeout = 5000', 'query_only = true'])
  const writer = preparedConnection(knex, filename, ['busy_timeout = 5000', 'foreign_keys = ON', 'synchronous = NORMAL'])
  // One commit per turn instead of one per write: a commit appends the changed pages to the WAL
  // and, every 1,000 pages, checkpoints with an fsync, which cost a storage write 80–120 µs alone.
  // (A checkpoint on a one-second timer instead let the WAL grow under load: slower, measured.)
  let open = false
  const commit = (): void => {
    if (!open) return
    open = false
    writer.statementNow('COMMIT').run()
  }
  const immediate: Immediate = {
    read: <T extends Row>(sql: string, params: readonly unknown[] = []): T[] => (open ? writer : reader).statementNow(sql).all(...params) as T[],
    write (sql, params = []) {
      if (!open) {
        writer.statementNow('BEGIN IMMEDIATE').run()
        open = true
        setImmediate(commit)
      }
      return writer.statementNow(sql).run(...params).changes
    },
    commit,
  }
  return {
    knex,
    dialect: 'sqlite',
    async read<T extends Row> (sql: string, params: readonly unknown[] = []): Promise<T[]> {
      return (await reader.statement(sql)).all(...params) as T[]
    },
    async write (sql: string, params: readonly unknown[] = []): Promise<number> {
      return (await writer.statement(sql)).run(...params).changes
    },
    now () {
      if (reader.opened() && writer.opened()) return immediate
      // Opened in the background on the first ask: every later call is answered on the thread.
      void reader.statement('select 1').catch(() => undefined)
      void writer.statement('select 1').catch(() => undefined)
      return undefined
    },
    async close () {
      if (writer.opened()) commit()
      reader.close()
      writer.close()
      await knex.destroy()
    },
  }
}

/** The SQL functions PostgreSQL has by migration, on a SQLite connection: `nentang_fold` (core/db/fold.ts). */
function withFunctions (connection: BetterSqlite3.Database): void {
  connection.function('nentang_fold', { deterministic: true }, (text: unknown) => typeof text === 'string' ? fold(text) : null)
}

/**
 * A better-sqlite3 connection beside knex's, with a cache of prepared statements. Opened on first
 * use, once knex has created the file.
 */
function preparedConnection (knex: Knex, filename: string, pragmas: string[]) {
  let connection: BetterSqlite3.Database | undefined
  let opening: Promise<BetterSqlite3.Database> | undefined
  const statements = new Map<string, BetterSqlite3.Statement>()
  return {
    async statement (sql: string): Promise<BetterSqlite3.Statement> {
      if (connection === undefined) {
        opening ??= knex.raw('select 1').then(() => {
          const opened = new BetterSqlite3(filename, { fileMustExist: true })
          for (const pragma of pragmas) opened.pragma(pragma)
          withFunctions(opened)
          return opened
        })
        connection = await opening
      }
      return this.statementNow(sql)
    },
    opened: () => connection !== undefined,
    /** Once `opened()`. */
    statementNow (sql: string): BetterSqlite3.Statement {
      let statement = statements.get(sql)
      if (statement === undefined) {
        statement = connection!.prepare(sql)
        statements.set(sql, statement)
      }
      return statement
    },
    close () {
      connection?.close()
    },
  }
}

function createPostgres (url: string): Database {
  const knex = knexFactory({ client: 'pg', connection: url, pool: { min: 0, max: 10 } })
  return {
    knex,
    dialect: 'postgres',
    async read<T extends Row> (sql: string, params: readonly unknown[] = []): Promise<T[]> {
      const result = await knex.raw(sql, params as Knex.RawBinding[])
      return result.rows as T[]
    },
    async write (sql: string, params: readonly unknown[] = []): Promise<number> {
      const result = await knex.raw(sql, params as Knex.RawBinding[])
      return Number(result.rowCount ?? 0)
    },
    now: () => undefined,
    async pipeline (statements: readonly Statement[]): Promise<StatementResult[]> {
      const client = await knex.client.acquireConnection() as pg.Client
      try {
        return await pipeline(client, statements)
      } finally {
        await knex.client.releaseConnection(client)
      }
    },
    async close () {
      await knex.destroy()
    },
  }
}

/** SQLite returns 0/1 for booleans, PostgreSQL true/false. */
export function toBoolean (value: unknown): boolean {
  return value === true || value === 1 || value === '1'
}

/** Runs `work` in a transaction: every request that writes more than one row goes through here. */
export function transaction<T> (db: Database, work: (trx: Knex.Transaction) => Promise<T>): Promise<T> {
  return db.knex.transaction(work)
}

/** True for a unique-constraint violation on either database, so callers can answer 409 instead of 500. */
export function isUniqueViolation (error: unknown): boolean {
  const code = (error as { code?: unknown } | null)?.code
  return code === '23505' || code === 'SQLITE_CONSTRAINT_UNIQUE' || code === 'SQLITE_CONSTRAINT_PRIMARYKEY'
}
