import { recordAudit } from '../core/audit/audit-log.ts'
import type { Database } from '../core/db/database.ts'
import { unitsAround, usersAt } from '../core/tenancy/directory.ts'
import { findTenant } from '../core/tenancy/tenants.ts'
import type { GatewayCall } from '../sandbox/protocol.ts'
import type { Asker } from '../sandbox/supervisor.ts'

/** An error the plugin sees by its name (the supervisor passes these on, and masks any other). */
class CallError extends Error {
  constructor (name: 'PermissionDenied' | 'InvalidArgument' | 'NotFound', message: string) {
    super(message)
    this.name = name
  }
}

const ACTION = /^[a-z][a-z0-9._-]{0,63}$/
const ROLE = /^[a-z][a-z0-9-]{1,62}$/

/**
 * Answers what a plugin asks of the gateway, for the request the gateway dispatched: the plugin, its tenant and its
 * caller are the gateway's own record of that request. The worker checked the arguments already; a worker is not
 * trusted, so they are checked again here, with the permission.
 */
export function createGatewayCalls (db: Database): (call: GatewayCall, asker: Asker) => Promise<unknown> {
  return async (call, { spec, request, requestId }) => {
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
      case 'directory.units':
        if (spec.permissions.directory !== true) throw new CallError('PermissionDenied', 'the manifest does not ask for directory')
        return unitsAround(db, tenant)
      default:
        throw new CallError('InvalidArgument', 'no such call')
    }
  }
}
