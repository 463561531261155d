import { validateHeaderValue } from 'node:http'
import ivm from 'isolated-vm'
import { createModuleLoader, PluginLoadError } from './module-loader.ts'
import type { Outcome, PluginSpec, RequestUser } from '../protocol.ts'
import { ExchangeError, type ExchangeErrorCode, type SandboxErrorCode } from '../errors.ts'
import { invokeSource, sdkSource } from './sdk-source.ts'
import { LATER } from './host/later.ts'
import type { BlankIsolate } from './spare-isolate.ts'

/** The response body limit (SPEC §8: 5 MiB), in characters of JSON text. */
export const RESPONSE_LIMIT = 5 * 1024 * 1024

/** What a host call knows of the request it serves. */
export interface RunningRequest {
  requestId: string
  /** The id the gateway dispatched this request under: gateway calls name it, and are answered only while it runs. */
  ticket?: number
  user: RequestUser | null
  hostCalls: number
  overBudget: boolean
  /** When the request's time runs out (Date.now() ms): host calls that wait (fetches) end by then. */
  deadline?: number
  /** Bytes of documents this request has written (the storage quota's per-request part). */
  written?: { bytes: number }
  /** Set once its answer is decided: a host call answered after that is left to code running with no request. */
  ended?: boolean
  /** Its host calls under way (answered in their own time). */
  inFlight?: number
  /** Set when it has run: how long it blocked the worker's thread, and the isolate's CPU it used (ms). */
  blockedMs?: number
  cpuMs?: number
}

/** The host side of `nentang:sdk`: answers one call for one running request. */
export interface HostApi {
  call(spec: PluginSpec, request: RunningRequest, op: string, args: unknown[]): Promise<unknown>
  /** The same call answered on this thread, or LATER (nothing done) when only `call` can. */
  callNow(spec: PluginSpec, request: RunningRequest, op: string, args: unknown[]): unknown
  log(spec: PluginSpec, request: RunningRequest | undefined, level: string, text: string): void
}

export interface PluginIsolate {
  readonly spec: PluginSpec
  /** The names among `names` that the main module does not export as functions. */
  missingExports(names: string[]): string[]
  readonly disposed: boolean
  /** CPU time the isolate has used outside requests, in ms: the pool watches it grow while no request runs. */
  cpuMs(): number
  /** `cpuMs()` when the last request ended. */
  readonly idleSinceCpuMs: number
  /** Whether the isolate runs a request now (of this installation, or of another unit sharing it). */
  busy(): boolean
  /** Whether code a finished request left behind may be running in it now (see LEFTOVER_MS): no request goes to it. */
  leftover(): boolean
  lastUsed: number
  /**
   * Runs one request, after those queued before it. `sync` runs it on the calling thread, which it
   * blocks until the handler returns (at most the plugin's time limit): the pool decides when.
   */
  run(handler: string, requestJson: string, request: RunningRequest, sync?: boolean): Promise<Outcome>
  /** Lets this installation go: its isolate, or its context in a shared isolate (the isolate goes with the last). */
  dispose(): void
  /** Ends the isolate itself, with every unit's context in it (CPU burnt with no request running). */
  kill(): void
}

/**
 * One request at a time on an isolate, whichever unit's context it runs in: what a request's host calls, its CPU time
 * and its watchdog are counted against is never in doubt, and no setup on the worker's thread waits for an isolate
 * busy on another thread.
 */
export interface Lane {
  running: number
  tail: Promise<unknown>
  /** CPU the isolate used inside requests and setups, in ms: what it burns outside them is what the pool watches. */
  busyCpuMs: number
  /** The isolate's CPU time when the last work on the lane ended, in ms. */
  lastCpuMs: number
  /** Host calls of finished requests not answered yet: code awaiting them will run with no request running. */
  lateCalls: number
  /** Until when code a finished request left behind may be running in the isolate (Date.now() ms). */
  leftoverUntil: number
  /** The isolate's CPU time when that began (ms): still growing when the time is up, the code still runs. */
  leftoverCpuMs: number | undefined
}

const createLane = (): Lane => ({
  running: 0, tail: Promise.resolve(), busyCpuMs: 0, lastCpuMs: 0, lateCalls: 0, leftoverUntil: 0, leftoverCpuMs: undefined,
})

