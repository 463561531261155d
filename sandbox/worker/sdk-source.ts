/**
 * The `nentang:sdk` module as plugin code sees it. It is evaluated before any plugin module, takes
 * the host's one reference off the global object and keeps it in its closure, so no plugin code can
 * reach it except through these functions. Arguments and results cross as JSON text: copies only.
 */
export const sdkSource = `
const host = globalThis.__nentangHost
const hostNow = globalThis.__nentangHostNow
const logHost = globalThis.__nentangLog
const settingsJson = globalThis.__nentangSettings
delete globalThis.__nentangHost
delete globalThis.__nentangHostNow
delete globalThis.__nentangLog
delete globalThis.__nentangSettings

export class PermissionDenied extends Error { constructor (message) { super(message); this.name = 'PermissionDenied' } }
export class HostError extends Error { constructor (name, message) { super(message); this.name = name } }
export class ExchangeError extends Error {
  constructor (message) { super(message); this.name = 'ExchangeError'; this.code = /^EXCH_ERR_[A-Z_]{1,40}/.exec(message)?.[0] ?? 'EXCH_ERR_UNREACHABLE' }
}

// SDK calls awaiting the host's answer now: the code after them runs when it comes, perhaps after the request's answer
// (the pool then sends no request to this isolate for a while: isolate-pool.ts). Told to nentang:invoke, not to plugins.
let awaiting = 0
globalThis.__nentangAwaiting = () => awaiting

async function call (op, ...args) {
  let out = JSON.parse(hostNow(op, JSON.stringify(args)))
  if (out.later !== undefined) {
    awaiting++
    try {
      out = JSON.parse(await host.apply(undefined, [out.later], { result: { promise: true, copy: true } }))
    } finally {
      awaiting--
    }
  }
  if (out.error !== undefined) {
    if (out.error.name === 'PermissionDenied') throw new PermissionDenied(out.error.message)
    if (out.error.name === 'ExchangeError') throw new ExchangeError(out.error.message)
    throw new HostError(out.error.name, out.error.message)
  }
  return out.value
}

function collection (name, options = {}) {
  const target = options.scope === undefined ? name : { name, scope: options.scope }
  return Object.freeze({
    insert: (doc) => call('storage.insert', target, doc),
    get: (id) => call('storage.get', target, id),
    update: (id, patch, options = {}) => call('storage.update', target, id, patch, options),
    remove: (id) => call('storage.remove', target, id),
    find: (filter = {}, options = {}) => call('storage.find', target, filter, options),
    count: (filter = {}) => call('storage.count', target, filter),
    aggregate: (spec) => call('storage.aggregate', target, spec),
  })
}

function write (level, args) {
  // Cut here, in the plugin's own isolate: only 2,000 characters are ever copied out to the host.
  logHost(level, args.map((a) => { try { return typeof a === 'string' ? a.slice(0, 2000) : String(JSON.stringify(a)).slice(0, 2000) } catch { return '[unprintable]' } }).join(' ').slice(0, 2000))
}

export const storage = Object.freeze({ collection, batch: (operations) => call('storage.batch', operations) })
export const http = Object.freeze({ fetch: (url, init = {}) => call('http.fetch', url, init) })
export const secrets = Object.freeze({ get: (name) => call('secrets.get', name) })
export const events = Object.freeze({ publish: (type, payload) => call('events.publish', type, payload) })
export const users = Object.freeze({ current: () => call('users.current') })
export const audit = Object.freeze({ record: (action, target = null, details = {}) => call('audit.record', action, target, details) })
export const crypto = Object.freeze({ digest: (algorithm, data) => call('crypto.digest', algorithm, data) })
export const signature = Object.freeze({ verify: (check) => call('signature.verify', check), seal: (content) => call('signature.seal', content) })
export const files = Object.freeze({
  info: (id) => call('files.info', id),
  read: (id, options = {}) => call('files.read', id, options),
  create: (file) => call('files.create', file),
  keep: (id) => call('files.keep', id),
  remove: (id) => call('files.remove', id),
  url: (id, options = {}) => call('files.url', id, options),
})
export const exports = Object.freeze({ start: (job) => call('exports.start', job), status: (id) => call('exports.status', id) })
export const timers = Object.freeze({
  at: (when, handler, payload = null) => call('timers.at', when instanceof Date ? when.toISOString() : when, handler, payload),
  cancel: (id) => call('timers.cancel', id),
})
export const exchange = Object.freeze({ call: (endpoint, request = {}) => call('exchange.call', endpoint, request) })
export const directory = Object.freeze({ users: (options = {}) => call('directory.users', options), units: () => call('directory.units') })
export const log = Object.freeze({
  info: (...args) => write('info', args),
  warn: (...args) => write('warn', args),
  error: (...args) => write('error', args),
})
export function settings () { return JSON.parse(settingsJson) }
export default Object.freeze({ storage, http, secrets, events, users, audit, directory, timers, crypto, signature, files, exports, exchange, log, settings, PermissionDenied, ExchangeError })
`

