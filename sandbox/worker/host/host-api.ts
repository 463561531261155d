import type { Database } from '../../../core/db/database.ts'
import type { HostApi, RunningRequest } from '../plugin-isolate.ts'
import type { PluginSpec, WorkerSettings } from '../../protocol.ts'
import { digest } from './digest.ts'
import { publishEvent } from './events.ts'
import { createGatewayCalls, type Ask } from './gateway-calls.ts'
import { HostCallError } from '../../host-error.ts'
import { fetchForPlugin, type FetchPolicy } from './http-fetch.ts'
import { createPluginLog } from './log.ts'
import { getSecret } from './secrets.ts'
import { LATER } from './later.ts'
import { createStorage } from './storage.ts'
import { createTimers } from './timers.ts'
import type { QueryThreads } from './query-threads.ts'
import { currentUser } from './users.ts'

/**
 * A host function: `later` answers in its own time; `now`, where there is one, answers on this
 * thread within the plugin's call (or gives LATER when it cannot, and nothing has happened).
 */
interface HostFunction {
  now?: (spec: PluginSpec, request: RunningRequest, args: unknown[]) => unknown
  later: (spec: PluginSpec, request: RunningRequest, args: unknown[]) => unknown
}

/** A host function that always answers at once, whichever way it is asked. */
const either = (fn: HostFunction['later']): HostFunction => ({ now: fn, later: fn })

export interface HostDeps {
  db: Database
  quota: WorkerSettings['quota']
  /** Asks the gateway what the worker cannot answer (audit, directory). */
  ask: Ask
  fetchPolicy: FetchPolicy
  /** SQLite only: where long queries run (query-threads.ts). */
  queryThreads?: QueryThreads
  log(level: 'info' | 'warn' | 'error', fields: Record<string, unknown>, msg: string): void
}

/**
 * The SDK's host side: counts the call against the request's budget, then hands it to the host
 * function, each of which checks its permission and arguments before it acts. A refused permission
 * is logged for the audit trail.
 */
export function createHostApi (deps: HostDeps): HostApi {
  const storage = createStorage(deps.db, deps.quota, deps.queryThreads)
  const pluginLog = createPluginLog(deps.log)
  const functions: Record<string, HostFunction> = {
    'secrets.get': either((spec, _request, args) => getSecret(spec, args)),
    'users.current': either((_spec, request) => currentUser(request)),
    'crypto.digest': either((_spec, _request, args) => digest(args)),
    'events.publish': { later: (spec, request, args) => publishEvent(deps.db, spec, request, args) },
    'http.fetch': { later: (spec, request, args) => fetchForPlugin(deps.fetchPolicy, spec, request, args) },
  }
  for (const [op, call] of Object.entries(createGatewayCalls(deps.ask))) functions[op] = { later: call }
  const timers = createTimers(deps.db)
  functions['timers.at'] = { now: timers.now, later: timers.later }
  for (const op of storage.operations) {
    functions[`storage.${op}`] = {
      now: (spec, request, args) => storage.now(op, spec, args, writtenBy(request)),
      later: (spec, request, args) => storage.later(op, spec, args, writtenBy(request), request.deadline),
    }
  }

  /** The call's function, counted against the request's budget (SPEC §8). */
  function find (spec: PluginSpec, request: RunningRequest, op: string): HostFunction {
    if (request.hostCalls >= spec.limits.hostCalls) {
      request.overBudget = true
      throw new HostCallError('BudgetExceeded', `more than ${spec.limits.hostCalls} host calls in one request`)
    }
    const fn = functions[op]
    if (fn === undefined) throw new HostCallError('HostError', `no host function '${op.slice(0, 64)}'`)
    // A request past its time starts no more host work (on the worker's thread nothing else stops it).
    if (request.deadline !== undefined && Date.now() > request.deadline) throw new HostCallError('Timeout', 'the request has run out of time')
    return fn
  }

  /** What the plugin gets for a failed call: a HostCallError as it is, anything else logged and masked. */
  function failure (spec: PluginSpec, request: RunningRequest, op: string, error: unknown): HostCallError {
    if (error instanceof HostCallError) {
      if (error.name === 'PermissionDenied') {
        deps.log('warn', { audit: 'sandbox.permission-denied', tenant: spec.tenant, plugin: spec.name, version: spec.version, requestId: request.requestId, op }, error.message)
      }
      return error
    }
    deps.log('error', { tenant: spec.tenant, plugin: spec.name, version: spec.version, requestId: request.requestId, op, err: String((error as Error)?.message ?? error) }, 'host function failed')
    return new HostCallError('HostError', `${op} failed`)
  }

  return {
    async call (spec, request, op, args) {
      const fn = find(spec, request, op)
      request.hostCalls++
      try {
        return await fn.later(spec, request, args)
      } catch (error) {
        throw failure(spec, request, op, error)
      }
    },
    callNow (spec, request, op, args) {
      const fn = find(spec, request, op)
      if (fn.now === undefined) return LATER
      try {
        const value = fn.now(spec, request, args)
        if (value !== LATER) request.hostCalls++
        return value
      } catch (error) {
        request.hostCalls++
        throw failure(spec, request, op, error)
      }
    },
    log: pluginLog,
  }
}

/** What `request` has written so far (the per-request part of the storage quota), counted from its first write. */
function writtenBy (request: RunningRequest): { bytes: number } {
  request.written ??= { bytes: 0 }
  return request.written
}
