import type { Database } from '../core/db/database.ts'
import { sweepFiles } from '../core/files/file-store.ts'
import type { Logger } from '../core/logger.ts'

/**
 * Removes uploads their plugins did not keep within an hour (an attachment whose form was never submitted), and the
 * bytes no file names any more, 500 at a time while it finds full batches. The cluster runs it every minute
 * (platform/cluster-jobs.ts).
 */
export async function sweepUploads (db: Database, logger: Logger): Promise<void> {
  let removed = 0
  for (let swept = await sweepFiles(db); swept > 0; swept = swept === 500 ? await sweepFiles(db) : 0) removed += swept
  if (removed > 0) logger.info({ removed }, 'uploads nobody kept removed')
}
