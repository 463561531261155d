import { fork, type ChildProcess } from 'node:child_process'
import { createHash } from 'node:crypto'
import type { Logger } from '../core/logger.ts'
import { WARM_HANDLER, createBatcher, type Batch, type FromWorker, type GatewayCall, type LoadCheck, type Outcome, type PluginRequest, type PluginSpec, type ToWorker, type WorkerSettings, type WorkerStats } from './protocol.ts'

/**
 * Trust tiers: first-party and tenant plugins never share a worker process, and unreviewed uploads
 * are loaded (for the registry's checks) only in a worker of their own.
 */
export type Tier = 'first-party' | 'tenant' | 'check'

export interface SupervisorOptions {
  tenantWorkers: number
  firstPartyWorkers: number
  /** The workers' environment: what Node needs, no setting of the platform's (those are `settings`). */
  env: NodeJS.ProcessEnv
  /** Sent to each worker as its first message. */
  settings: WorkerSettings
  /** Answers what a plugin asks of the gateway (`GatewayCall`), for a request the supervisor dispatched. */
  answer?: (call: GatewayCall, asker: Asker) => Promise<unknown>
  logger: Logger
  /** How long a request waits for its worker to (re)start before SBX_ERR_UNAVAILABLE. */
  startTimeoutMs?: number
}

/** Who asks a gateway call, as the gateway knows it: the installation and request it dispatched. */
export interface Asker {
  spec: PluginSpec
  request: PluginRequest
  requestId: string
}

interface Pending {
  resolve(outcome: Outcome): void
  asker: Asker
  /**
   * When the worker counts as stuck if it has not answered (Date.now() ms): the plugin's time limit and STUCK_MS
   * more.
   */
  deadline: number
}

/** A worker process: serving a slot, or a standby waiting for one (`slot` undefined). */
interface Worker {
  tier: Tier
  child: ChildProcess
  /** Settles when the process has loaded its modules and opened its database connection. */
  ready: Promise<void>
  started: boolean
  slot: Slot | undefined
}

interface Slot {
  tier: Tier
  index: number
  child: ChildProcess | undefined
  send: ((message: ToWorker) => void) | undefined
  ready: Promise<void> | undefined
  specs: Map<string, string>
  pending: Map<number, Pending>
  restarts: number
  startedAt: number
}

// `.ts` in this checkout, `.js` in the CLI's package (built: Node strips no types under node_modules).
const workerMain = new URL(`./worker/main.${import.meta.url.endsWith('.ts') ? 'ts' : 'js'}`, import.meta.url).pathname
/**
 * The errors of a gateway call that reach the plugin with their message; any other is logged, and the plugin gets
 * `HostError`.
 */
const ANSWERED_ERRORS = new Set(['PermissionDenied', 'InvalidArgument', 'NotFound', 'QuotaExceeded', 'Conflict', 'ExchangeError'])
/**
 * How long past a plugin's time limit a worker may stay silent about a request before it counts as stuck (see
 * `overdue`).
 */
const STUCK_MS = 10_000
/**
 * How long after a worker of a tier starts the supervisor forks that tier's standby (not in the middle of the
 * platform's own start).
 */
const STANDBY_DELAY_MS = 2000

export interface Supervisor {
  dispatch(tier: Tier, spec: PluginSpec, handler: string, requestId: string, request: PluginRequest): Promise<Outcome>
  /** Tells every worker that holds `key` to dispose its isolate. */
  forget(key: string): void
  /**
   * Forgets `key` once the requests it is serving have finished, and 10 s more without a request (a version switched
   * away from).
   */
  retire(key: string): void
  /** Loads an installation's isolate ahead of its first request (before the routing table flips to it). */
  warm(tier: Tier, spec: PluginSpec): Promise<void>
  /** Live worker process ids, by tier: tests kill them. */
  pids(tier: Tier): number[]
  /** The process id of the worker that serves `key`, if it is running. */
  pidFor(tier: Tier, key: string): number | undefined
  /** Which worker of its tier serves `key`. */
  workerIndex(tier: Tier, key: string): number | undefined
  /** The tier's standby worker, once forked: the next worker of the tier to start (a restart) takes it over. */
  standby(tier: Tier): { pid: number | undefined, ready: Promise<void>, started: boolean } | undefined
  stats(): Promise<Array<{ tier: Tier } & WorkerStats>>
  /** How many times a worker of each tier has died and been restarted since this node started (a metric). */
  restartCounts(): Partial<Record<Tier, number>>
  /** Loads a package folder in a throwaway isolate, in the worker kept for unreviewed code (the registry's checks). */
  check(dir: string, main: string, handlers: string[]): Promise<LoadCheck>
  close(): Promise<void>
}

