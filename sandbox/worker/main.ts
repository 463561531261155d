/**
 * A sandbox worker process (started by the supervisor with --no-node-snapshot). It holds the
 * isolates of the plugins the gateway routes to it and answers one IPC message per request. It
 * has its own database connection for the SDK's host functions. If it dies, only its in-flight
 * requests fail (503) and the supervisor starts another.
 */
import { createDatabase } from '../../core/db/database.ts'
import { createHostApi } from './host/host-api.ts'
import { createQueryThreads } from './host/query-threads.ts'
import { resolve } from 'node:path'
import { createIsolatePool } from './isolate-pool.ts'
import { PluginLoadError } from './module-loader.ts'
import { createPluginIsolate } from './plugin-isolate.ts'
import { WARM_HANDLER, createBatcher, type Batch, type FromWorker, type GatewayCall, type LoadCheck, type PluginSpec, type ToWorker, type WorkerSettings } from '../protocol.ts'
import { HostCallError, type HostCallName } from '../host-error.ts'

process.once('message', (first: Batch<ToWorker>) => {
  const [settings, ...rest] = first.m
  if (settings?.t !== 'settings') throw new Error('a sandbox worker is told its settings first')
  const worker = startWorker(settings.settings)
  for (const message of rest) worker.receive(message)
  process.on('message', (batch: Batch<ToWorker>) => {
    for (const message of batch.m) worker.receive(message)
  })
  worker.send({ t: 'ready' })
})

