import { toEntry } from '../audit/audit-log.ts'
import { verifyAuditChain } from '../audit/verify.ts'
import { CoreError } from '../errors.ts'
import { defineRoute, type Route } from '../http/route.ts'
import type { Services } from '../services.ts'
import { holds } from '../tenancy/access.ts'
import { tenantInReach } from '../tenancy/reach.ts'
import { ROOT_TENANT } from '../tenancy/roles.ts'
import * as schema from './schemas.ts'

const entry = {
  type: 'object',
  properties: {
    seq: { type: 'integer' },
    at: { type: 'string', format: 'date-time' },
    actor: { type: ['string', 'null'] },
    action: { type: 'string' },
    tenant: { type: ['string', 'null'] },
    target: { type: ['string', 'null'] },
    details: { type: 'object' },
    requestId: { type: ['string', 'null'] },
    hash: { type: 'string' },
  },
}

/** The audit log: read by tenant-admins for their subtree, verified by platform-admins. */
export function auditRoutes ({ db, auditKey, config }: Services): Route<any>[] {
  const list = defineRoute({
    method: 'GET',
    path: '/api/v1/tenants/:code/audit',
    operationId: 'listAudit',
    summary: 'Audit entries about this tenant and the tenants below it, newest first (at the root: every entry)',
    tag: 'audit',
    auth: 'user',
    params: { code: schema.tenantCode },
    query: {
      action: { type: 'string', pattern: '^[a-z][a-z0-9.:@/_-]{0,191}$', description: 'an action, or a prefix ending in a dot or a colon (`grant.`, `plugin:@hn/permits:`)' },
      actor: schema.username,
      before: schema.id,
      limit: { type: 'string', pattern: '^([1-9][0-9]?|1[0-9][0-9]|200)$', description: '1–200, default 50' },
    },
    responses: { 200: { description: 'Entries; `next` is the `before` of the following page, or null', schema: { type: 'object', properties: { items: { type: 'array', items: entry }, next: { type: ['integer', 'null'] } } } } },
    errors: [CoreError.notFound, CoreError.forbidden],
    async handle ({ params, principal, ctx }) {
      const tenant = await tenantInReach(db, principal, params.code!, 'admin')
      const { action, actor, before, limit } = ctx.query as Record<string, string | undefined>
      const size = limit === undefined ? 50 : Number(limit)
      const query = db.knex('audit_log').orderBy('seq', 'desc').limit(size + 1)
      if (tenant.code !== ROOT_TENANT) {
        query.whereIn('tenant', db.knex('tenants').select('code').where('path', tenant.path).orWhere('path', 'like', `${tenant.path}/%`))
      }
      if (action !== undefined) {
        if (action.endsWith('.') || action.endsWith(':')) query.whereRaw("action like ? escape '\\'", [`${action.replace(/[\\%_]/g, (c) => `\\${c}`)}%`])
        else query.where('action', action)
      }
      if (actor !== undefined) query.where('actor', actor)
      if (before !== undefined) query.where('seq', '<', Number(before))
      const rows = await query
      const items = rows.slice(0, size).map((row) => {
        const { prevHash: _prevHash, ...view } = toEntry(row)
        return view
      })
      return { status: 200, body: { items, next: rows.length > size ? items.at(-1)!.seq : null } }
    },
  })

  const verification = defineRoute({
    method: 'GET',
    path: '/api/v1/audit/verification',
    operationId: 'verifyAudit',
    summary: 'Walks the whole keyed hash chain up to its newest checkpoint and reports whether it holds, or its first broken entry (platform-admin)',
    tag: 'audit',
    auth: 'user',
    responses: {
      200: {
        description: '`ok` with the head hash, or the first broken entry and why',
        schema: { type: 'object', properties: { ok: { type: 'boolean' }, entries: { type: 'integer' }, head: { type: 'string' }, checkpoint: { type: 'integer', description: 'the newest checkpoint the chain reaches' }, seq: { type: 'integer' }, reason: { type: 'string' } } },
      },
    },
    errors: [CoreError.forbidden],
    async handle ({ principal }) {
      if (!holds(principal, 'platform-admin', ROOT_TENANT)) throw CoreError.forbidden('only a platform-admin may verify the audit chain')
      return { status: 200, body: await verifyAuditChain(db, auditKey, config.dataDir) }
    },
  })

  return [list, verification]
}