/**
 * Runs the sandbox worker processes (each started on its first request) and keeps them alive. A request for a plugin
 * installation
 * always goes to the same worker of its tier (by a hash of its key) while that worker lives. When
 * a worker dies, its in-flight requests get SBX_ERR_WORKER_CRASHED and it restarts after a backoff
 * (0 ms, then doubling to 5 s while it keeps dying within 10 s of starting).
 *
 * A worker's start costs a third of a second of CPU (Node without its startup snapshot, type stripping,
 * the database driver), and seconds on a loaded machine. So once a tier runs a worker, the supervisor
 * keeps one more process of that tier started and idle, a standby, as Chromium keeps a spare renderer:
 * a restart takes it over and serves at once, and the next standby is forked STANDBY_DELAY_MS later.
 * Not for the `check` tier, whose restarts nobody waits for.
 */
export function createSupervisor (options: SupervisorOptions): Supervisor {
  const { logger } = options
  const startTimeoutMs = options.startTimeoutMs ?? 5000
  let nextId = 1
  let closed = false
  const slots: Record<Tier, Slot[]> = {
    'first-party': Array.from({ length: options.firstPartyWorkers }, (_, index) => newSlot('first-party', index)),
    tenant: Array.from({ length: options.tenantWorkers }, (_, index) => newSlot('tenant', index)),
    check: [newSlot('check', 0)],
  }
  const checks = new Map<number, (result: LoadCheck) => void>()
  const inFlight = new Map<string, number>()
  const retiring = new Set<string>()
  // A retired version's isolates stay this long after their last request, so switching straight back
  // (a rollback) finds them warm; any request for the key cancels the retirement.
  const RETIRE_GRACE_MS = 10_000
  const graceTimers = new Map<string, NodeJS.Timeout>()
  const fingerprints = new WeakMap<PluginSpec, string>()
  const standbys = new Map<Tier, Worker>()
  // Plugin versions that blocked a worker's thread, by tier: every worker of the tier, and every
  // worker started later, runs them on isolated-vm's threads only (see the isolate pool).
  const offThread: Record<Tier, Set<string>> = { 'first-party': new Set(), tenant: new Set(), check: new Set() }
  const standbyTimers = new Map<Tier, NodeJS.Timeout>()

  // A backstop behind the workers' own watchdogs, for a worker stuck in native code: disposing an
  // isolate in the middle of a huge allocation blocks the worker's thread until V8 aborts the whole
  // process, 12 s later unloaded and over 30 s on a loaded machine (measured), and all that time the
  // worker's other tenants wait. A worker that has not answered a request STUCK_MS past its plugin's
  // time limit is killed: its requests answer SBX_ERR_WORKER_CRASHED and it restarts at once. One
  // sweep a second rather than a timer per request.
  const overdue = setInterval(() => {
    const now = Date.now()
    for (const slot of Object.values(slots).flat()) {
      for (const [id, pending] of slot.pending) {
        if (pending.deadline > now) continue
        if (slot.child !== undefined && slot.child.exitCode === null && slot.child.signalCode === null) {
          logger.error({ tier: slot.tier, worker: slot.index, pid: slot.child.pid }, `sandbox worker silent ${STUCK_MS / 1000} s past a request's time limit; killing it`)
          slot.child.kill('SIGKILL')
          break
        }
        slot.pending.delete(id)
        pending.resolve({ ok: false, code: 'SBX_ERR_WORKER_CRASHED', message: 'the sandbox worker running this request stopped; retry' })
      }
    }
  }, 1000)
  overdue.unref()
  function forgetLater (key: string): void {
    clearTimeout(graceTimers.get(key))
    const timer = setTimeout(() => { graceTimers.delete(key); forgetNow(key) }, RETIRE_GRACE_MS)
    timer.unref()
    graceTimers.set(key, timer)
  }
  function settle (key: string): void {
    const left = (inFlight.get(key) ?? 1) - 1
    if (left > 0) { inFlight.set(key, left); return }
    inFlight.delete(key)
    if (retiring.delete(key)) forgetLater(key)
  }
  function forgetNow (key: string): void {
    for (const slot of Object.values(slots).flat()) {
      if (slot.specs.delete(key)) slot.send?.({ t: 'forget', key })
    }
  }
  const statsWaiters = new Map<ChildProcess, (value: WorkerStats) => void>()
  const restartCounts: Partial<Record<Tier, number>> = {}

  function newSlot (tier: Tier, index: number): Slot {
    // Started on its first request: a node serving no plugin of a tier runs no worker for it.
    return { tier, index, child: undefined, send: undefined, ready: undefined, specs: new Map(), pending: new Map(), restarts: 0, startedAt: 0 }
  }

  function spawn (tier: Tier): Worker {
    const child = fork(workerMain, [], {
      execArgv: ['--no-node-snapshot'],
      env: options.env,
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    })
    child.send({ t: 'batch', m: [{ t: 'settings', settings: options.settings }] } satisfies Batch<ToWorker>)
    let ready!: () => void
    const worker: Worker = { tier, child, ready: new Promise((resolve) => { ready = resolve }), started: false, slot: undefined }
    child.on('message', (batch: Batch<FromWorker>) => {
      for (const message of batch.m) {
        if (message.t === 'ready') { worker.started = true; ready() } else receive(worker, message)
      }
    })
    child.on('exit', (code, signal) => exited(worker, code, signal))
    child.on('error', (error) => logger.error({ err: error, tier, worker: worker.slot?.index ?? 'standby' }, 'sandbox worker error'))
    return worker
  }

  function start (slot: Slot): void {
    const standby = standbys.get(slot.tier)
    standbys.delete(slot.tier)
    const worker = standby !== undefined && standby.child.connected ? standby : spawn(slot.tier)
    if (standby !== undefined && worker !== standby) standby.child.kill('SIGKILL')
    worker.slot = slot
    const { child } = worker
    slot.child = child
    slot.send = createBatcher<ToWorker>((batch) => { if (child.connected) child.send(batch) }, (message, error) => undeliverable(slot, message, error))
    slot.specs = new Map()
    if (offThread[slot.tier].size > 0) slot.send({ t: 'off-thread', versions: [...offThread[slot.tier]] })
    slot.startedAt = Date.now()
    slot.ready = worker.ready
    prepareStandby(slot.tier)
  }

  // Only a message that JSON cannot express gets here (the gateway bounds every body it reads): the
  // request it carried fails alone, and a description is sent again with the next request.
  function undeliverable (slot: Slot, message: ToWorker, error: unknown): void {
    logger.error({ tier: slot.tier, worker: slot.index, message: message.t, err: error }, 'a message for a sandbox worker could not be sent')
    if (message.t === 'spec') slot.specs.delete(message.spec.key)
    if (message.t !== 'req') return
    const pending = slot.pending.get(message.id)
    slot.pending.delete(message.id)
    pending?.resolve({ ok: false, code: 'SBX_ERR_BAD_REQUEST', message: 'the request could not be handed to the sandbox' })
  }

  function prepareStandby (tier: Tier): void {
    if (tier === 'check' || closed || standbys.has(tier) || standbyTimers.has(tier)) return
    const timer = setTimeout(() => {
      standbyTimers.delete(tier)
      if (!closed && !standbys.has(tier)) standbys.set(tier, spawn(tier))
    }, STANDBY_DELAY_MS)
    timer.unref()
    standbyTimers.set(tier, timer)
  }

  function receive (worker: Worker, message: FromWorker): void {
    const slot = worker.slot
    if (message.t === 'res' || message.t === 'err') {
      const pending = slot?.pending.get(message.id)
      if (slot === undefined || pending === undefined) return
      slot.pending.delete(message.id)
      pending.resolve(message.t === 'res' ? { ok: true, response: message.response } : { ok: false, code: message.code, message: message.message })
    } else if (message.t === 'off-thread') {
      const versions = offThread[worker.tier]
      if (versions.has(message.version) || versions.size >= 100_000) return
      versions.add(message.version)
      for (const other of slots[worker.tier]) if (other !== slot) other.send?.({ t: 'off-thread', versions: [message.version] })
    } else if (message.t === 'ask') {
      ask(slot, message.id, message.ask, message.call)
    } else if (message.t === 'log') {
      logger[message.level]({ ...message.fields, tier: worker.tier, worker: slot?.index ?? 'standby' }, message.msg)
    } else if (message.t === 'checked') {
      checks.get(message.id)?.(message.result)
      checks.delete(message.id)
    } else if (message.t === 'stats') {
      const { isolates, onThread, rss, heapUsed } = message
      statsWaiters.get(worker.child)?.({ isolates, onThread, rss, heapUsed })
    }
  }

  /** A gateway call: answered only for a request this worker is serving, with what the gateway knows of it. */
  function ask (slot: Slot | undefined, id: number, question: number, call: GatewayCall): void {
    const asker = slot?.pending.get(id)?.asker
    const reply = (answer: { value?: unknown, error?: { name: string, message: string } }): void => slot?.send?.({ t: 'answer', ask: question, ...answer })
    if (asker === undefined || options.answer === undefined) {
      reply({ error: { name: 'HostError', message: 'the request this call was for is over' } })
      return
    }
    options.answer(call, asker).then((value) => reply({ value: value ?? null }), (error: unknown) => {
      const known = error instanceof Error && ANSWERED_ERRORS.has(error.name)
      if (!known) logger.error({ err: error, plugin: asker.spec.name, tenant: asker.spec.tenant }, 'a gateway call failed')
      reply({ error: known ? { name: error.name, message: error.message } : { name: 'HostError', message: 'the platform could not answer' } })
    })
  }

  function exited (worker: Worker, code: number | null, signal: NodeJS.Signals | null): void {
    const { slot, child, tier } = worker
    if (slot === undefined) {
      // A standby that dies before it serves: the next one is forked when a worker of the tier next starts.
      if (standbys.get(tier) === worker) standbys.delete(tier)
      if (!closed) logger.error({ tier, worker: 'standby', code, signal }, 'sandbox standby worker died')
      return
    }
    if (slot.child !== child) return
    slot.child = undefined
    for (const [id, pending] of slot.pending) {
      pending.resolve({ ok: false, code: 'SBX_ERR_WORKER_CRASHED', message: 'the sandbox worker running this request stopped; retry' })
      slot.pending.delete(id)
    }
    if (closed) return
    restartCounts[slot.tier] = (restartCounts[slot.tier] ?? 0) + 1
    const quick = Date.now() - slot.startedAt < 10_000
    slot.restarts = quick ? slot.restarts + 1 : 0
    const delay = slot.restarts <= 1 ? 0 : Math.min(5000, 100 * 2 ** (slot.restarts - 2))
    logger.error({ tier: slot.tier, worker: slot.index, code, signal, restartInMs: delay }, 'sandbox worker died; restarting')
    slot.ready = new Promise((resolve) => setTimeout(() => {
      if (!closed) {
        start(slot)
        slot.ready?.then(resolve)
      }
    }, delay))
  }

  const hashes = new Map<string, number>()
  function slotFor (tier: Tier, key: string): Slot | undefined {
    const list = slots[tier]
    if (list.length === 0) return undefined
    let hash = hashes.get(key)
    if (hash === undefined) {
      hash = createHash('sha1').update(key).digest().readUInt32BE(0)
      if (hashes.size > 100_000) hashes.clear()
      hashes.set(key, hash)
    }
    return list[hash % list.length]
  }

  return {
    async dispatch (tier, spec, handler, requestId, request) {
      const slot = slotFor(tier, spec.key)
      if (slot === undefined || closed) return { ok: false, code: 'SBX_ERR_UNAVAILABLE', message: 'no sandbox worker for this plugin' }
      if (slot.child === undefined && slot.ready === undefined) start(slot)
      if (slot.child === undefined || slot.ready !== undefined) {
        const ready = slot.ready ?? Promise.resolve()
        const started = await Promise.race([ready.then(() => true), new Promise<false>((resolve) => setTimeout(() => resolve(false), startTimeoutMs).unref())])
        if (!started) return { ok: false, code: 'SBX_ERR_UNAVAILABLE', message: 'the sandbox worker is restarting; retry' }
        slot.ready = undefined
      }
      const child = slot.child
      if (child === undefined || !child.connected) return { ok: false, code: 'SBX_ERR_UNAVAILABLE', message: 'the sandbox worker is restarting; retry' }
      let fingerprint = fingerprints.get(spec)
      if (fingerprint === undefined) {
        fingerprint = `${spec.dir}|${JSON.stringify(spec.settings)}|${JSON.stringify(spec.secrets)}|${JSON.stringify(spec.limits)}`
        fingerprints.set(spec, fingerprint)
      }
      if (slot.specs.get(spec.key) !== fingerprint) {
        slot.send!({ t: 'spec', spec })
        slot.specs.set(spec.key, fingerprint)
      }
      const id = nextId++
      inFlight.set(spec.key, (inFlight.get(spec.key) ?? 0) + 1)
      retiring.delete(spec.key)
      const grace = graceTimers.get(spec.key)
      if (grace !== undefined) { clearTimeout(grace); graceTimers.delete(spec.key) }
      return new Promise<Outcome>((resolve) => {
        // A backstop behind the worker's own watchdog (see `overdue`).
        slot.pending.set(id, { resolve, asker: { spec, request, requestId }, deadline: Date.now() + spec.limits.timeoutMs + STUCK_MS })
        slot.send!({ t: 'req', id, key: spec.key, handler, requestId, request })
      }).finally(() => settle(spec.key))
    },
    forget: forgetNow,
    retire (key) {
      if ((inFlight.get(key) ?? 0) === 0) forgetLater(key)
      else retiring.add(key)
    },
    async warm (tier, spec) {
      await this.dispatch(tier, spec, WARM_HANDLER, 'warm', { method: 'GET', path: '/', params: {}, query: {}, headers: {}, body: null, user: null, tenant: spec.tenant })
    },
    workerIndex (tier, key) {
      return slotFor(tier, key)?.index
    },
    standby (tier) {
      const worker = standbys.get(tier)
      return worker === undefined ? undefined : { pid: worker.child.pid, ready: worker.ready, started: worker.started }
    },
    pidFor (tier, key) {
      return slotFor(tier, key)?.child?.pid
    },
    pids (tier) {
      return slots[tier].flatMap((slot) => slot.child?.pid === undefined ? [] : [slot.child.pid])
    },
    async check (dir, main, handlers) {
      const slot = slots.check[0]
      if (slot === undefined || closed) return { loaded: false, error: 'no sandbox worker', missing: handlers }
      if (slot.child === undefined && slot.ready === undefined) start(slot)
      await slot.ready
      slot.ready = undefined
      const id = nextId++
      return new Promise<LoadCheck>((resolve) => {
        const timer = setTimeout(() => { checks.delete(id); resolve({ loaded: false, error: 'the check did not finish in time', missing: handlers }) }, 15_000)
        checks.set(id, (result) => { clearTimeout(timer); resolve(result) })
        slot.send!({ t: 'check', id, dir, main, handlers })
      })
    },
    restartCounts () {
      return { ...restartCounts }
    },
    async stats () {
      const all = Object.values(slots).flat()
      return Promise.all(all.map(async (slot) => {
        const child = slot.child
        if (child === undefined) return { tier: slot.tier, isolates: 0, onThread: 0, rss: 0, heapUsed: 0 }
        // A worker that dies or hangs before answering reports nothing rather than holding the caller.
        const result = await new Promise<WorkerStats>((resolve) => {
          const timer = setTimeout(() => resolve({ isolates: 0, onThread: 0, rss: 0, heapUsed: 0 }), 2_000)
          statsWaiters.set(child, (stats) => {
            clearTimeout(timer)
            resolve(stats)
          })
          slot.send!({ t: 'stats' })
        })
        statsWaiters.delete(child)
        return { tier: slot.tier, ...result }
      }))
    },
    async close () {
      closed = true
      clearInterval(overdue)
      for (const timer of graceTimers.values()) clearTimeout(timer)
      for (const timer of standbyTimers.values()) clearTimeout(timer)
      const children = [...Object.values(slots).flat().map((slot) => slot.child), ...[...standbys.values()].map((worker) => worker.child)]
      await Promise.all(children.map((child) => new Promise<void>((resolve) => {
        if (child === undefined || child.exitCode !== null) return resolve()
        const timer = setTimeout(() => child.kill('SIGKILL'), 3000)
        child.once('exit', () => { clearTimeout(timer); resolve() })
        child.disconnect()
      })))
    },
  }
}