/**
 * Evaluates to `[invoke, wait, invokeAsync]`. `invoke(handler, requestJson, limit)` runs one handler call and
 * returns `['ok', status, headersJson, bodyJson]`, `['failed', message]`, `['bad', why]` (each with, fifth, how many
 * SDK calls were still awaiting an answer), or
 * `['pending']` while the handler's promise is unsettled; `wait()` then gives that promise, which
 * settles to one of the others. Primitives only, so the copy out is cheap and the body's JSON text
 * goes to the client as it is. A handler that settles within the call (synchronous, or awaiting
 * only what is already resolved) answers in that call: the engine runs the call's microtasks before
 * the result is copied out, and the box is filled by then. `invokeAsync` is both in one promise, for
 * a call made off the worker's main thread. Nothing is read from a thrown value but
 * its message when that is a string on a real Error, so a hostile throw costs only the plugin's time.
 */
export const invokeSource = `(function () {
  const awaiting = globalThis.__nentangAwaiting
  delete globalThis.__nentangAwaiting
  // The SDK's calls still awaiting an answer when the handler's answer is decided, as the answer's fifth element.
  const done = (out) => { out[4] = awaiting(); return out }
  let pending
  function failed (error) {
    let message = 'the plugin threw'
    try {
      if (error instanceof Error && typeof error.message === 'string') message = String(error.name) + ': ' + error.message.slice(0, 300)
      // An exchange failure the plugin let through answers its caller with the exchange's own code.
      if (error instanceof Error && error.name === 'ExchangeError' && typeof error.code === 'string' && /^EXCH_ERR_[A-Z_]{1,40}$/.test(error.code)) {
        return ['exchange', error.code, error.message.slice(0, 300)]
      }
    } catch {}
    return ['failed', message]
  }
  function answer (result, limit) {
    let status = 200
    let headers = {}
    let body = result
    let headersJson
    let bodyJson
    try {
      if (result !== null && typeof result === 'object' && typeof result.status === 'number' &&
          Object.keys(result).every((key) => key === 'status' || key === 'headers' || key === 'body')) {
        status = result.status
        headers = result.headers ?? {}
        body = result.body
      }
      headersJson = JSON.stringify(headers)
      bodyJson = body === undefined ? 'null' : JSON.stringify(body)
    } catch (error) {
      return ['bad', 'the response is not JSON-serialisable']
    }
    if (typeof bodyJson !== 'string' || typeof headersJson !== 'string') return ['bad', 'the response is not JSON-serialisable']
    if (bodyJson.length + headersJson.length > limit) return ['bad', 'the response is larger than ' + limit + ' characters']
    return ['ok', status, headersJson, bodyJson]
  }
  function invoke (handler, requestJson, limit) {
    pending = undefined
    let result
    let thenable = false
    try {
      result = handler(JSON.parse(requestJson))
      thenable = result !== null && (typeof result === 'object' || typeof result === 'function') && typeof result.then === 'function'
    } catch (error) {
      return done(failed(error))
    }
    if (!thenable) return done(answer(result, limit))
    const box = ['pending', null, null, null, 0]
    try {
      pending = Promise.resolve(result).then((value) => answer(value, limit), failed).then((out) => {
        done(out)
        box[0] = out[0]; box[1] = out[1]; box[2] = out[2]; box[3] = out[3]; box[4] = out[4]
        return out
      })
    } catch (error) {
      return done(failed(error))
    }
    return box
  }
  function wait () { return pending }
  async function invokeAsync (handler, requestJson, limit) {
    const out = invoke(handler, requestJson, limit)
    return out[0] === 'pending' ? pending : out
  }
  return [invoke, wait, invokeAsync]
})()`
