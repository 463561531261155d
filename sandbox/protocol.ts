import type { SandboxErrorCode } from './errors.ts'

/**
 * What crosses the IPC channel between the gateway and a sandbox worker. One request in, one
 * response out; a plugin's description travels once per worker, not with every request.
 */

/** Limits of one plugin version, after the platform's caps (SPEC §8). */
export interface PluginLimits {
  timeoutMs: number
  memoryMb: number
  hostCalls: number
}

export interface PluginPermissions {
  storage?: boolean
  http?: { allow: string[] }
  secrets?: string[]
  events?: { publish?: string[], subscribe?: Record<string, string> }
}

/** Everything a worker needs to run one installation of one plugin version. */
export interface PluginSpec {
  /** `tenant/mount/name@version`: one isolate each. */
  key: string
  tenant: string
  tenantId: number
  mount: string
  name: string
  version: string
  /** Folder holding the package's files. */
  dir: string
  main: string
  permissions: PluginPermissions
  limits: PluginLimits
  settings: Record<string, unknown>
  secrets: Record<string, string>
}

/** The request as a plugin handler sees it (copies). */
export interface PluginRequest {
  method: string
  path: string
  params: Record<string, string>
  query: Record<string, string | string[]>
  headers: Record<string, string>
  body: unknown
  user: { username: string, displayName: string, tenant: string, roles: string[] } | null
  tenant: string
}

export interface PluginResponse {
  status: number
  headers: Record<string, string>
  /** The JSON text of the body, already size-checked. */
  body: string
}

/**
 * Messages travel in batches: everything queued during one turn of the event loop goes in one IPC
 * write (a write per message cost the gateway a third of its time on plugin routes, measured).
 */
export interface Batch<T> {
  t: 'batch'
  m: T[]
}

/**
 * Queues messages and sends them as one batch at the end of the current event-loop turn. A batch
 * that cannot be serialised (Node's IPC serialises with JSON.stringify, which throws) is sent again
 * message by message, and only the messages that still fail go to `undeliverable`: one bad message
 * never takes the others down, nor throws out of the timer that flushes the queue.
 */
export function createBatcher<T> (send: (batch: Batch<T>) => void, undeliverable: (message: T, error: unknown) => void): (message: T) => void {
  let queue: T[] = []
  const flush = (): void => {
    const messages = queue
    queue = []
    try {
      send({ t: 'batch', m: messages })
    } catch {
      for (const message of messages) {
        try {
          send({ t: 'batch', m: [message] })
        } catch (error) {
          undeliverable(message, error)
        }
      }
    }
  }
  return (message) => {
    if (queue.length === 0) setImmediate(flush)
    queue.push(message)
  }
}

/** The handler name that asks a worker only to load an installation's isolate. */
export const WARM_HANDLER = '\u0000warm'

export type ToWorker =
  | { t: 'spec', spec: PluginSpec }
  | { t: 'forget', key: string }
  | { t: 'req', id: number, key: string, handler: string, requestId: string, request: PluginRequest }
  | { t: 'stats' }
  /** Plugin versions (`name@version`) that must not run on the worker's own thread: sent to every worker at its start. */
  | { t: 'off-thread', versions: string[] }
  | { t: 'check', id: number, dir: string, main: string, handlers: string[] }

/** What loading a package in a throwaway isolate found (the registry's automated check). */
export interface LoadCheck {
  loaded: boolean
  error?: string
  missing: string[]
}

export type FromWorker =
  | { t: 'ready' }
  | { t: 'res', id: number, response: PluginResponse }
  | { t: 'err', id: number, code: SandboxErrorCode, message: string }
  | { t: 'stats', isolates: number, onThread: number, heapUsed: number, rss: number }
  /** A plugin version blocked the worker's thread: no worker runs it there again (the supervisor remembers it across restarts). */
  | { t: 'off-thread', version: string }
  | { t: 'checked', id: number, result: LoadCheck }
  | { t: 'log', level: 'info' | 'warn' | 'error', fields: Record<string, unknown>, msg: string }
