import { PluginLoadError } from './module-loader.ts'
import { createPluginIsolate, createSharedIsolate, type HostApi, type PluginIsolate, type RunningRequest, type SharedIsolate } from './plugin-isolate.ts'
import type { PluginSpec } from '../protocol.ts'
import { createSpareIsolates } from './spare-isolate.ts'

export interface PoolOptions {
  /** Most isolates a worker keeps; the least recently used idle one goes first. */
  maxIsolates: number
  /** Most isolates one installation gets when its requests arrive faster than one isolate answers. */
  maxPerKey: number
  /** An isolate unused this long is disposed. */
  idleMs: number
  /** CPU an idle isolate may burn between two sweeps before it counts as runaway. */
  runawayCpuMs: number
}

type Outcome = Awaited<ReturnType<PluginIsolate['run']>>

/**
 * How an installation's requests have gone: quick ones in a row, the running average of how long they blocked the
 * thread.
 */
interface Pace {
  fast: number
  blockedMs: number
  demoted: boolean
}

/**
 * When a request runs on the worker's own thread (see `pace`): after SYNC_AFTER requests in a row
 * that each used under FAST_MS of the isolate's CPU time, and never again once the running average
 * of how long its requests blocked the thread (each weighing BLOCKED_WEIGHT) passes FAST_MS, or one
 * ran out of time or memory. So one request blocking for over 8 × 5 = 40 ms takes it off the thread
 * at once, and so do requests blocking 10 ms each after six of them; a single stall of a quick
 * plugin does not (under load this machine stalled quick requests for up to 19 ms now and then: the
 * thread preempted, or a collection of the worker's heap, measured over 700,000 requests).
 */
/**
 * How long after its last request began an isolate is still watched for CPU burnt with no request running (past every
 * time limit and host call's).
 */
const RUNAWAY_WATCH_MS = 60_000
const SYNC_AFTER = 8
const FAST_MS = 5
const BLOCKED_WEIGHT = 1 / 8
/** Units' contexts in one shared isolate at most, and shared isolates of one plugin version in one worker at most. */
const CONTEXTS_PER_ISOLATE = 128
const SHARED_ISOLATES_PER_VERSION = 16
/** A shared isolate's heap: the version's own limit for a request, and room for every unit's context beside it. */
const sharedMemoryMb = (spec: PluginSpec): number => spec.limits.memoryMb + CONTEXTS_PER_ISOLATE
const QUARANTINE_STRIKES = 3
const QUARANTINE_WINDOW_MS = 10 * 60_000
const QUARANTINE_MS = 5 * 60_000

/**
 * The isolates of one worker for its installed plugin versions: created on first use, kept warm,
 * evicted when idle or when the budget is full, disposed when they burn CPU with no request
 * running. An isolate runs one request at a time (its host calls must know which request they
 * serve), so a busy installation gets up to `maxPerKey` isolates. Module state lives as long as
 * its isolate, and is not shared between the isolates of one installation.
 */
