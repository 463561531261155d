import type { Database } from '../../core/db/database.ts'
import type { HostApi, RunningRequest } from '../plugin-isolate.ts'
import type { PluginSpec } from '../protocol.ts'
import { publishEvent } from './events.ts'
import { HostCallError } from './host-error.ts'
import { fetchForPlugin, type FetchPolicy } from './http-fetch.ts'
import { getSecret } from './secrets.ts'
import { createStorage } from './storage.ts'
import { currentUser } from './users.ts'

// A plugin may write 20 log lines a second, in bursts of 100; the rest are dropped and counted.
const LOG_LINES_PER_SECOND = 20
const LOG_BURST = 100

/** A token bucket per key; reports how many it refused once the key has tokens again. */
function createRateLimit (perSecond: number, burst: number, onDropped: (key: string, dropped: number) => void) {
  const buckets = new Map<string, { tokens: number, at: number, dropped: number }>()
  return {
    take (key: string): boolean {
      const now = Date.now()
      const bucket = buckets.get(key) ?? { tokens: burst, at: now, dropped: 0 }
      bucket.tokens = Math.min(burst, bucket.tokens + (now - bucket.at) * perSecond / 1000)
      bucket.at = now
      buckets.set(key, bucket)
      if (bucket.tokens < 1) {
        bucket.dropped++
        return false
      }
      bucket.tokens--
      if (bucket.dropped > 0) {
        onDropped(key, bucket.dropped)
        bucket.dropped = 0
      }
      return true
    },
  }
}

type HostFunction = (spec: PluginSpec, request: RunningRequest, args: unknown[]) => unknown

export interface HostDeps {
  db: Database
  fetchPolicy: FetchPolicy
  log(level: string, fields: Record<string, unknown>, msg: string): void
}

/**
 * The SDK's host side: counts the call against the request's budget, then hands it to the host
 * function, each of which checks its permission and arguments before it acts. A refused permission
 * is logged for the audit trail.
 */
export function createHostApi (deps: HostDeps): HostApi {
  const storage = createStorage(deps.db)
  const logAllowance = createRateLimit(LOG_LINES_PER_SECOND, LOG_BURST, (key, dropped) => {
    deps.log('warn', { installation: key, dropped }, 'plugin log lines dropped: over the rate limit')
  })
  const functions: Record<string, HostFunction> = {
    'storage.insert': (spec, _request, args) => storage.insert(spec, args),
    'storage.get': (spec, _request, args) => storage.get(spec, args),
    'storage.update': (spec, _request, args) => storage.update(spec, args),
    'storage.remove': (spec, _request, args) => storage.remove(spec, args),
    'storage.find': (spec, _request, args) => storage.find(spec, args),
    'storage.count': (spec, _request, args) => storage.count(spec, args),
    'storage.aggregate': (spec, _request, args) => storage.aggregate(spec, args),
    'secrets.get': (spec, _request, args) => getSecret(spec, args),
    'events.publish': (spec, request, args) => publishEvent(deps.db, spec, request, args),
    'users.current': (_spec, request) => currentUser(request),
    'http.fetch': (spec, request, args) => fetchForPlugin(deps.fetchPolicy, spec, request, args),
  }

  return {
    async call (spec, request, op, args) {
      request.hostCalls++
      if (request.hostCalls > spec.limits.hostCalls) {
        request.overBudget = true
        throw new HostCallError('BudgetExceeded', `more than ${spec.limits.hostCalls} host calls in one request`)
      }
      const fn = functions[op]
      if (fn === undefined) throw new HostCallError('HostError', `no host function '${op.slice(0, 64)}'`)
      try {
        return await fn(spec, request, args)
      } catch (error) {
        if (error instanceof HostCallError) {
          if (error.name === 'PermissionDenied') {
            deps.log('warn', { audit: 'sandbox.permission-denied', tenant: spec.tenant, plugin: spec.name, version: spec.version, requestId: request.requestId, op }, error.message)
          }
          throw error
        }
        deps.log('error', { tenant: spec.tenant, plugin: spec.name, version: spec.version, requestId: request.requestId, op, err: String((error as Error)?.message ?? error) }, 'host function failed')
        throw new HostCallError('HostError', `${op} failed`)
      }
    },
    log (spec, request, level, text) {
      if (!logAllowance.take(spec.key)) return
      deps.log(level === 'warn' || level === 'error' ? level : 'info', { tenant: spec.tenant, plugin: spec.name, version: spec.version, requestId: request?.requestId ?? null, source: 'plugin' }, text)
    },
  }
}
