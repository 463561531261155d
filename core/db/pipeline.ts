import pg from 'pg'
// @ts-expect-error: pg's own value mapping (dates, buffers, arrays, JSON), as every query binds; it has no types.
import pgUtils from 'pg/lib/utils.js'

/** One statement of a pipeline: PostgreSQL's own `$1` placeholders. */
export interface Statement { sql: string, params: readonly unknown[] }
export interface StatementResult { rows: Array<Record<string, unknown>>, rowCount: number }

const prepareValue = (pgUtils as { prepareValue: (value: unknown) => unknown }).prepareValue

/**
 * Statements sent to PostgreSQL together and answered together: Parse, Bind, Describe and Execute for
 * each, then one Sync. The server runs them in one implicit transaction (committed at the Sync, rolled
 * back whole when one fails, so settings made with `set_config(…, true)` hold for the statements after
 * them and end with it) and the client waits one round trip instead of one per statement. A submittable
 * of node-postgres, the interface its cursors and streams use; results arrive as for a multi-statement
 * simple query.
 */
class Pipeline extends pg.Query {
  private readonly statements: readonly Statement[]

  constructor (statements: readonly Statement[], callback: (error: Error | null, results: unknown) => void) {
    super({ text: 'pipeline', values: [], callback } as pg.QueryConfig)
    this.statements = statements
  }

  requiresPreparation (): boolean {
    return true
  }

  prepare (connection: PipelineConnection): void {
    try {
      for (const { sql, params } of this.statements) {
        connection.parse({ text: sql })
        connection.bind({ values: params, valueMapper: prepareValue })
        connection.describe({ type: 'P', name: '' })
        connection.execute({ portal: '' })
      }
    } catch (error) {
      // A value that cannot be sent (pg's mapping threw): whatever went out is discarded at the Sync.
      connection.sync()
      ;(this as unknown as { handleError: (error: unknown, connection: unknown) => void }).handleError(error, connection)
      return
    }
    connection.sync()
  }
}

interface PipelineConnection {
  parse(message: { text: string }): void
  bind(message: { values: readonly unknown[], valueMapper: (value: unknown) => unknown }): void
  describe(message: { type: 'P', name: string }): void
  execute(message: { portal: string }): void
  sync(): void
}

/** Runs `statements` on `client` in one round trip and one transaction; a failed one rejects, none of them kept. */
export function pipeline (client: pg.Client, statements: readonly Statement[]): Promise<StatementResult[]> {
  return new Promise((resolve, reject) => {
    client.query(new Pipeline(statements, (error, results) => {
      if (error !== null) {
        reject(error)
        return
      }
      const list = (Array.isArray(results) ? results : [results]) as Array<{ rows: Array<Record<string, unknown>>, rowCount: number | null }>
      resolve(list.map((result) => ({ rows: result.rows, rowCount: Number(result.rowCount ?? 0) })))
    }) as unknown as pg.QueryConfig)
  })
}
