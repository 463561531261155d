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
    'directory.units': (spec: PluginSpec, request: RunningRequest): Promise<unknown> => {
      if (spec.permissions.directory !== true) throw denied('the manifest does not ask for directory')
      return forRequest(request, { op: 'directory.units' })
    },
  }
}