export function createIsolatePool (
  host: HostApi,
  options: PoolOptions,
  onEvent: (event: string, spec: PluginSpec, detail?: string) => void,
  onOffThread: (version: string) => void = () => {}
) {
  // Plugin versions (`name@version`) taken off the thread: for every installation of the version
  // (each commune that inherits it would otherwise get its own chance to stall the worker), and
  // for good (the supervisor sends the list again to a restarted worker).
  const offThread = new Set<string>()
  const versionOf = (spec: PluginSpec): string => `${spec.name}@${spec.version}`
  const byKey = new Map<string, Array<Promise<PluginIsolate>>>()
  const settled = new Map<Promise<PluginIsolate>, PluginIsolate>()
  let total = 0
  const memoryStrikes = new Map<string, { times: number[], until: number }>()
  const paces = new Map<string, Pace>()
  const spares = createSpareIsolates()

  /**
   * Whether an installation's requests run on the worker's main thread (applySync: ~20 µs of CPU
   * a call, measured) or on isolated-vm's thread pool (~75 µs with the hop there and back). The
   * first blocks the worker's other isolates while it runs, so only installations proven quick get
   * it, and one that blocks for long loses it for the life of the worker: a plugin can cost its
   * worker's other tenants one stall of at most its time limit, once.
   */
  function pace (key: string): Pace {
    let record = paces.get(key)
    if (record === undefined) {
      if (paces.size >= 100_000) paces.delete(paces.keys().next().value!)
      record = { fast: 0, blockedMs: 0, demoted: false }
      paces.set(key, record)
    }
    return record
  }
  const onThread = (record: Pace): boolean => !record.demoted && record.fast >= SYNC_AFTER
  function paced (spec: PluginSpec, record: Pace, request: RunningRequest, outcome: Outcome): void {
    if (request.blockedMs !== undefined) record.blockedMs += (request.blockedMs - record.blockedMs) * BLOCKED_WEIGHT
    if (record.blockedMs > FAST_MS || (!outcome.ok && (outcome.code === 'SBX_ERR_TIMEOUT' || outcome.code === 'SBX_ERR_MEMORY_LIMIT'))) {
      record.demoted = true
      const version = versionOf(spec)
      if (!offThread.has(version)) {
        offThread.add(version)
        onOffThread(version)
      }
    } else {
      record.fast = (request.cpuMs ?? Infinity) < FAST_MS ? record.fast + 1 : 0
    }
  }

  /** Three memory overruns within 10 minutes quarantine an installation for 5 minutes (SPEC §8). */
  function quarantined (spec: PluginSpec, now: number): boolean {
    return (memoryStrikes.get(spec.key)?.until ?? 0) > now
  }
  function strike (spec: PluginSpec, now: number): void {
    const record = memoryStrikes.get(spec.key) ?? { times: [], until: 0 }
    record.times = [...record.times.filter((at) => now - at < QUARANTINE_WINDOW_MS), now]
    if (record.times.length >= QUARANTINE_STRIKES) {
      record.until = now + QUARANTINE_MS
      record.times = []
      onEvent('quarantined', spec, `${QUARANTINE_STRIKES} memory overruns within ${QUARANTINE_WINDOW_MS / 60_000} minutes: refused for ${QUARANTINE_MS / 60_000} minutes`)
    }
    memoryStrikes.set(spec.key, record)
  }

  function remove (key: string, entry: Promise<PluginIsolate>): void {
    const list = byKey.get(key)
    if (list === undefined) return
    const index = list.indexOf(entry)
    if (index < 0) return
    list.splice(index, 1)
    total--
    if (list.length === 0) byKey.delete(key)
    settled.get(entry)?.dispose()
    settled.delete(entry)
  }

  function forget (key: string): void {
    paces.delete(key)
    for (const entry of [...(byKey.get(key) ?? [])]) {
      remove(key, entry)
      entry.then((isolate) => isolate.dispose(), () => undefined)
    }
  }

  // Shared isolates (first-party versions), by version and limits; each records which units have a context in it.
  const sharedByVersion = new Map<string, SharedIsolate[]>()
  const versionGroup = (spec: PluginSpec): string => `${spec.name}@${spec.version}|${spec.digest ?? spec.dir}|${spec.limits.memoryMb}`

  /**
   * The shared isolate a unit's new context goes in: an idle one without a context of this unit and with room, else a
   * new one while the version has fewer than SHARED_ISOLATES_PER_VERSION, else the least busy with room.
   */
  async function sharedFor (spec: PluginSpec): Promise<SharedIsolate> {
    const group = (sharedByVersion.get(versionGroup(spec)) ?? []).filter((shared) => !shared.isolate.isDisposed)
    sharedByVersion.set(versionGroup(spec), group)
    const open = group.filter((shared) => shared.contexts < CONTEXTS_PER_ISOLATE && !shared.keys.has(spec.key))
    let chosen = open.find((shared) => shared.lane.running === 0 && !shared.leftover())
    if (chosen === undefined && (group.length < SHARED_ISOLATES_PER_VERSION || open.length === 0)) {
      chosen = createSharedIsolate(await spares.take(sharedMemoryMb(spec)), sharedMemoryMb(spec))
      group.push(chosen)
    }
    chosen ??= open.reduce((best, shared) => (shared.lane.running < best.lane.running ? shared : best))
    // Its place taken before anything awaits: a second context of this unit made meanwhile goes elsewhere, and the
    // isolate is not disposed by another unit's leaving in between.
    chosen.reserve(spec.key)
    return chosen
  }

  function create (spec: PluginSpec): Promise<PluginIsolate> {
    if (total >= options.maxIsolates) evictOne()
    const entry = spec.shareIsolate === true
      ? sharedFor(spec).then((shared) => createPluginIsolate(spec, host, undefined, shared))
      : spares.take(spec.limits.memoryMb).then((blank) => createPluginIsolate(spec, host, blank))
    const list = byKey.get(spec.key) ?? []
    list.push(entry)
    byKey.set(spec.key, list)
    total++
    entry.then((isolate) => { settled.set(entry, isolate) }, () => remove(spec.key, entry))
    return entry
  }

  /** An idle isolate of this installation, else a new one while under `maxPerKey`, else the first. */
  async function pick (spec: PluginSpec): Promise<PluginIsolate> {
    const list = byKey.get(spec.key) ?? []
    for (const entry of list) {
      const isolate = settled.get(entry)
      if (isolate === undefined || isolate.busy() || isolate.leftover()) continue
      if (isolate.disposed) { remove(spec.key, entry); continue }
      // An idle isolate that kept burning CPU since its last request is runaway: start afresh.
      if (isolate.cpuMs() - isolate.idleSinceCpuMs > options.runawayCpuMs) {
        onEvent('runaway', spec, 'CPU used with no request running')
        isolate.kill()
        remove(spec.key, entry)
        continue
      }
      return isolate
    }
    const live = byKey.get(spec.key) ?? []
    if (live.length < options.maxPerKey) return create(spec)
    return live[0]!
  }

  function evictOne (): void {
    let oldest: [string, Promise<PluginIsolate>, PluginIsolate] | undefined
    for (const [key, list] of byKey) {
      for (const entry of list) {
        const isolate = settled.get(entry)
        if (isolate === undefined || isolate.busy()) continue
        if (oldest === undefined || isolate.lastUsed < oldest[2].lastUsed) oldest = [key, entry, isolate]
      }
    }
    if (oldest !== undefined) {
      onEvent('evicted', oldest[2].spec, 'isolate budget full')
      remove(oldest[0], oldest[1])
    }
  }

  const sweeper = setInterval(() => {
    const now = Date.now()
    for (const [version, group] of sharedByVersion) {
      const live = group.filter((shared) => !shared.isolate.isDisposed)
      if (live.length === 0) sharedByVersion.delete(version)
      else if (live.length < group.length) sharedByVersion.set(version, live)
    }
    for (const [key, list] of [...byKey]) {
      for (const entry of [...list]) {
        const isolate = settled.get(entry)
        if (isolate === undefined) continue
        // Only an isolate with a request running, or one lately (a host call it left pending may
        // resume its code), can run or be killed: the others are not asked (each question is a
        // call into isolated-vm, and a sweep of 1,000 idle isolates stalled the worker 0.5–9 ms).
        if (isolate.busy() || now - isolate.lastUsed < RUNAWAY_WATCH_MS) {
          if (isolate.disposed) { remove(key, entry); continue }
          if (isolate.busy()) continue
          // CPU outside requests since the last one ended (requests' own CPU is not counted: plugin-isolate.ts),
          // summed, not per sweep, so code left running on a starved core is found as surely as on an idle one.
          const spent = isolate.cpuMs() - isolate.idleSinceCpuMs
          if (spent > options.runawayCpuMs) {
            onEvent('runaway', isolate.spec, `${Math.round(spent)} ms of CPU with no request running`)
            isolate.kill()
            remove(key, entry)
            continue
          }
        }
        if (!isolate.busy() && now - isolate.lastUsed > options.idleMs) {
          onEvent('idle', isolate.spec)
          remove(key, entry)
        }
      }
    }
  }, 250)
  sweeper.unref()

  return {
    /** Runs one request; load failures become SBX_ERR_LOAD_FAILED. */
    async run (spec: PluginSpec, handler: string, requestJson: string, request: RunningRequest): Promise<Outcome> {
      if (quarantined(spec, Date.now())) {
        return { ok: false, code: 'SBX_ERR_MEMORY_LIMIT', message: 'the plugin is quarantined after repeated memory overruns; try again later' }
      }
      let isolate: PluginIsolate
      try {
        isolate = await pick(spec)
      } catch (error) {
        const message = error instanceof PluginLoadError ? error.message : 'the plugin could not be loaded'
        return { ok: false, code: 'SBX_ERR_LOAD_FAILED', message }
      }
      isolate.lastUsed = Date.now()
      const record = pace(spec.key)
      if (offThread.has(versionOf(spec))) record.demoted = true
      // Never on this thread into an isolate that may be running leftover code: the thread would wait for it.
      const outcome = await isolate.run(handler, requestJson, request, onThread(record) && !isolate.leftover())
      paced(spec, record, request, outcome)
      // Once this request is answered, the next cold start's isolate is made (if it was just taken).
      spares.refill()
      if (!outcome.ok && outcome.code === 'SBX_ERR_MEMORY_LIMIT') strike(spec, Date.now())
      return outcome
    },
    /** Loads an isolate for `spec` if it has none. */
    async warm (spec: PluginSpec): Promise<void> {
      await pick(spec)
    },
    /** Disposes the isolates of `key` (uninstalled, switched away from, or replaced). */
    forget,
    size: () => total,
    /** V8 isolates held: one per tenant installation, and the shared ones of first-party versions. */
    isolates: (): number => {
      let shared = 0
      for (const group of sharedByVersion.values()) shared += group.filter((one) => !one.isolate.isDisposed).length
      let own = 0
      for (const list of byKey.values()) for (const entry of list) if (settled.get(entry)?.spec.shareIsolate !== true) own++
      return own + shared
    },
    /** Plugin versions that must not run on this worker's thread (reported by another worker, or before a restart). */
    keepOffThread (versions: readonly string[]): void {
      for (const version of versions) offThread.add(version)
    },
    /** How many installations run on the worker's own thread now. */
    onThread: () => [...paces.values()].filter(onThread).length,
    close () {
      clearInterval(sweeper)
      spares.close()
      for (const key of [...byKey.keys()]) forget(key)
    },
  }
}
