import { randomUUID } from 'node:crypto'
import type { Database } from '../core/db/database.ts'
import type { Logger } from '../core/logger.ts'
import type { ActiveInstallation } from '../registry/routing-table.ts'
import type { Supervisor } from '../sandbox/supervisor.ts'
import { startPolling } from './poll-loop.ts'

/** How often a node looks for due timers, how many it takes at once, and how long it holds them. */
const POLL_MS = 250
const BATCH = 20
const LEASE_MS = 15_000
/**
 * A node renews the leases of the timers it is running this often: a long handler keeps its timer, a dead node's run
 * out soon.
 */
const RENEW_MS = 5_000
/** A timer whose handler keeps failing is tried this often, with a doubling pause (1 s, 2 s, 4 s…), then dropped. */
const MAX_ATTEMPTS = 5
/**
 * Due, not held by a node, and first in its queue: an event's deliveries to one subscriber run one after another,
 * in the order the events were published (a failing one holds the rest back until it succeeds or is dropped).
 */
const CLAIMABLE = `due_at <= ? and (claimed_until is null or claimed_until < ?)
  and (queue is null or not exists (select 1 from plugin_timers e where e.queue = t.queue and e.id < t.id))`

export interface TimerDeps {
  db: Database
  /** This node's id (platform/start.ts), recorded beside the timers it holds. */
  node: string
  logger: Logger
  supervisor: Pick<Supervisor, 'dispatch'>
  /** The installation serving `tenant/mount` now (throws REG_ERR_REVOKED for a revoked version). */
  resolve: (tenant: string, mount: string) => Promise<ActiveInstallation | undefined>
}

interface Claimed {
  id: number
  timer_id: string
  tenant_id: number
  mount: string
  plugin: string
  handler: string
  payload: string
  attempts: number
  /** Set for an event's delivery: the handler is a subscriber's. */
  event_id: number | null
}

/**
 * Runs plugins' timers (`timers.at`) when they fall due, at least once: a node claims due timers for a lease (on
 * PostgreSQL with SKIP LOCKED, so several nodes never take one together), runs each handler through the sandbox as
 * a request with no user and the timer's payload as its body, and deletes the timer when the handler answered. A
 * failure is tried again later. A node renews the leases of the timers it is running; one that dies lets them run out
 * (15 s), and another node runs them. A timer whose installation is gone, serves another package, or runs a revoked
 * version is dropped, not run. Returns the function that stops it.
 */
export function startTimers (deps: TimerDeps): () => Promise<void> {
  const { db, logger } = deps
  async function claim (): Promise<Claimed[]> {
    const now = new Date().toISOString()
    const lease = new Date(Date.now() + LEASE_MS).toISOString()
    // A read first: most ticks find nothing due, and an UPDATE would take SQLite's one write lock for nothing.
    const [any] = await db.read(`select id from plugin_timers t where ${CLAIMABLE} limit 1`, [now, now])
    if (any === undefined) return []
    const lock = db.dialect === 'postgres' ? 'for update skip locked' : ''
    const result = await db.knex.raw(`update plugin_timers set claimed_until = ?, claimed_by = ?, attempts = attempts + 1
      where id in (select id from plugin_timers t where ${CLAIMABLE} order by due_at limit ${BATCH} ${lock})
      returning id, timer_id, tenant_id, mount, plugin, handler, payload, attempts, event_id`, [lease, deps.node, now, now])
    return (db.dialect === 'postgres' ? result.rows : result) as Claimed[]
  }

  async function run (due: Claimed): Promise<void> {
    const drop = async (why: string): Promise<void> => {
      await db.knex('plugin_timers').where({ id: due.id }).delete()
      logger.warn({ timer: due.timer_id, plugin: due.plugin, mount: due.mount, handler: due.handler }, `timer dropped: ${why}`)
    }
    const tenant = await db.knex('tenants').where({ id: due.tenant_id }).first('code')
    if (tenant === undefined) return drop('its unit is gone')
    let installation: ActiveInstallation | undefined
    try {
      installation = await deps.resolve(String(tenant.code), due.mount)
    } catch (error) {
      if ((error as { code?: string }).code === 'REG_ERR_REVOKED') return drop('its version was revoked')
      throw error
    }
    if (installation === undefined || installation.name !== due.plugin) return drop('its plugin is no longer installed there')
    const named = due.event_id === null ? installation.spec.permissions.timers ?? [] : Object.values(installation.spec.permissions.events?.subscribe ?? {})
    if (!named.includes(due.handler)) return drop('the installed version does not name its handler')
    const outcome = await deps.supervisor.dispatch(installation.tier, installation.spec, due.handler, randomUUID(), {
      method: 'POST',
      path: due.event_id === null ? `/timers/${due.handler}` : `/events/${due.handler}`,
      params: {},
      query: {},
      headers: {},
      body: JSON.parse(due.payload),
      user: null,
      tenant: String(tenant.code),
    })
    if (outcome.ok && outcome.response.status < 500) {
      await db.knex('plugin_timers').where({ id: due.id }).delete()
      return
    }
    const why = outcome.ok ? `status ${outcome.response.status}` : `${outcome.code}: ${outcome.message}`
    if (due.attempts >= MAX_ATTEMPTS) return drop(`its handler failed ${due.attempts} times (${why})`)
    const again = new Date(Date.now() + 1000 * 2 ** (due.attempts - 1)).toISOString()
    await db.knex('plugin_timers').where({ id: due.id }).update({ due_at: again, claimed_until: null })
    logger.info({ timer: due.timer_id, plugin: due.plugin, attempt: due.attempts, retryAt: again }, `timer failed (${why}); tried again later`)
  }

  const running = new Set<number>()
  const renewal = setInterval(() => {
    if (running.size === 0) return
    const until = new Date(Date.now() + LEASE_MS).toISOString()
    const ids = [...running]
    db.write(`update plugin_timers set claimed_until = ? where id in (${ids.map(() => '?').join(', ')})`, [until, ...ids])
      .catch((error: unknown) => { logger.error({ err: error }, 'renewing the leases of running timers failed') })
  }, RENEW_MS)
  renewal.unref()

  async function tick (): Promise<void> {
    try {
      const due = await claim()
      for (const one of due) running.add(one.id)
      await Promise.all(due.map((one) => run(one).catch((error: unknown) => {
        // Left claimed: it runs again when its lease runs out.
        logger.error({ err: error, timer: one.timer_id }, 'running a timer failed')
      }).finally(() => running.delete(one.id))))
    } catch (error) {
      logger.error({ err: error }, 'claiming due timers failed')
    }
  }

  const stop = startPolling(POLL_MS, tick, (error) => { logger.error({ err: error }, 'running timers failed') })
  return async () => {
    await stop()
    clearInterval(renewal)
  }
}
