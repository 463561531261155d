import type { Database } from '../core/db/database.ts'
import type { Logger } from '../core/logger.ts'

const HOUR_MS = 60 * 60_000

/**
 * Keeps the plugins' event outbox (`plugin_events`, written by `events.publish`) to the last
 * `days` days: a sweep at start and every hour deletes older events, so no plugin can grow it
 * without bound. Returns the function that stops it.
 */
export function startEventRetention (db: Database, days: number, logger: Logger): () => Promise<void> {
  const sweep = async (): Promise<void> => {
    try {
      const before = new Date(Date.now() - days * 24 * HOUR_MS).toISOString()
      const deleted = await db.knex('plugin_events').where('created_at', '<', before).delete()
      if (deleted > 0) logger.info({ deleted, before }, 'plugin events past their retention deleted')
    } catch (error) {
      logger.error({ err: error }, 'plugin event retention sweep failed')
    }
  }
  const first = sweep()
  const timer = setInterval(() => { void sweep() }, HOUR_MS)
  timer.unref()
  return async () => {
    clearInterval(timer)
    await first
  }
}