function markLeftover (lane: Lane, isolate: ivm.Isolate): void {
  lane.leftoverUntil = Date.now() + LEFTOVER_MS
  lane.leftoverCpuMs = isolate.isDisposed ? undefined : Number(isolate.cpuTime) / 1e6
}

/**
 * Whether code a finished request left behind may run in the lane's isolate now, or soon (a call of it under way); a
 * while on, as long as the isolate keeps spending CPU with no request (until the pool's sweep ends it as runaway).
 */
function leftoverOn (lane: Lane, isolate: ivm.Isolate): boolean {
  if (lane.lateCalls > 0 || lane.leftoverUntil > Date.now()) return true
  if (lane.leftoverCpuMs === undefined || lane.running > 0 || isolate.isDisposed) return false
  if (Number(isolate.cpuTime) / 1e6 - lane.leftoverCpuMs > LEFTOVER_CPU_MS) {
    markLeftover(lane, isolate)
    return true
  }
  lane.leftoverCpuMs = undefined
  return false
}

/**
 * How long after a host call answered past its request the isolate counts as possibly running that request's leftover
 * code: a request sent to it meanwhile would wait for the isolate's lock behind that code (on the worker's own thread,
 * stalling every other tenant of the worker). Twice the pool's slowest look at idle CPU (a sweep, 250 ms).
 */
const LEFTOVER_MS = 500
/** CPU an isolate may spend over LEFTOVER_MS with no request (its collector) and still count as quiet. */
const LEFTOVER_CPU_MS = 5

/**
 * Runs `work` on `lane` after what is queued there, its CPU counted as busy and told to `done` (on the hot path of
 * every request: one promise more than the work's own, measured against the pool's µs per request).
 */
function onLane<T> (lane: Lane, isolate: ivm.Isolate, work: () => Promise<T>, done?: (cpuMs: number) => void): Promise<T> {
  const start = (): Promise<T> => {
    const before = isolate.isDisposed ? 0 : Number(isolate.cpuTime) / 1e6
    const finish = (): void => {
      lane.running--
      if (isolate.isDisposed) { done?.(0); return }
      lane.lastCpuMs = Number(isolate.cpuTime) / 1e6
      lane.busyCpuMs += lane.lastCpuMs - before
      done?.(lane.lastCpuMs - before)
    }
    return work().then((value) => { finish(); return value }, (error: unknown) => { finish(); throw error })
  }
  const result = lane.running++ === 0 ? start() : lane.tail.then(start, start)
  lane.tail = result
  return result
}

/**
 * An isolate whose contexts serve several units of one first-party plugin version (PluginSpec.shareIsolate): each
 * unit has a context of its own (its own globals, module state, settings and host functions bound to it), and the
 * isolate, its compiled code and its heap are made once instead of once per unit. Built for the national tree, where
 * 3,321 communes each start the same plugin: a new isolate cost a commune's first request 4–6 ms of the worker's CPU,
 * a context in an existing one ~1.5 ms (measured).
 */
export interface SharedIsolate {
  readonly isolate: ivm.Isolate
  readonly lane: Lane
  /** Its heap limit: a request's own, and room for every unit's context beside it. */
  readonly memoryMb: number
  /** The contexts in it, made or being made (units' installations); the isolate is disposed when the last goes. */
  contexts: number
  /** The installations (PluginSpec.key) with a context in it: one each. */
  readonly keys: Set<string>
  /** A context made with the isolate (a spare's), for the first unit to take. */
  blankContext: ivm.Context | undefined
  /** Takes a place for `key`'s context (createPluginIsolate then makes it; its dispose gives the place back). */
  reserve(key: string): void
  /** Whether code a finished request left behind may be running in it (see `leftoverOn`). */
  leftover(): boolean
}

/** A shared isolate, from a spare made with `memoryMb` if there is one. */
export function createSharedIsolate (blank: BlankIsolate | undefined, memoryMb: number): SharedIsolate {
  const isolate = blank?.isolate ?? new ivm.Isolate({ memoryLimit: memoryMb })
  const lane = createLane()
  const shared: SharedIsolate = {
    isolate,
    lane,
    memoryMb,
    contexts: 0,
    keys: new Set(),
    blankContext: blank?.context,
    reserve (key) {
      shared.contexts++
      shared.keys.add(key)
    },
    leftover: () => leftoverOn(lane, isolate),
  }
  return shared
}

