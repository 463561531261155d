import type { Config } from '../core/config.ts'
import type { SandboxErrorCode } from './errors.ts'

/**
 * The whole contract between the gateway and its sandbox workers: what crosses the IPC channel,
 * and nothing else does. The worker's settings come first; then one request in, one response out;
 * a plugin's description travels once per worker, not with every request.
 */

/**
 * What a worker process is told at its start, before anything else: its settings come from the
 * platform's configuration (core/config.ts), never from environment variables of its own.
 */
export interface WorkerSettings {
  /** The database the SDK's host functions use (on PostgreSQL, the workers' own role). */
  databaseUrl: string
  /** `host:port` that plugins may fetch although private or loopback. */
  httpAllowPrivate: string[]
  isolates: { max: number, perPlugin: number, idleMs: number }
  /** What one plugin keeps at most at one unit. */
  quota: { documents: number, bytes: number }
}

export function workerSettings (config: Config, databaseUrl: string): WorkerSettings {
  return {
    databaseUrl,
    httpAllowPrivate: config.httpAllowPrivate,
    isolates: { max: config.sandboxIsolates, perPlugin: config.sandboxIsolatesPerPlugin, idleMs: config.sandboxIdleMs },
    quota: { documents: config.sandboxQuotaDocuments, bytes: config.sandboxQuotaBytes },
  }
}

/** The signed-in caller of a plugin request, as the plugin sees it (`users.current()`); null on a public route. */
export interface RequestUser {
  username: string
  displayName: string
  tenant: string
  roles: string[]
}

/** Limits of one plugin version, after the platform's caps (SPEC §8). */
export interface PluginLimits {
  timeoutMs: number
  memoryMb: number
  hostCalls: number
}

/** Documents a plugin may read beyond its tenant's: its ancestors' (`lineage`), its descendants' (`subtree`). */
export type ReadScope = 'lineage' | 'subtree'

export interface PluginPermissions {
  /** `true`, or `{read: [...]}`: storage, and reading across the unit tree too. */
  storage?: boolean | { read?: ReadScope[] }
  http?: { allow: string[] }
  secrets?: string[]
  events?: { publish?: string[], subscribe?: Record<string, string> }
  audit?: boolean
  directory?: boolean
  /** `signature.verify`. */
  signature?: boolean
  /** The handlers `timers.at` may name. */
  timers?: string[]
  /** `files.*` and uploads to its routes. */
  files?: boolean
  /** `exports.start`. */
  exports?: boolean
  /** `signature.seal`: sign with the unit's seal. */
  seal?: boolean
  /** The named outbound endpoints `exchange.call` may use (configured per installation by a tenant-admin). */
  exchange?: string[]
}

/** Everything a worker needs to run one installation of one plugin version. */
export interface PluginSpec {
  /** `tenant/mount/name@version`: one isolate each. */
  key: string
  tenant: string
  tenantId: number
  /** `vn/hn/hn-ba-dinh`: where the tenant sits in the unit tree. */
  tenantPath: string
  mount: string
  name: string
  version: string
  /** Folder holding the package's files. */
  dir: string
  /** The package's SHA-256 when `dir` is its unpacked registry folder (named by it, never changed); no dev folder's. */
  digest?: string
  /**
   * First-party code (the platform's own, `@vn/`): the units that run this version share isolates, each unit in a
   * context of its own (sandbox/worker/plugin-isolate.ts, SharedIsolate). A tenant's plugin always has isolates of
   * its own per installation.
   */
  shareIsolate?: boolean
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
  /** The files a route that takes them received, stored as uploads (`files.keep` keeps one). */
  files?: Array<UploadedFile>
  user: RequestUser | null
  tenant: string
}

/** A file as the plugin sees it (`files.info`, `request.files`). */
export interface UploadedFile {
  id: string
  /** The form field it came in. */
  field?: string
  name: string
  type: string
  size: number
  sha256: string
  createdAt: string
  kept: boolean
}

export interface PluginResponse {
  status: number
  headers: Record<string, string>
  /** The JSON text of the body, already size-checked. */
  body: string
}

/**
 * What a plugin asks that its worker cannot answer itself (a worker reaches the plugin tables only, never users,
 * tenants or the audit log): the gateway answers, for the request it dispatched, so the plugin, the tenant and the
 * caller are the ones the gateway knows, whatever the worker says.
 */
export type GatewayCall =
  | { op: 'audit.record', action: string, target: string | null, details: Record<string, unknown> }
  | { op: 'directory.users', role: string | null }
  | { op: 'directory.units' }
  | { op: 'timers.cancel', id: string }
  /** A detached CMS signature and the bytes it should cover, both base64. */
  | { op: 'signature.verify', signature: string, content: string }
  /** The bytes to seal, base64. */
  | { op: 'signature.seal', content: string }
  | { op: 'files.info' | 'files.keep' | 'files.remove', id: string }
  | { op: 'files.read', id: string, encoding: 'base64' | 'utf8' }
  /** The content in base64. */
  | { op: 'files.create', name: string, type: string, content: string }
  | { op: 'files.url', id: string, seconds: number }
  | { op: 'exports.start', job: Record<string, unknown> }
  | { op: 'exports.status', id: string }
  /** A call to a configured endpoint; `body` is text (JSON already serialised when `json`). */
  | { op: 'exchange.call', endpoint: string, method: string, path: string, query: Record<string, string | string[]>, headers: Record<string, string>, body: string | null, json: boolean }

/** How one request to a plugin ended: its response, or a sandbox error code. */
export type Outcome =
  | { ok: true, response: PluginResponse }
  | { ok: false, code: SandboxErrorCode, message: string }

/** What a worker reports of itself (the platform-status route shows it per worker). */
export interface WorkerStats {
  isolates: number
  /** Installations proven quick, whose requests run on the worker's own thread. */
  onThread: number
  heapUsed: number
  rss: number
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
  /** The first message a worker gets, once. */
  | { t: 'settings', settings: WorkerSettings }
  | { t: 'spec', spec: PluginSpec }
  | { t: 'forget', key: string }
  | { t: 'req', id: number, key: string, handler: string, requestId: string, request: PluginRequest }
  | { t: 'stats' }
  /**
   * Plugin versions (`name@version`) that must not run on the worker's own thread: sent to every worker at its start.
   */
  | { t: 'off-thread', versions: string[] }
  /** The gateway's answer to `ask`: a value, or an error the plugin sees by `name`. */
  | { t: 'answer', ask: number, value?: unknown, error?: { name: string, message: string } }
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
  | ({ t: 'stats' } & WorkerStats)
  /**
   * A plugin version blocked the worker's thread: no worker runs it there again (the supervisor remembers it across
   * restarts).
   */
  | { t: 'off-thread', version: string }
  | { t: 'checked', id: number, result: LoadCheck }
  /** A gateway call for the request `id` is serving; `ask` numbers the question. */
  | { t: 'ask', id: number, ask: number, call: GatewayCall }
  | { t: 'log', level: 'info' | 'warn' | 'error', fields: Record<string, unknown>, msg: string }
