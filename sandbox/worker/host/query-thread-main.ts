/**
 * A query thread (sandbox/worker/host/query-threads.ts): a read-only SQLite connection of its own, answering one
 * query at a time, so a long aggregate or search blocks this thread, never the worker's, where every other
 * tenant's requests run. Killed when a query runs past its request's time.
 */
import { parentPort, workerData } from 'node:worker_threads'
import BetterSqlite3 from 'better-sqlite3'
import { fold } from '../../../core/db/fold.ts'

const connection = new BetterSqlite3(String(workerData.filename), { fileMustExist: true })
connection.pragma('busy_timeout = 5000')
connection.pragma('query_only = true')
connection.function('nentang_fold', { deterministic: true }, (text: unknown) => typeof text === 'string' ? fold(text) : null)
const statements = new Map<string, BetterSqlite3.Statement>()

parentPort!.on('message', ({ id, sql, params }: { id: number, sql: string, params: unknown[] }) => {
  try {
    let statement = statements.get(sql)
    if (statement === undefined) {
      if (statements.size > 500) statements.clear()
      statement = connection.prepare(sql)
      statements.set(sql, statement)
    }
    parentPort!.postMessage({ id, rows: statement.all(...params) })
  } catch (error) {
    parentPort!.postMessage({ id, error: { message: String((error as Error).message), code: (error as { code?: string }).code } })
  }
})
