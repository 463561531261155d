import { PluginLoadError } from './module-loader.ts'
import { createPluginIsolate, type HostApi, type PluginIsolate, type RunningRequest } from './plugin-isolate.ts'
import type { PluginSpec } from './protocol.ts'

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
export function createIsolatePool (host: HostApi, options: PoolOptions, onEvent: (event: string, spec: PluginSpec, detail?: string) => void) {
  const byKey = new Map<string, Array<Promise<PluginIsolate>>>()
  const settled = new Map<Promise<PluginIsolate>, PluginIsolate>()
  const lastCpu = new WeakMap<PluginIsolate, number>()
  let total = 0
  const memoryStrikes = new Map<string, { times: number[], until: number }>()

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
    for (const entry of [...(byKey.get(key) ?? [])]) {
      remove(key, entry)
      entry.then((isolate) => isolate.dispose(), () => undefined)
    }
  }

  function create (spec: PluginSpec): Promise<PluginIsolate> {
    if (total >= options.maxIsolates) evictOne()
    const entry = createPluginIsolate(spec, host)
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
      if (isolate === undefined || isolate.busy()) continue
      if (isolate.disposed) { remove(spec.key, entry); continue }
      // An idle isolate that kept burning CPU since its last request is runaway: start afresh.
      if (isolate.cpuMs() - isolate.idleSinceCpuMs > options.runawayCpuMs) {
        onEvent('runaway', spec, 'CPU used with no request running')
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
    for (const [key, list] of [...byKey]) {
      for (const entry of [...list]) {
        const isolate = settled.get(entry)
        if (isolate === undefined) continue
        if (isolate.disposed) { remove(key, entry); continue }
        const cpu = isolate.cpuMs()
        const before = lastCpu.get(isolate) ?? cpu
        lastCpu.set(isolate, cpu)
        if (isolate.busy()) continue
        if (cpu - before > options.runawayCpuMs) {
          onEvent('runaway', isolate.spec, `${Math.round(cpu - before)} ms of CPU with no request running`)
          remove(key, entry)
        } else if (now - isolate.lastUsed > options.idleMs) {
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
      const outcome = await isolate.run(handler, requestJson, request)
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
    close () {
      clearInterval(sweeper)
      for (const key of [...byKey.keys()]) forget(key)
    },
  }
}