/** The worker, once it knows its settings: its database connection, host functions and isolate pool. */
function startWorker (settings: WorkerSettings): { receive(message: ToWorker): void, send(message: FromWorker): void } {
  const db = createDatabase(settings.databaseUrl)
  db.now()
  // Storage writes answered on this thread are committed before any answer leaves (core/db/database.ts).
  const send = createBatcher<FromWorker>((batch) => {
    db.now()?.commit()
    // After the gateway has gone (a stop, or it died), there is no one to answer: the worker leaves quietly.
    if (process.connected) process.send?.(batch, undefined, undefined, (error) => { if (error !== null) process.exit(0) })
  }, (message) => {
    // Answers carry JSON text already, so this is a bug's trace: the request still gets its answer.
    if (message.t === 'res') send({ t: 'err', id: message.id, code: 'SBX_ERR_BAD_RESPONSE', message: 'the response could not be handed back' })
  })
  const log = (level: 'info' | 'warn' | 'error', fields: Record<string, unknown>, msg: string): void => send({ t: 'log', level, fields, msg })

  // Gateway calls waiting for their answer, by question number.
  const questions = new Map<number, { resolve: (value: unknown) => void, reject: (error: Error) => void }>()
  let nextQuestion = 1
  const ask = (ticket: number, call: GatewayCall): Promise<unknown> => new Promise((resolve, reject) => {
    const question = nextQuestion++
    questions.set(question, { resolve, reject })
    send({ t: 'ask', id: ticket, ask: question, call })
  })
  const host = createHostApi({
    db,
    ...(settings.databaseUrl.startsWith('sqlite:') ? { queryThreads: createQueryThreads(resolve(settings.databaseUrl.slice('sqlite:'.length))) } : {}),
    quota: settings.quota,
    ask,
    log,
    fetchPolicy: {
      allowPrivate: settings.httpAllowPrivate,
      timeoutMs: 10_000,
      maxBodyBytes: 1024 * 1024,
      maxRedirects: 5,
      maxInFlight: 8,
    },
  })
  const pool = createIsolatePool(host, {
    maxIsolates: settings.isolates.max,
    maxPerKey: settings.isolates.perPlugin,
    idleMs: settings.isolates.idleMs,
    runawayCpuMs: 100,
  }, (event, spec, detail) => log(event === 'runaway' || event === 'quarantined' ? 'warn' : 'info', { tenant: spec.tenant, plugin: spec.name, version: spec.version, event }, detail ?? `isolate ${event}`),
  (version) => send({ t: 'off-thread', version }))
  const specs = new Map<string, PluginSpec>()

  function receive (message: ToWorker): void {
    switch (message.t) {
      case 'settings':
        return
      case 'answer': {
        const question = questions.get(message.ask)
        questions.delete(message.ask)
        if (message.error === undefined) question?.resolve(message.value)
        else question?.reject(new HostCallError(message.error.name as HostCallName, message.error.message))
        return
      }
      case 'spec':
        if (specs.has(message.spec.key)) pool.forget(message.spec.key)
        specs.set(message.spec.key, message.spec)
        return
      case 'forget':
        specs.delete(message.key)
        pool.forget(message.key)
        return
      case 'check':
        checkPackage(message.dir, message.main, message.handlers).then((result) => send({ t: 'checked', id: message.id, result }))
        return
      case 'off-thread':
        pool.keepOffThread(message.versions)
        return
      case 'stats':
        send({ t: 'stats', isolates: pool.isolates(), onThread: pool.onThread(), heapUsed: process.memoryUsage().heapUsed, rss: process.memoryUsage().rss })
        return
      case 'req': {
        const spec = specs.get(message.key)
        if (spec === undefined) {
          send({ t: 'err', id: message.id, code: 'SBX_ERR_UNAVAILABLE', message: 'the plugin is not loaded on this worker' })
          return
        }
        if (message.handler === WARM_HANDLER) {
          pool.warm(spec).then(() => send({ t: 'res', id: message.id, response: { status: 204, headers: {}, body: 'null' } }), (error: unknown) => {
            send({ t: 'err', id: message.id, code: 'SBX_ERR_LOAD_FAILED', message: String((error as Error)?.message ?? error) })
          })
          return
        }
        // Host calls end a little before the plugin's own time does, so it still has time to answer with what it got.
        const deadline = Date.now() + spec.limits.timeoutMs - Math.min(100, spec.limits.timeoutMs / 10)
        const request = { requestId: message.requestId, ticket: message.id, user: message.request.user, hostCalls: 0, overBudget: false, deadline }
        pool.run(spec, message.handler, JSON.stringify(message.request), request).then((outcome) => {
          if (outcome.ok) send({ t: 'res', id: message.id, response: outcome.response })
          else {
            if (outcome.code !== 'SBX_ERR_HOST_CALL_LIMIT') log(outcome.code === 'SBX_ERR_PLUGIN_FAILED' ? 'warn' : 'error', { tenant: spec.tenant, plugin: spec.name, version: spec.version, requestId: message.requestId, code: outcome.code }, outcome.message)
            send({ t: 'err', id: message.id, code: outcome.code, message: outcome.message })
          }
        }, (error: unknown) => {
          log('error', { requestId: message.requestId, err: String((error as Error)?.stack ?? error) }, 'sandbox worker failed a request')
          send({ t: 'err', id: message.id, code: 'SBX_ERR_PLUGIN_FAILED', message: 'the plugin failed' })
        })
      }
    }
  }

  /** Loads a package in a throwaway isolate with no permission at all, and lists the handlers it lacks. */
  async function checkPackage (dir: string, main: string, handlers: string[]): Promise<LoadCheck> {
    const spec: PluginSpec = { key: `check:${dir}`, tenant: 'check', tenantId: 0, tenantPath: 'check', mount: 'check', name: 'check', version: '0.0.0', dir, main, permissions: {}, limits: { timeoutMs: 2000, memoryMb: 64, hostCalls: 0 }, settings: {}, secrets: {} }
    try {
      const isolate = await createPluginIsolate(spec, host)
      const missing = isolate.missingExports(handlers)
      isolate.dispose()
      return { loaded: true, missing }
    } catch (error) {
      return { loaded: false, error: error instanceof PluginLoadError ? error.message : 'the package could not be loaded', missing: handlers }
    }
  }

  process.on('disconnect', () => {
    pool.close()
    db.close().finally(() => process.exit(0))
  })
  return { receive, send }
}
