import { randomUUID } from 'node:crypto'
import type { Database } from '../../../core/db/database.ts'
import type { PluginSpec } from '../../protocol.ts'
import type { RunningRequest } from '../plugin-isolate.ts'
import { HostCallError, denied, invalid } from '../../host-error.ts'
import { LATER } from './later.ts'

/** How far ahead a timer may be set, and how much it may carry. */
export const TIMER_MAX_AHEAD_MS = 366 * 24 * 3600_000
export const TIMER_MAX_PAYLOAD = 16 * 1024
/** Timers one installation may have waiting at once (a deadline per open dossier: a province has many). */
export const TIMERS_PER_INSTALLATION = 100_000
/** How long a count of an installation's waiting timers is trusted before it is counted again. */
const RECOUNT_MS = 10_000

const INSERT_TIMER = 'insert into plugin_timers (timer_id, tenant_id, mount, plugin, handler, payload, due_at, attempts, created_at, request_id) values (?, ?, ?, ?, ?, ?, ?, 0, ?, ?)'
const COUNT_TIMERS = 'select count(*) as n from plugin_timers where tenant_id = ? and mount = ? and plugin = ?'

/**
 * `timers.at(when, handler, payload)`: the worker writes the timer itself, on SQLite in the transaction of this turn
 * with the request's documents (so a dossier and its deadline land together, and the gateway's thread never waits for
 * the worker's write lock); on PostgreSQL through the worker's role, which may insert timers and count them, not read
 * them. The gateway runs them when due (platform/timers.ts). Waiting timers are counted once in RECOUNT_MS per
 * installation, and counted up as they are set in between.
 */
export function createTimers (db: Database) {
  const waiting = new Map<string, { n: number, countedAt: number }>()

  function check (spec: PluginSpec, args: unknown[]): { due: string, handler: string, payload: string } {
    const handlers = spec.permissions.timers ?? []
    if (handlers.length === 0) throw denied('the manifest does not ask for timers')
    const [when, handler, payload = null] = args
    const at = typeof when === 'number' || typeof when === 'string' ? new Date(when) : new Date(Number.NaN)
    if (Number.isNaN(at.getTime())) throw invalid('when is a time: an ISO 8601 string, or milliseconds since 1970')
    if (at.getTime() > Date.now() + TIMER_MAX_AHEAD_MS) throw invalid('a timer is set at most 366 days ahead')
    if (typeof handler !== 'string' || !handlers.includes(handler)) throw denied(`permissions.timers does not name the handler '${String(handler).slice(0, 64)}'`)
    const text = JSON.stringify(payload)
    if (text === undefined || text.length > TIMER_MAX_PAYLOAD) throw invalid(`a timer's payload is JSON of at most ${TIMER_MAX_PAYLOAD} characters`)
    return { due: at.toISOString(), handler, payload: text }
  }

  const keyOf = (spec: PluginSpec): string => `${spec.tenantId}\u0000${spec.mount}\u0000${spec.name}`
  function stale (key: string): boolean {
    const known = waiting.get(key)
    return known === undefined || Date.now() - known.countedAt > RECOUNT_MS
  }
  /** Counts the timer in, with `counted` as the installation's fresh count when it was stale. */
  function admit (key: string, counted: number | undefined): void {
    if (counted !== undefined) {
      if (waiting.size > 10_000) waiting.clear()
      waiting.set(key, { n: counted, countedAt: Date.now() })
    }
    const known = waiting.get(key) ?? { n: 0, countedAt: Date.now() }
    if (known.n >= TIMERS_PER_INSTALLATION) throw new HostCallError('QuotaExceeded', `an installation has at most ${TIMERS_PER_INSTALLATION} timers waiting`)
    known.n++
    waiting.set(key, known)
  }

  const values = (spec: PluginSpec, request: RunningRequest, timer: ReturnType<typeof check>, id: string): unknown[] =>
    [id, spec.tenantId, spec.mount, spec.name, timer.handler, timer.payload, timer.due, new Date().toISOString(), request.requestId ?? null]
  const scope = (spec: PluginSpec): unknown[] => [spec.tenantId, spec.mount, spec.name]

  return {
    now (spec: PluginSpec, request: RunningRequest, args: unknown[]): string | typeof LATER {
      const timer = check(spec, args)
      const sync = db.now()
      if (sync === undefined) return LATER
      const key = keyOf(spec)
      admit(key, stale(key) ? Number(sync.read<{ n: number }>(COUNT_TIMERS, scope(spec))[0]?.n ?? 0) : undefined)
      const id = randomUUID()
      sync.write(INSERT_TIMER, values(spec, request, timer, id))
      return id
    },
    async later (spec: PluginSpec, request: RunningRequest, args: unknown[]): Promise<string> {
      const timer = check(spec, args)
      const key = keyOf(spec)
      admit(key, stale(key) ? Number((await db.read<{ n: number | string }>(COUNT_TIMERS, scope(spec)))[0]?.n ?? 0) : undefined)
      const id = randomUUID()
      await db.write(INSERT_TIMER, values(spec, request, timer, id))
      return id
    },
  }
}