/**
 * How long a request run on the worker's own thread may hold it without a pause (an await of a
 * host call ends the stretch): the worker's other tenants wait that long at most. Only plugins
 * proven quick run there (isolate-pool.ts); one that runs past this is stopped (504) and runs on
 * isolated-vm's threads from then on.
 */
export const ON_THREAD_MAX_MS = 250

const exchangeCodes = new Set<string>(Object.values(ExchangeError).map((factory) => factory.code))
/** The code of an exchange failure a plugin let through; anything else a plugin calls one is its own failure. */
const exchangeCode = (code: unknown): SandboxErrorCode => exchangeCodes.has(String(code)) ? code as ExchangeErrorCode : 'SBX_ERR_PLUGIN_FAILED'

const hostErrorJson = (name: string, message: string): string => JSON.stringify({ error: { name, message } })

/**
 * One isolate for one installed plugin version: its memory limit, the SDK, the plugin's modules;
 * in `blank` when given: a spare made ahead with the version's memory limit (spare-isolate.ts); with `shared` (a place
 * reserved for `spec.key`), a context of its own in that isolate instead.
 * Requests run one at a time (host calls know which request they serve); each has a watchdog on
 * wall time that disposes the isolate, since isolated-vm's own timeout does not stop a plugin that
 * keeps returning promises. A disposed isolate is never reused.
 */
export async function createPluginIsolate (spec: PluginSpec, host: HostApi, blank?: BlankIsolate, shared?: SharedIsolate): Promise<PluginIsolate> {
  const isolate = shared?.isolate ?? blank?.isolate ?? new ivm.Isolate({ memoryLimit: spec.limits.memoryMb })
  const lane = shared?.lane ?? createLane()
  if (shared === undefined) return onLane(lane, isolate, () => createInContext(spec, host, isolate, lane, blank?.context, undefined))
  return onLane(lane, isolate, () => {
    const context = shared.blankContext
    shared.blankContext = undefined
    return createInContext(spec, host, isolate, lane, context, shared)
  })
}

