import { assertRecentFactor } from '../core/auth/step-up.ts'
import { appendAudit } from '../core/audit/audit-log.ts'
import { transaction } from '../core/db/database.ts'
import { CoreError } from '../core/errors.ts'
import { defineRoute, type Route } from '../core/http/route.ts'
import type { Services } from '../core/services.ts'
import { holds } from '../core/tenancy/access.ts'
import { ROOT_TENANT } from '../core/tenancy/roles.ts'
import { RegistryError } from './errors.ts'
import { createDeclaredIndexes } from './indexes.ts'
import { parseManifest } from './manifest.ts'
import { entryView } from './routes.ts'
import { nameParam, scopeOf, scopeParam, versionParam } from './schemas.ts'
import type { RegistrySigner } from './signing.ts'
import { changeStatus, findVersion, findVersionById } from './versions.ts'

export const REGISTRY_CHANGED = 'registry.changed'

type Action = 'approve' | 'reject' | 'revoke'

const transitions: Record<Action, { from: string, to: string, field: 'comment' | 'reason' }> = {
  approve: { from: 'pending', to: 'approved', field: 'comment' },
  reject: { from: 'pending', to: 'rejected', field: 'comment' },
  revoke: { from: 'approved', to: 'revoked', field: 'reason' },
}

/**
 * Review by platform administrators: approve or reject a pending version (never one's own
 * upload), revoke an approved one. Approval signs the entry with the platform key; every change
 * is audited and announced on the change feed, so every node acts on it.
 */
export function reviewRoutes (services: Services, signer: RegistrySigner): Route<any>[] {
  const { db, changes } = services
  return (Object.keys(transitions) as Action[]).map((action) => {
    const { from, to, field } = transitions[action]
    return defineRoute<Record<string, string | boolean>>({
      method: 'POST',
      path: `/api/v1/registry/packages/:scope/:name/versions/:version/${action}`,
      operationId: `${action}PackageVersion`,
      summary: action === 'revoke' ? 'Revoke an approved version: every installation of it answers 410 on every node' : `${action === 'approve' ? 'Approve' : 'Reject'} a pending version (a platform-admin who is not its publisher)`,
      tag: 'registry',
      auth: 'user',
      params: { scope: scopeParam, name: nameParam, version: versionParam },
      // A rejection and a revocation say why; an approval may, and must when it overrides a failed check.
      body: {
        type: 'object',
        additionalProperties: false,
        required: action === 'approve' ? [] : [field],
        properties: {
          [field]: { type: 'string', minLength: action === 'approve' ? 0 : 1, maxLength: 2000 },
          ...(action === 'approve' ? { override: { type: 'boolean', description: 'approve although an automated check failed (the comment is the reason, audited)' } } : {}),
        },
      },
      responses: { 200: { description: `Now ${to}`, schema: { type: 'object' } } },
      errors: [CoreError.notFound, CoreError.forbidden, CoreError.stepUpRequired, RegistryError.selfReview, RegistryError.wrongStatus, ...(action === 'approve' ? [RegistryError.checksFailed, CoreError.invalidField] : [])],
      async handle ({ params, body, principal, requestId }) {
        const name = `@${scopeOf(params.scope)}/${params.name}`
        const row = await findVersion(db, name, params.version!)
        if (row === undefined) throw CoreError.notFound(`${name}@${params.version} not found`)
        if (!holds(principal, 'platform-admin', ROOT_TENANT)) throw CoreError.forbidden(`only a platform-admin may ${action} a version`)
        if (action !== 'reject') assertRecentFactor(principal, services.identity.factorPolicy, `${action === 'approve' ? 'Approving' : 'Revoking'} a package`)
        if (action !== 'revoke' && row.publisher === principal.username) throw RegistryError.selfReview('you published this version; another platform-admin must review it')
        if (row.status !== from) throw RegistryError.wrongStatus(`${name}@${params.version} is ${row.status}; only a ${from} version can be ${to}`)
        const failed = action === 'approve' ? (JSON.parse(String(row.checks)) as Array<{ id: string, ok: boolean }>).filter((check) => !check.ok).map((check) => check.id) : []
        if (failed.length > 0 && body.override !== true) {
          throw RegistryError.checksFailed(`${name}@${params.version} failed: ${failed.join(', ')}; approve it only with override: true and the reason in comment`, { field: 'override' })
        }
        if (failed.length > 0 && String(body.comment ?? '').trim().length < 10) {
          throw CoreError.invalidField('an override needs its reason in comment (10 characters at least)', { field: 'comment' })
        }
        const now = new Date().toISOString()
        const update: Record<string, unknown> = { status: to }
        if (action === 'revoke') update.revoke_reason = body.reason
        else Object.assign(update, { reviewer: principal.username, reviewed_at: now, review_comment: body.comment ?? null })
        if (action === 'approve') update.signature = signer.sign(name, String(row.version), String(row.sha256))
        await transaction(db, async (trx) => {
          // The status condition makes two racing reviews of one version resolve to one.
          if (!await changeStatus(trx, row.id, from, update)) throw RegistryError.wrongStatus(`${name}@${params.version} changed meanwhile`)
          await appendAudit(trx, { actor: principal.username, action: `registry.${action}`, tenant: String(row.scope), target: `${name}@${row.version}`, details: { [field]: body[field] ?? null, sha256: row.sha256, ...(failed.length > 0 ? { override: true, failed } : {}) }, requestId })
          await changes.publish(trx, REGISTRY_CHANGED, { name, version: row.version, status: to })
        })
        if (action === 'approve') await createDeclaredIndexes(db, parseManifest(JSON.parse(String(row.manifest))), services.logger)
        const fresh = await findVersionById(db, row.id)
        return { status: 200, body: entryView(fresh, true) }
      },
    })
  })
}
