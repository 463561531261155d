import type { Database } from '../core/db/database.ts'
import type { Logger } from '../core/logger.ts'
import type { HttpMetrics } from '../core/metrics.ts'
import { startPolling } from './poll-loop.ts'

/** How often a node looks whether one of the cluster's jobs is due (one small read). */
const CHECK_MS = 1000

export interface ClusterJob {
  /** Permanent: the job's row in `scheduled_jobs`. */
  name: string
  everyMs: number
  run: () => Promise<void>
}

/**
 * Work the cluster does once per period, whichever node does it: the sweeps of sessions, uploads, events and idle
 * accounts, the audit archive. Every node looks each second for a due job; the node whose conditional update moves
 * the job's due time one period on runs it, and the others find it no longer due, so with any number of nodes a
 * period's run happens once. A node that dies while running leaves the job to the next period (every job here is a
 * sweep that takes up where the last one stopped). A new job is first due one period after the first node knew it.
 * Resolves, once the jobs are known to the database, with the function that stops it.
 */
export async function startClusterJobs (
  deps: { db: Database, logger: Logger, node: string, metrics: Pick<HttpMetrics, 'jobRan'> },
  jobs: ClusterJob[]
): Promise<() => Promise<void>> {
  const { db, logger, node, metrics } = deps
  const byName = new Map(jobs.map((job) => [job.name, job]))
  const now = Date.now()
  for (const job of jobs) {
    await db.write('insert into scheduled_jobs (name, due_at, runs) values (?, ?, 0) on conflict (name) do nothing', [job.name, new Date(now + job.everyMs).toISOString()])
  }

  async function tick (): Promise<void> {
    const now = new Date()
    const due = await db.read<{ name: string }>('select name from scheduled_jobs where due_at <= ?', [now.toISOString()])
    for (const { name } of due) {
      const job = byName.get(name)
      if (job === undefined) continue // a job of another build of the platform (a rolling upgrade): its nodes run it
      const next = new Date(now.getTime() + job.everyMs).toISOString()
      const taken = await db.write('update scheduled_jobs set due_at = ?, node = ?, started_at = ?, runs = runs + 1 where name = ? and due_at <= ?',
        [next, node, now.toISOString(), name, now.toISOString()])
      if (taken !== 1) continue
      const started = performance.now()
      try {
        await job.run()
        metrics.jobRan(name, 'done')
        logger.debug({ job: name, ms: Math.round(performance.now() - started) }, 'scheduled job ran')
      } catch (error) {
        metrics.jobRan(name, 'failed')
        logger.error({ err: error, job: name }, 'scheduled job failed; it runs again next period')
      } finally {
        await db.write('update scheduled_jobs set finished_at = ? where name = ? and node = ?', [new Date().toISOString(), name, node])
      }
    }
  }

  return startPolling(CHECK_MS, tick, (error) => { logger.error({ err: error }, 'looking for due scheduled jobs failed') })
}