async function createInContext (
  spec: PluginSpec, host: HostApi, isolate: ivm.Isolate, lane: Lane, blankContext: ivm.Context | undefined, shared: SharedIsolate | undefined
): Promise<PluginIsolate> {
  let current: RunningRequest | undefined
  let disposed = false
  let idleSinceCpuMs = 0
  const handlers = new Map<string, ivm.Reference<unknown>>()
  let context: ivm.Context | undefined

  // What is fatal for a request (its time, its memory) ends the isolate: nothing else runs in it meanwhile (its lane),
  // and the other units' contexts in a shared one are made again on their next request.
  const kill = (): void => {
    disposed = true
    try { isolate.dispose() } catch {}
  }
  const dispose = (): void => {
    if (disposed) return
    if (shared === undefined) { kill(); return }
    disposed = true
    shared.keys.delete(spec.key)
    try {
      for (const reference of handlers.values()) reference.release()
      context?.release()
    } catch {}
    handlers.clear()
    if (--shared.contexts === 0) kill()
  }
  const outsideCpuMs = (): number => (isolate.isDisposed ? 0 : Number(isolate.cpuTime) / 1e6 - lane.busyCpuMs)

  try {
    // The platform's own setup (context, host functions, SDK) is trusted code that runs in well
    // under a millisecond a step: on this thread, without a hop to isolated-vm's threads and back
    // for each (the hops made a cold first request 3–4 ms slower, measured).
    context = blankContext ?? isolate.createContextSync()
    const jail = context.global
    // WebAssembly memory lives outside the isolate's heap and so outside `memoryMb` (an isolate
    // limited to 64 MB held 768 MB of it): plugins get no WebAssembly at all.
    jail.deleteSync('WebAssembly')
    // A host call is bound to the request that makes it, when it makes it: every call first goes
    // to __nentangHostNow (a Callback, run at once). What it cannot answer on this thread it keeps
    // as a ticket, and the SDK then asks __nentangHost for the ticket's answer. A call made by a
    // request that has ended by the time its ticket comes (made without await) is refused, never
    // counted against, nor run for, whichever request is running then.
    const tickets = new Map<number, { request: RunningRequest, op: string, args: unknown[] }>()
    // Tickets of finished requests whose answer the SDK has not asked for yet: it will, from code then running with
    // no request (the refusal below), so the lane counts them as late calls until then.
    const abandoned = new Set<number>()
    let lastTicket = 0
    // A Reference, because only `apply` with `result.promise` waits for an async host function.
    // The SDK takes it off the global object before any plugin code runs and keeps it in a closure.
    jail.setSync('__nentangHost', new ivm.Reference(async (id: unknown): Promise<string> => {
      const ticket = typeof id === 'number' ? tickets.get(id) : undefined
      if (ticket === undefined) {
        if (abandoned.delete(id as number)) {
          lane.lateCalls--
          markLeftover(lane, isolate)
        }
        return hostErrorJson('HostError', 'the request that made this call has ended')
      }
      tickets.delete(id as number)
      const { request } = ticket
      request.inFlight = (request.inFlight ?? 0) + 1
      let answer: string
      try {
        const value = await host.call(spec, ticket.request, ticket.op, ticket.args)
        answer = JSON.stringify({ value: value === undefined ? null : value })
      } catch (error) {
        const { name, message } = error as Error
        answer = hostErrorJson(typeof name === 'string' ? name : 'HostError', typeof message === 'string' ? message : 'host call failed')
      }
      // Answered after its request: the code awaiting it runs with no request running, on isolated-vm's threads, for as
      // long as it likes until the pool sees its CPU. Meanwhile no request waits for this isolate (isolate-pool.ts).
      request.inFlight--
      if (request.ended === true) {
        lane.lateCalls--
        markLeftover(lane, isolate)
      }
      return answer
    }))
    // Calls answered on this thread where the host can (SQLite storage, settings, the caller): no
    // promise round trip to the host, and a request that makes only such calls ends within the
    // call that started it.
    jail.setSync('__nentangHostNow', new ivm.Callback((op: unknown, argsJson: unknown): string => {
      const request = current
      if (request === undefined) return hostErrorJson('HostError', 'no request is running')
      if (typeof op !== 'string' || typeof argsJson !== 'string') return hostErrorJson('HostError', 'bad host call')
      try {
        const args = JSON.parse(argsJson) as unknown[]
        const value = host.callNow(spec, request, op, args)
        if (value !== LATER) return JSON.stringify({ value: value === undefined ? null : value })
        tickets.set(++lastTicket, { request, op, args })
        return JSON.stringify({ later: lastTicket })
      } catch (error) {
        const { name, message } = error as Error
        return hostErrorJson(typeof name === 'string' ? name : 'HostError', typeof message === 'string' ? message : 'host call failed')
      }
    }))
    // Called in turn, not fire-and-forget: a line queued to run after the call found the request over (`current`
    // cleared) and was logged without its request id.
    jail.setSync('__nentangLog', new ivm.Callback((level: unknown, text: unknown) => {
      const request = current
      if (typeof text !== 'string') return
      // A log line is a host call like any other: it counts against the request's budget.
      if (request !== undefined) {
        if (request.hostCalls >= spec.limits.hostCalls) {
          request.overBudget = true
          return
        }
        request.hostCalls++
      }
      host.log(spec, request, String(level), text.slice(0, 2000))
    }))
    jail.setSync('__nentangSettings', JSON.stringify(spec.settings))
    const sdk = isolate.compileModuleSync(sdkSource, { filename: 'nentang:sdk' })
    sdk.instantiateSync(context, () => { throw new Error('the SDK imports nothing') })
    sdk.evaluateSync({ timeout: 1000 })
    const entry = isolate.compileScriptSync(invokeSource, { filename: 'nentang:invoke' }).runSync(context, { reference: true }) as ivm.Reference<Record<number, unknown>>
    type Ref = ivm.Reference<unknown>
    const [invoke, wait, invokeAsync] = [0, 1, 2].map((index) => entry.getSync(index, { reference: true }) as Ref) as [Ref, Ref, Ref]
    entry.release()
    const namespace = await createModuleLoader(isolate, spec.dir, sdk, spec.digest).load(context, spec.main, spec.limits.timeoutMs)

    const heapUsed = (): number => {
      try {
        const heap = isolate.getHeapStatisticsSync()
        return heap.used_heap_size + heap.externally_allocated_size
      } catch {
        return 0
      }
    }

    const handlerRef = (name: string): ivm.Reference<unknown> | undefined => {
      let reference = handlers.get(name)
      if (reference === undefined) {
        reference = namespace.getSync(name, { reference: true }) as ivm.Reference<unknown>
        if (reference.typeof !== 'function') return undefined
        handlers.set(name, reference)
      }
      return reference
    }

    async function runNow (handler: string, requestJson: string, request: RunningRequest, onThread: boolean): Promise<Outcome> {
      if (disposed || isolate.isDisposed) return { ok: false, code: 'SBX_ERR_UNAVAILABLE', message: 'the plugin was unloaded; retry' }
      // Leftover code may have started while this request waited for the lane: then not on this thread either.
      const sync = onThread && !leftoverOn(lane, isolate)
      const target = handlerRef(handler)
      if (target === undefined) return { ok: false, code: 'SBX_ERR_LOAD_FAILED', message: `the plugin exports no function '${handler}'` }
      current = request
      const limit = spec.limits.timeoutMs
      let timedOut = false
      let watchdog: NodeJS.Timeout | undefined
      const watch = (ms: number): void => { watchdog = setTimeout(() => { timedOut = true; kill() }, ms) }
      const started = performance.now()
      try {
        let result: unknown
        if (sync) {
          // On this thread: no hop to isolated-vm's pool and back. `timeout` bounds the call and the
          // microtasks it leaves, so an endless promise chain stops here too.
          result = invoke.applySync(
            undefined,
            [target.derefInto(), requestJson, RESPONSE_LIMIT],
            { timeout: Math.min(limit, ON_THREAD_MAX_MS), result: { copy: true } }
          )
          request.blockedMs = performance.now() - started
          if (Array.isArray(result) && result[0] === 'pending') {
            const left = Math.max(1, Math.ceil(limit - request.blockedMs))
            watch(left)
            result = await wait.apply(undefined, [], { timeout: left, result: { promise: true, copy: true } })
          }
        } else {
          watch(limit)
          result = await invokeAsync.apply(
            undefined,
            [target.derefInto(), requestJson, RESPONSE_LIMIT],
            { timeout: limit, result: { promise: true, copy: true } }
          )
        }
        // SDK calls still awaiting their answer: the code after them will run after this answer, with no request.
        if (Array.isArray(result) && Number(result[4]) > 0) markLeftover(lane, isolate)
        if (request.overBudget) return { ok: false, code: 'SBX_ERR_HOST_CALL_LIMIT', message: `more than ${spec.limits.hostCalls} host calls in one request` }
        if (!Array.isArray(result)) return { ok: false, code: 'SBX_ERR_BAD_RESPONSE', message: 'the plugin gave no response' }
        if (result[0] === 'failed') return { ok: false, code: 'SBX_ERR_PLUGIN_FAILED', message: String(result[1]) }
        if (result[0] === 'exchange') return { ok: false, code: exchangeCode(result[1]), message: String(result[2]) }
        if (result[0] === 'bad') return { ok: false, code: 'SBX_ERR_BAD_RESPONSE', message: String(result[1]) }
        return checkResponse(result[1], result[2], result[3])
      } catch (error) {
        const message = String((error as Error)?.message ?? error)
        if (timedOut || /timed out/i.test(message)) {
          // Stopped with its heap over half full: a memory bomb (the collector thrashing near the
          // limit), not slow code, as it would have been told without the thread's shorter bound.
          const nearlyFull = !disposed && !isolate.isDisposed && heapUsed() > 0.5 * (shared?.memoryMb ?? spec.limits.memoryMb) * 1024 * 1024
          kill()
          if (nearlyFull) return { ok: false, code: 'SBX_ERR_MEMORY_LIMIT', message: `the plugin exceeded its ${spec.limits.memoryMb} MB of memory` }
          const ran = sync && request.blockedMs === undefined && limit > ON_THREAD_MAX_MS ? `${ON_THREAD_MAX_MS} ms without a pause on the worker's thread` : `its ${limit} ms`
          return { ok: false, code: 'SBX_ERR_TIMEOUT', message: `the plugin ran past ${ran}` }
        }
        const memory = { ok: false, code: 'SBX_ERR_MEMORY_LIMIT', message: `the plugin exceeded its ${spec.limits.memoryMb} MB of memory` } as const
        // isolated-vm says so; the pool may have tidied the isolate it killed away before this answer came.
        if (/memory limit/i.test(message)) { kill(); return memory }
        // Disposed by us, not for this request's time nor its memory: unloaded while it ran.
        if (disposed) return { ok: false, code: 'SBX_ERR_UNAVAILABLE', message: 'the plugin was unloaded while it ran; retry' }
        if (isolate.isDisposed) { kill(); return memory }
        return { ok: false, code: 'SBX_ERR_PLUGIN_FAILED', message: `the plugin failed: ${message.slice(0, 200)}` }
      } finally {
        clearTimeout(watchdog)
        current = undefined
        request.ended = true
        // Its host calls still under way will be answered to code running with no request.
        lane.lateCalls += request.inFlight ?? 0
        for (const [id, ticket] of tickets) {
          if (ticket.request !== request) continue
          tickets.delete(id)
          if (abandoned.size < 10_000) {
            abandoned.add(id)
            lane.lateCalls++
          }
        }
        // A synchronous call that threw (time, memory) blocked the thread until it did.
        if (sync && request.blockedMs === undefined) request.blockedMs = performance.now() - started
      }
    }

    idleSinceCpuMs = outsideCpuMs()
    return {
      spec,
      missingExports: (names) => names.filter((name) => handlerRef(name) === undefined),
      get disposed () { return disposed || isolate.isDisposed },
      cpuMs: () => (disposed ? 0 : outsideCpuMs()),
      get idleSinceCpuMs () { return idleSinceCpuMs },
      busy: () => lane.running > 0,
      leftover: () => leftoverOn(lane, isolate),
      lastUsed: Date.now(),
      run (handler, requestJson, request, sync = false) {
        // An idle isolate starts at once; a busy one queues the request behind the one it runs.
        return onLane(lane, isolate, () => runNow(handler, requestJson, request, sync), (cpuMs) => {
          request.cpuMs = cpuMs
          idleSinceCpuMs = lane.lastCpuMs - lane.busyCpuMs
        })
      },
      dispose,
      kill,
    }
  } catch (error) {
    const memory = isolate.isDisposed
    if (memory || shared === undefined) kill()
    else dispose()
    if (error instanceof PluginLoadError) throw error
    if (memory) throw new PluginLoadError(`the plugin exceeded its ${spec.limits.memoryMb} MB of memory while loading`)
    throw new PluginLoadError(`the plugin failed while loading: ${String((error as Error)?.message ?? error).slice(0, 300)}`)
  }
}

