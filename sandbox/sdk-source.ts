/**
 * The `nentang:sdk` module as plugin code sees it. It is evaluated before any plugin module, takes
 * the host's one reference off the global object and keeps it in its closure, so no plugin code can
 * reach it except through these functions. Arguments and results cross as JSON text: copies only.
 */
export const sdkSource = `
const host = globalThis.__nentangHost
const logHost = globalThis.__nentangLog
const settingsJson = globalThis.__nentangSettings
delete globalThis.__nentangHost
delete globalThis.__nentangLog
delete globalThis.__nentangSettings

export class PermissionDenied extends Error { constructor (message) { super(message); this.name = 'PermissionDenied' } }
export class HostError extends Error { constructor (name, message) { super(message); this.name = name } }

async function call (op, ...args) {
  const out = JSON.parse(await host.apply(undefined, [op, JSON.stringify(args)], { result: { promise: true, copy: true } }))
  if (out.error !== undefined) {
    if (out.error.name === 'PermissionDenied') throw new PermissionDenied(out.error.message)
    throw new HostError(out.error.name, out.error.message)
  }
  return out.value
}

function collection (name) {
  return Object.freeze({
    insert: (doc) => call('storage.insert', name, doc),
    get: (id) => call('storage.get', name, id),
    update: (id, patch) => call('storage.update', name, id, patch),
    remove: (id) => call('storage.remove', name, id),
    find: (filter = {}, options = {}) => call('storage.find', name, filter, options),
    count: (filter = {}) => call('storage.count', name, filter),
    aggregate: (spec) => call('storage.aggregate', name, spec),
  })
}

function write (level, args) {
  logHost(level, args.map((a) => { try { return typeof a === 'string' ? a : JSON.stringify(a) } catch { return String(a) } }).join(' '))
}

export const storage = Object.freeze({ collection })
export const http = Object.freeze({ fetch: (url, init = {}) => call('http.fetch', url, init) })
export const secrets = Object.freeze({ get: (name) => call('secrets.get', name) })
export const events = Object.freeze({ publish: (type, payload) => call('events.publish', type, payload) })
export const users = Object.freeze({ current: () => call('users.current') })
export const log = Object.freeze({
  info: (...args) => write('info', args),
  warn: (...args) => write('warn', args),
  error: (...args) => write('error', args),
})
export function settings () { return JSON.parse(settingsJson) }
export default Object.freeze({ storage, http, secrets, events, users, log, settings, PermissionDenied })
`

/**
 * Runs one handler call inside the isolate. Returns `['ok', status, headersJson, bodyJson]`,
 * `['failed', message]` or `['bad', why]`: primitives only, so the copy out is cheap and the body's
 * JSON text goes to the client as it is. It reads nothing from a thrown value but its message
 * when that is a string on a real Error, so a hostile throw costs only the plugin's own time.
 */
export const invokeSource = `(async function invoke (handler, requestJson, limit) {
  let result
  try {
    result = await handler(JSON.parse(requestJson))
  } catch (error) {
    let message = 'the plugin threw'
    try {
      if (error instanceof Error && typeof error.message === 'string') message = String(error.name) + ': ' + error.message.slice(0, 300)
    } catch {}
    return ['failed', message]
  }
  let status = 200
  let headers = {}
  let body = result
  if (result !== null && typeof result === 'object' && typeof result.status === 'number' &&
      Object.keys(result).every((key) => key === 'status' || key === 'headers' || key === 'body')) {
    status = result.status
    headers = result.headers ?? {}
    body = result.body
  }
  let headersJson
  let bodyJson
  try {
    headersJson = JSON.stringify(headers)
    bodyJson = body === undefined ? 'null' : JSON.stringify(body)
  } catch (error) {
    return ['bad', 'the response is not JSON-serialisable']
  }
  if (typeof bodyJson !== 'string' || typeof headersJson !== 'string') return ['bad', 'the response is not JSON-serialisable']
  if (bodyJson.length + headersJson.length > limit) return ['bad', 'the response is larger than ' + limit + ' characters']
  return ['ok', status, headersJson, bodyJson]
})`
