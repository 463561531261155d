import { recordAudit } from '../core/audit/audit-log.ts'
import { revocationListsFor } from '../core/signatures/revocation.ts'
import { anchorsFor, fingerprintsOf } from '../core/signatures/store.ts'
import { verifySignature } from '../core/signatures/verify.ts'
import { unitsAround, usersAt } from '../core/tenancy/directory.ts'
import { findTenant } from '../core/tenancy/tenants.ts'
import type { GatewayCall } from '../sandbox/protocol.ts'
import type { Asker } from '../sandbox/supervisor.ts'
import { CallError } from './call-error.ts'
import { createFileCalls, type FileCallDeps } from './file-calls.ts'
import type { Exchange } from './exchange/exchange-call.ts'

export interface GatewayCallDeps extends FileCallDeps {
  exchange: Pick<Exchange, 'call'>
}

const ACTION = /^[a-z][a-z0-9._-]{0,63}$/
const ROLE = /^[a-z][a-z0-9-]{1,62}$/

/**
 * Answers what a plugin asks of the gateway, for the request the gateway dispatched: the plugin, its tenant and its
 * caller are the gateway's own record of that request. The worker checked the arguments already; a worker is not
 * trusted, so they are checked again here, with the permission.
 */
export function createGatewayCalls (deps: GatewayCallDeps): (call: GatewayCall, asker: Asker) => Promise<unknown> {
  const { db } = deps
  const fileCall = createFileCalls(deps)
  return async (call, { spec, request, requestId }) => {
    if (call.op.startsWith('files.') || call.op === 'signature.seal' || call.op.startsWith('exports.')) return fileCall(call, { spec, request, requestId })
    if (call.op === 'exchange.call') return deps.exchange.call(call, { spec, request, requestId })
    const tenant = await findTenant(db, spec.tenant)
    if (tenant === undefined) throw new CallError('NotFound', 'this unit no longer exists')
    switch (call.op) {
      case 'audit.record': {
        if (spec.permissions.audit !== true) throw new CallError('PermissionDenied', 'the manifest does not ask for audit')
        const details = call.details !== null && typeof call.details === 'object' && !Array.isArray(call.details) ? call.details : undefined
        if (typeof call.action !== 'string' || !ACTION.test(call.action) || details === undefined || JSON.stringify(details).length > 4096 ||
          (call.target !== null && (typeof call.target !== 'string' || call.target.length > 256))) {
          throw new CallError('InvalidArgument', 'an audit entry is an action, a target and details of at most 4 KiB')
        }
        await recordAudit(db, { actor: request.user?.username ?? null, action: `plugin:${spec.name}:${call.action}`, tenant: tenant.code, target: call.target, details, requestId })
        return null
      }
      case 'directory.users':
        if (spec.permissions.directory !== true) throw new CallError('PermissionDenied', 'the manifest does not ask for directory')
        if (call.role !== null && (typeof call.role !== 'string' || !ROLE.test(call.role))) throw new CallError('InvalidArgument', 'role is a role name')
        return usersAt(db, tenant, call.role)
      case 'timers.cancel':
        if ((spec.permissions.timers ?? []).length === 0) throw new CallError('PermissionDenied', 'the manifest does not ask for timers')
        return (await db.knex('plugin_timers').where({ timer_id: String(call.id), tenant_id: spec.tenantId, mount: spec.mount, plugin: spec.name }).delete()) > 0
      case 'signature.verify': {
        if (spec.permissions.signature !== true) throw new CallError('PermissionDenied', 'the manifest does not ask for signature')
        if (request.user === null) throw new CallError('InvalidArgument', 'a signature is checked as the signed-in user\'s, and this request has none')
        if (typeof call.signature !== 'string' || typeof call.content !== 'string') throw new CallError('InvalidArgument', 'a signature and its content, in base64')
        const [anchors, crls, fingerprints] = await Promise.all([
          anchorsFor(db, tenant), revocationListsFor(db, tenant), fingerprintsOf(db, request.user.username),
        ])
        return verifySignature({ signature: Buffer.from(call.signature, 'base64'), content: Buffer.from(call.content, 'base64'), anchors, crls, signerFingerprints: fingerprints })
      }
      case 'directory.units':
        if (spec.permissions.directory !== true) throw new CallError('PermissionDenied', 'the manifest does not ask for directory')
        return unitsAround(db, tenant)
      default:
        throw new CallError('InvalidArgument', 'no such call')
    }
  }
}