function checkResponse (status: unknown, headersJson: unknown, body: unknown): Outcome {
  if (typeof status !== 'number' || !Number.isInteger(status) || status < 200 || status > 599) {
    return { ok: false, code: 'SBX_ERR_BAD_RESPONSE', message: `status ${String(status).slice(0, 20)} is not an integer from 200 to 599` }
  }
  const headers: Record<string, string> = {}
  const parsed = JSON.parse(String(headersJson)) as unknown
  if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) return { ok: false, code: 'SBX_ERR_BAD_RESPONSE', message: 'headers must be an object' }
  for (const [name, value] of Object.entries(parsed)) {
    if (!/^[A-Za-z0-9-]{1,64}$/.test(name) || typeof value !== 'string' || value.length > 4096 || !sendable(name, value)) {
      return { ok: false, code: 'SBX_ERR_BAD_RESPONSE', message: `header '${name.slice(0, 64)}' is invalid: a name of letters, digits and '-', a value of at most 4096 Latin-1 characters without control characters` }
    }
    headers[name.toLowerCase()] = value
  }
  return { ok: true, response: { status, headers, body: String(body) } }
}

/** Whether Node will write this header value (no control characters, nothing beyond Latin-1). */
function sendable (name: string, value: string): boolean {
  try {
    validateHeaderValue(name, value)
    return true
  } catch {
    return false
  }
}
