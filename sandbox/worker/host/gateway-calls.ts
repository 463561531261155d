import type { GatewayCall, PluginSpec } from '../../protocol.ts'
import type { RunningRequest } from '../plugin-isolate.ts'
import { signedText } from './digest.ts'
import { fileCalls } from './file-calls.ts'
import { HostCallError, denied, invalid, objectArg } from '../../host-error.ts'

/** Asks the gateway, for the request `ticket` names; settles with its answer. */
export type Ask = (ticket: number, call: GatewayCall) => Promise<unknown>

const ACTION = /^[a-z][a-z0-9._-]{0,63}$/
const MAX_DETAILS = 4096

/**
 * `audit.record`, `directory.users` and `directory.units`: what the worker cannot answer (its database role
 * reaches the plugin tables only), asked of the gateway. The arguments are checked here, for a clear error
 * at once, and again by the gateway, which trusts nothing the worker says (platform/gateway-calls.ts).
 */
export function createGatewayCalls (ask: Ask) {
  const forRequest = (request: RunningRequest, call: GatewayCall): Promise<unknown> => {
    if (request.ticket === undefined) throw new HostCallError('HostError', 'this call needs a request')
    return ask(request.ticket, call)
  }
  return {
    ...fileCalls(forRequest),
    'audit.record': (spec: PluginSpec, request: RunningRequest, args: unknown[]): Promise<unknown> => {
      if (spec.permissions.audit !== true) throw denied('the manifest does not ask for audit')
      const [action, target = null, details = {}] = args
      if (typeof action !== 'string' || !ACTION.test(action)) throw invalid("the action is lower-case letters, digits, '.', '_' and '-', 1 to 64 of them, e.g. 'dossier.approved'")
      if (target !== null && (typeof target !== 'string' || target.length > 256)) throw invalid('the target is a string of at most 256 characters, or null')
      const text = JSON.stringify(objectArg(details, 'the details'))
      if (text.length > MAX_DETAILS) throw invalid(`the details are at most ${MAX_DETAILS} characters of JSON`)
      return forRequest(request, { op: 'audit.record', action, target, details: JSON.parse(text) as Record<string, unknown> })
    },
    'directory.users': (spec: PluginSpec, request: RunningRequest, args: unknown[]): Promise<unknown> => {
      if (spec.permissions.directory !== true) throw denied('the manifest does not ask for directory')
      const options = objectArg(args[0] ?? {}, 'the options')
      const role = options.role ?? null
      if (role !== null && (typeof role !== 'string' || !/^[a-z][a-z0-9-]{1,62}$/.test(role))) throw invalid('role is a role name such as officer')
      return forRequest(request, { op: 'directory.users', role })
    },
    'timers.cancel': (spec: PluginSpec, request: RunningRequest, args: unknown[]): Promise<unknown> => {
      if ((spec.permissions.timers ?? []).length === 0) throw denied('the manifest does not ask for timers')
      if (typeof args[0] !== 'string' || args[0].length > 36) throw invalid('a timer id is the string timers.at gave')
      return forRequest(request, { op: 'timers.cancel', id: args[0] })
    },
    'signature.verify': (spec: PluginSpec, request: RunningRequest, args: unknown[]): Promise<unknown> => {
      if (spec.permissions.signature !== true) throw denied('the manifest does not ask for signature')
      const check = objectArg(args[0], 'the signature check')
      if (check.signer !== 'current-user') throw invalid("signer is 'current-user': a signature is checked as the acting user's")
      if (typeof check.signature !== 'string' || check.signature.length > 65_536 || !/^[A-Za-z0-9+/=\s]+$/.test(check.signature)) {
        throw invalid('signature is a detached CMS (.p7s) in base64, at most 64 KiB')
      }
      const content = Buffer.from(signedText(check.content, 'content'), 'utf8').toString('base64')
      return forRequest(request, { op: 'signature.verify', signature: check.signature.replace(/\s+/g, ''), content })
    },
    'exchange.call': (spec: PluginSpec, request: RunningRequest, args: unknown[]): Promise<unknown> => forRequest(request, exchangeCall(spec, args)),
    'directory.units': (spec: PluginSpec, request: RunningRequest): Promise<unknown> => {
      if (spec.permissions.directory !== true) throw denied('the manifest does not ask for directory')
      return forRequest(request, { op: 'directory.units' })
    },
  }
}

