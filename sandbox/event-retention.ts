import type { Database } from '../core/db/database.ts'
import type { Logger } from '../core/logger.ts'

const DAY_MS = 24 * 60 * 60_000

/**
 * Keeps the plugins' event outbox (`plugin_events`, written by `events.publish`) to the last `days` days, so no plugin
 * can grow it without bound: deletes older events. The cluster runs it hourly (platform/cluster-jobs.ts).
 */
export async function sweepEvents (db: Database, days: number, logger: Logger, now = Date.now()): Promise<number> {
  const before = new Date(now - days * DAY_MS).toISOString()
  const deleted = await db.knex('plugin_events').where('created_at', '<', before).delete()
  if (deleted > 0) logger.info({ deleted, before }, 'plugin events past their retention deleted')
  return deleted
}
