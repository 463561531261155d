import { EventEmitter } from 'node:events'
import type { Knex } from 'knex'
import pg from 'pg'
import type { Database } from '../db/database.ts'
import type { Logger } from '../logger.ts'

export type ChangeListener = (payload: Record<string, unknown>) => void

/**
 * Tells every gateway node that something changed, once the change has committed: in-process on
 * SQLite (one node), through PostgreSQL LISTEN/NOTIFY between nodes. Each node also hears its own
 * changes synchronously on commit, so it never serves its own stale cache. While the listening
 * connection is down, `healthy` is false and caches must not be trusted; on reconnect every
 * subscriber of `resync` is told to drop what it holds.
 */
export interface ChangeFeed {
  /** Announces `topic` when `trx` commits (at once when there is no transaction). */
  publish(trx: Knex.Transaction | undefined, topic: string, payload: Record<string, unknown>): Promise<void>
  /** Returns the function that unsubscribes. */
  subscribe(topic: string, listener: ChangeListener): () => void
  readonly healthy: boolean
  /** This node's name on the feed (PostgreSQL `application_name` of its listening connection). */
  readonly name: string
  close(): Promise<void>
}

const CHANNEL = 'nentang_changes'

/**
 * `heard`, told of every change another node announced with how long it took to arrive (clocks of one cluster agree
 * to a few milliseconds under NTP; a negative figure is a clock's, not the feed's).
 */
export async function createChangeFeed (db: Database, url: string, logger: Logger, heard?: (seconds: number) => void): Promise<ChangeFeed> {
  const local = new EventEmitter()
  local.setMaxListeners(0)
  const deliver = (topic: string, payload: Record<string, unknown>): void => {
    try {
      local.emit(topic, payload)
    } catch (error) {
      logger.error({ err: error, topic }, 'a change listener failed')
    }
  }
  const afterCommit = (trx: Knex.Transaction | undefined, run: () => void): void => {
    if (trx === undefined) run()
    else trx.executionPromise.then(run, () => undefined)
  }
  const subscribe = (topic: string, listener: ChangeListener): (() => void) => {
    local.on(topic, listener)
    return () => { local.off(topic, listener) }
  }

  if (db.dialect === 'sqlite') {
    return {
      healthy: true,
      name: `nentang-changes-${process.pid}`,
      async publish (trx, topic, payload) { afterCommit(trx, () => deliver(topic, payload)) },
      subscribe,
      async close () { local.removeAllListeners() },
    }
  }

  const origin = `${process.pid}-${Math.random().toString(36).slice(2)}`
  let client: pg.Client | undefined
  let healthy = false
  let closed = false
  let retryMs = 100

  async function listen (): Promise<void> {
    const next = new pg.Client({ connectionString: url, application_name: `nentang-changes-${origin}` })
    next.on('notification', (message) => {
      if (message.payload === undefined) return
      try {
        const { o, t, p, a } = JSON.parse(message.payload) as { o: string, t: string, p: Record<string, unknown>, a?: number }
        if (o === origin) return
        deliver(t, p)
        if (typeof a === 'number') heard?.((Date.now() - a) / 1000)
      } catch (error) {
        logger.warn({ err: error }, 'unreadable change notification')
      }
    })
    next.on('error', (error) => {
      logger.warn({ err: error }, 'change feed connection lost')
      lost(next)
    })
    next.on('end', () => lost(next))
    await next.connect()
    await next.query(`listen ${CHANNEL}`)
    client = next
    healthy = true
    retryMs = 100
    // Whatever happened while nobody listened is unknown: every cache starts over.
    deliver('resync', {})
  }

  function lost (which: pg.Client): void {
    if (client !== which && client !== undefined) return
    client = undefined
    if (healthy) deliver('resync', {})
    healthy = false
    which.end().catch(() => undefined)
    if (!closed) setTimeout(reconnect, retryMs).unref()
  }

  function reconnect (): void {
    if (closed || client !== undefined) return
    listen().catch((error: unknown) => {
      logger.warn({ err: error, retryMs }, 'change feed cannot reconnect yet')
      retryMs = Math.min(retryMs * 2, 5000)
      setTimeout(reconnect, retryMs).unref()
    })
  }

  await listen()
  return {
    get healthy () { return healthy },
    name: `nentang-changes-${origin}`,
    async publish (trx, topic, payload) {
      const message = JSON.stringify({ o: origin, t: topic, p: payload, a: Date.now() })
      await (trx ?? db.knex).raw('select pg_notify(?, ?)', [CHANNEL, message])
      afterCommit(trx, () => deliver(topic, payload))
    },
    subscribe,
    async close () {
      closed = true
      healthy = false
      local.removeAllListeners()
      const current = client
      client = undefined
      await current?.end().catch(() => undefined)
    },
  }
}
