import type { Database } from '../../core/db/database.ts'
import type { HostApi, RunningRequest } from '../plugin-isolate.ts'
import type { PluginSpec } from '../protocol.ts'
import { publishEvent } from './events.ts'
import { HostCallError } from './host-error.ts'
import { fetchForPlugin, type FetchPolicy } from './http-fetch.ts'
import { createPluginLog } from './log.ts'
import { getSecret } from './secrets.ts'
import { createStorage } from './storage.ts'
import { currentUser } from './users.ts'

type HostFunction = (spec: PluginSpec, request: RunningRequest, args: unknown[]) => unknown

export interface HostDeps {
  db: Database
  fetchPolicy: FetchPolicy
  log(level: 'info' | 'warn' | 'error', fields: Record<string, unknown>, msg: string): void
}

/**
 * The SDK's host side: counts the call against the request's budget, then hands it to the host
 * function, each of which checks its permission and arguments before it acts. A refused permission
 * is logged for the audit trail.
 */
export function createHostApi (deps: HostDeps): HostApi {
  const storage = createStorage(deps.db)
  const pluginLog = createPluginLog(deps.log)
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
    log: pluginLog,
  }
}
