import type { Database } from '../core/db/database.ts'
import { sweepFiles } from '../core/files/file-store.ts'
import type { Logger } from '../core/logger.ts'
import { startPolling } from './poll-loop.ts'

/** How often a node looks for uploads nobody kept (500 at a time; it goes on at once while it finds a full batch). */
const SWEEP_MS = 60_000

/**
 * Removes uploads their plugins did not keep within an hour (an attachment whose form was never submitted), and
 * the bytes no file names any more. Returns the function that stops it.
 */
export function startFileSweep (db: Database, logger: Logger): () => Promise<void> {
  return startPolling(SWEEP_MS, async () => {
    let removed = 0
    for (let swept = await sweepFiles(db); swept > 0; swept = swept === 500 ? await sweepFiles(db) : 0) removed += swept
    if (removed > 0) logger.info({ removed }, 'uploads nobody kept removed')
  }, (error) => logger.error({ err: error }, 'file sweep failed'))
}
