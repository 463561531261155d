import { randomUUID } from 'node:crypto'
import type { Database } from '../core/db/database.ts'
import type { Logger } from '../core/logger.ts'
import { effectiveInstallations } from '../registry/installations.ts'
import { startPolling } from './poll-loop.ts'

const POLL_MS = 250
const BATCH = 200
/** One node fans out at a time (a transaction-scoped advisory lock on PostgreSQL; SQLite has one writer). */
const FAN_OUT_LOCK = 0x6e657674

/** What a subscriber's handler gets as its request's body. */
export interface Delivered {
  id: number
  type: string
  payload: unknown
  publisher: { plugin: string, tenant: string }
  publishedAt: string
}

/**
 * Delivers plugins' events (`events.publish`) to the subscribers of the unit they were published at: the
 * installations serving it, its own and those it inherits, whose approved version names the type under
 * `permissions.events.subscribe`. Each new event becomes one delivery per subscriber, a timer due at once in that
 * subscriber's queue (platform/timers.ts runs it: at least once, one after another in the order published,
 * retried, dropped for a revoked version). Returns the function that stops it.
 */
export function startEventDelivery (deps: { db: Database, logger: Logger }): () => Promise<void> {
  const { db, logger } = deps
  async function fanOut (): Promise<void> {
    const [waiting] = await db.read('select id from plugin_events where fanned_out_at is null limit 1')
    if (waiting === undefined) return
    const events = await db.knex('plugin_events').whereNull('fanned_out_at').orderBy('id').limit(BATCH)
    // Who subscribes, per unit, read before the transaction (SQLite's one connection is the transaction's).
    const subscribers = new Map<number, Subscriber[]>()
    for (const event of events) {
      if (!subscribers.has(Number(event.tenant_id))) subscribers.set(Number(event.tenant_id), await subscribersAt(Number(event.tenant_id)))
    }
    await db.knex.transaction(async (trx) => {
      if (db.dialect === 'postgres') await trx.raw('select pg_advisory_xact_lock(?)', [FAN_OUT_LOCK])
      // Another node may have fanned some of them out meanwhile: only those still waiting.
      const pending = new Set((await trx('plugin_events').whereIn('id', events.map((event) => event.id)).whereNull('fanned_out_at').pluck('id')).map(Number))
      const now = new Date().toISOString()
      for (const event of events.filter((one) => pending.has(Number(one.id)))) {
        for (const subscriber of subscribers.get(Number(event.tenant_id)) ?? []) {
          const handler = subscriber.subscribe[String(event.type)]
          if (handler === undefined) continue
          const body: Delivered = {
            id: Number(event.id),
            type: String(event.type),
            payload: JSON.parse(String(event.payload)),
            publisher: { plugin: String(event.plugin), tenant: subscriber.tenant },
            publishedAt: String(event.created_at),
          }
          await trx('plugin_timers').insert({
            timer_id: randomUUID(),
            tenant_id: event.tenant_id,
            mount: subscriber.mount,
            plugin: subscriber.plugin,
            handler,
            payload: JSON.stringify(body),
            due_at: now,
            attempts: 0,
            created_at: now,
            request_id: event.request_id,
            queue: `${String(event.tenant_id)}/${subscriber.mount}`,
            event_id: event.id,
          })
        }
      }
      await trx('plugin_events').whereIn('id', [...pending]).update({ fanned_out_at: now })
    })
  }

  interface Subscriber { tenant: string, mount: string, plugin: string, subscribe: Record<string, string> }

  /** The installations serving a unit whose approved version subscribes to anything. */
  async function subscribersAt (tenantId: number): Promise<Subscriber[]> {
    const tenant = await db.knex('tenants').where({ id: tenantId }).first('code', 'path')
    if (tenant === undefined) return []
    const { own, inherited, manifests } = await effectiveInstallations(db, { code: String(tenant.code), path: String(tenant.path) })
    return [...own, ...inherited].flatMap((row) => {
      const version = manifests.get(`${row.name}@${row.version}`)
      const subscribe = version?.manifest.permissions?.events?.subscribe
      return version?.status === 'approved' && subscribe !== undefined ? [{ tenant: String(tenant.code), mount: row.mount, plugin: row.name, subscribe }] : []
    })
  }

  return startPolling(POLL_MS, fanOut, (error) => { logger.error({ err: error }, 'fanning out plugin events failed') })
}