const METHODS = new Set(['GET', 'POST', 'PUT', 'PATCH', 'DELETE', 'HEAD'])
const HEADER_NAME = /^[A-Za-z0-9-]{1,64}$/
/** Headers the endpoint's authentication, the exchange log or the connection own: a plugin never sets them. */
const OWN_HEADERS = /^(authorization|cookie|host|connection|content-length|transfer-encoding|te|upgrade|keep-alive|expect|proxy-.*|x-correlation-id|x-road-.*)$/i
const MAX_EXCHANGE_BODY = 1024 * 1024

/**
 * `exchange.call(endpoint, {method, path, query, headers, json | body})`, checked: an endpoint the manifest names, a
 * path below the endpoint's base (no `..`, no scheme or host of its own), plain query values, headers of the plugin's
 * own (never credentials), one body of at most 1 MiB. The gateway adds the rest (platform/exchange/exchange-call.ts).
 */
function exchangeCall (spec: PluginSpec, args: unknown[]): GatewayCall {
  const endpoint = typeof args[0] === 'string' ? args[0] : ''
  if (!(spec.permissions.exchange ?? []).includes(endpoint)) throw denied(`the manifest does not name the endpoint '${endpoint.slice(0, 64)}' (permissions.exchange)`)
  const options = objectArg(args[1] ?? {}, 'the request')
  const method = String(options.method ?? 'GET').toUpperCase()
  if (!METHODS.has(method)) throw invalid(`method ${method.slice(0, 10)} is not allowed`)
  const path = options.path ?? '/'
  if (typeof path !== 'string' || path.length > 2048 || !path.startsWith('/') || path.startsWith('//') || /[\s\\#?%]|(^|\/)\.\.?(\/|$)/.test(path)) {
    throw invalid("path is the part after the endpoint's base URL, starting with '/', without '..', '?', '#', '%' or spaces (query goes in query)")
  }
  const query: Record<string, string | string[]> = {}
  for (const [name, value] of Object.entries(objectArg(options.query ?? {}, 'query'))) {
    const values = Array.isArray(value) ? value : [value]
    if (name.length > 128 || values.length > 50 || !values.every((one) => ['string', 'number', 'boolean'].includes(typeof one))) throw invalid(`query '${name.slice(0, 64)}' takes text, numbers or booleans`)
    query[name] = Array.isArray(value) ? values.map(String) : String(value)
  }
  const headers: Record<string, string> = {}
  for (const [name, value] of Object.entries(objectArg(options.headers ?? {}, 'headers'))) {
    if (!HEADER_NAME.test(name) || typeof value !== 'string' || value.length > 4096 || /[\r\n]/.test(value)) throw invalid(`header '${name.slice(0, 64)}' must be a token name with a one-line text value`)
    if (OWN_HEADERS.test(name)) throw denied(`the header '${name}' is the platform's to set`)
    headers[name.toLowerCase()] = value
  }
  if (options.json !== undefined && options.body !== undefined) throw invalid('give json or body, not both')
  let body: string | null = null
  if (options.json !== undefined) body = JSON.stringify(options.json) ?? null
  else if (options.body !== undefined) {
    if (typeof options.body !== 'string') throw invalid('body is text; use json for an object')
    body = options.body
  }
  if (body !== null && Buffer.byteLength(body) > MAX_EXCHANGE_BODY) throw invalid(`the body is larger than ${MAX_EXCHANGE_BODY} bytes`)
  return { op: 'exchange.call', endpoint, method, path, query, headers, body, json: options.json !== undefined }
}
