import { PluginLoadError } from './module-loader.ts'
import { createPluginIsolate, type HostApi, type PluginIsolate } from './plugin-isolate.ts'
import type { PluginSpec } from './protocol.ts'

export interface PoolOptions {
  /** Most isolates a worker keeps; the least recently used idle one goes first. */
  maxIsolates: number
  /** An isolate unused this long is disposed. */
  idleMs: number
  /** CPU an idle isolate may burn between two sweeps before it counts as runaway. */
  runawayCpuMs: number
}

/**
 * The isolates of one worker, one per installed plugin version: created on first use, kept warm,
 * evicted when idle or when the budget is full, disposed when they burn CPU with no request
 * running (work a handler left behind after answering). Module state lives as long as its isolate.
 */
export function createIsolatePool (host: HostApi, options: PoolOptions, onEvent: (event: string, spec: PluginSpec, detail?: string) => void) {
  const isolates = new Map<string, Promise<PluginIsolate>>()
  const lastCpu = new Map<string, number>()

  function drop (key: string): void {
    const entry = isolates.get(key)
    isolates.delete(key)
    lastCpu.delete(key)
    entry?.then((isolate) => isolate.dispose(), () => undefined)
  }

  async function get (spec: PluginSpec): Promise<PluginIsolate> {
    const existing = isolates.get(spec.key)
    if (existing !== undefined) {
      const isolate = await existing
      // An idle isolate that kept burning CPU since its last request is runaway: start afresh.
      if (!isolate.disposed && !isolate.busy() && isolate.cpuMs() - isolate.idleSinceCpuMs > options.runawayCpuMs) {
        onEvent('runaway', isolate.spec, 'CPU used with no request running')
        isolate.dispose()
      }
      if (!isolate.disposed) return isolate
      if (isolates.get(spec.key) === existing) isolates.delete(spec.key)
    }
    if (isolates.size >= options.maxIsolates) await evictOne()
    const created = createPluginIsolate(spec, host)
    isolates.set(spec.key, created)
    created.catch(() => { if (isolates.get(spec.key) === created) isolates.delete(spec.key) })
    return created
  }

  async function evictOne (): Promise<void> {
    let oldest: [string, PluginIsolate] | undefined
    for (const [key, pending] of isolates) {
      const isolate = await pending.catch(() => undefined)
      if (isolate === undefined || isolate.busy()) continue
      if (oldest === undefined || isolate.lastUsed < oldest[1].lastUsed) oldest = [key, isolate]
    }
    if (oldest !== undefined) {
      onEvent('evicted', oldest[1].spec, 'isolate budget full')
      drop(oldest[0])
    }
  }

  const sweeper = setInterval(async () => {
    const now = Date.now()
    for (const [key, pending] of isolates) {
      const isolate = await pending.catch(() => undefined)
      if (isolate === undefined) continue
      if (isolate.disposed) { drop(key); continue }
      const cpu = isolate.cpuMs()
      const before = lastCpu.get(key) ?? cpu
      lastCpu.set(key, cpu)
      if (!isolate.busy() && cpu - before > options.runawayCpuMs) {
        onEvent('runaway', isolate.spec, `${Math.round(cpu - before)} ms of CPU with no request running`)
        drop(key)
      } else if (!isolate.busy() && now - isolate.lastUsed > options.idleMs) {
        onEvent('idle', isolate.spec)
        drop(key)
      }
    }
  }, 250)
  sweeper.unref()

  return {
    /** Runs one request; load failures become SBX_ERR_LOAD_FAILED. */
    async run (spec: PluginSpec, handler: string, requestJson: string, request: Parameters<PluginIsolate['run']>[2]) {
      let isolate: PluginIsolate
      try {
        isolate = await get(spec)
      } catch (error) {
        const message = error instanceof PluginLoadError ? error.message : 'the plugin could not be loaded'
        return { ok: false as const, code: 'SBX_ERR_LOAD_FAILED', message }
      }
      isolate.lastUsed = Date.now()
      const outcome = await isolate.run(handler, requestJson, request)
      if (isolate.disposed) drop(spec.key)
      return outcome
    },
    /** Disposes the isolate of `key` (uninstalled, switched away from, or replaced). */
    forget: drop,
    size: () => isolates.size,
    close () {
      clearInterval(sweeper)
      for (const key of [...isolates.keys()]) drop(key)
    },
  }
}
