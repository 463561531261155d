import { recordAudit } from '../../core/audit/audit-log.ts'
import { assertRecentFactor } from '../../core/auth/step-up.ts'
import { CoreError } from '../../core/errors.ts'
import { defineRoute, type Route } from '../../core/http/route.ts'
import { tenantCode } from '../../core/routes/schemas.ts'
import type { Services } from '../../core/services.ts'
import { holds, type Principal } from '../../core/tenancy/access.ts'
import { tenantInReach } from '../../core/tenancy/reach.ts'
import { ROOT_TENANT } from '../../core/tenancy/roles.ts'
import { servingAt } from '../../registry/installations.ts'
import { csvCell } from '../exports.ts'
import { mountParam } from '../../registry/schemas.ts'
import { endpointInputSchema, type EndpointInput } from './endpoint-input.ts'
import { EndpointInvalid, endpointView } from './endpoints.ts'
import type { Exchange } from './exchange-call.ts'
import type { ExchangeEntry } from './exchange-log.ts'

const endpointName = { type: 'string', pattern: '^[a-z][a-z0-9-]{0,63}$' }
const endpointSchema = {
  type: 'object',
  properties: {
    name: { type: 'string' },
    baseUrl: { type: 'string' },
    auth: { type: 'object', description: 'The kind and its settings; `secretsSet` names the secrets set, never their values' },
    ca: { type: ['string', 'null'] },
    timeoutMs: { type: 'integer' },
    retries: { type: 'integer' },
    ratePerMinute: { type: ['integer', 'null'] },
    breaker: { type: 'object', properties: { failures: { type: 'integer' }, openMs: { type: 'integer' } } },
    allowPrivate: { type: 'boolean' },
    logBodies: { type: 'boolean' },
    circuit: { type: 'string', enum: ['closed', 'open', 'half-open'], description: 'On this node' },
    updatedAt: { type: 'string' },
    updatedBy: { type: 'string' },
  },
}
const entrySchema = {
  type: 'object',
  properties: {
    id: { type: 'integer', description: 'Across units; `before` pages by it' },
    tenant: { type: 'string', description: 'The unit the call was made for' },
    seq: { type: 'integer', description: "In the unit's own chain" },
    at: { type: 'string' },
    mount: { type: 'string' },
    plugin: { type: 'string' },
    endpoint: { type: 'string' },
    method: { type: 'string' },
    target: { type: 'string' },
    status: { type: ['integer', 'null'] },
    outcome: { type: 'string' },
    durationMs: { type: 'integer' },
    attempts: { type: 'integer' },
    correlationId: { type: 'string' },
    requestId: { type: ['string', 'null'] },
    requestHash: { type: 'string', description: 'SHA-512 (hex) of `METHOD target\\n` and the request body' },
    responseHash: { type: ['string', 'null'], description: 'SHA-512 (hex) of `status\\n` and the response body' },
    requestBody: { type: ['string', 'null'] },
    responseBody: { type: ['string', 'null'] },
    prevHash: { type: 'string' },
    hash: { type: 'string' },
  },
}
const logQuery = {
  endpoint: endpointName,
  outcome: { type: 'string', pattern: '^(ok|EXCH_ERR_[A-Z_]{1,40})$' },
  correlationId: { type: 'string', pattern: '^[A-Za-z0-9._:-]{1,128}$' },
  from: { type: 'string', format: 'date-time' },
  to: { type: 'string', format: 'date-time' },
  before: { type: 'string', pattern: '^[1-9][0-9]{0,15}$' },
  limit: { type: 'string', pattern: '^([1-9][0-9]?|[1-4][0-9][0-9]|500)$', description: '1–500, default 50' },
}

/** The exchange's administration: each installation's endpoints, and the unit's exchange log (tenant-admin). */
export function exchangeRoutes (services: Services, exchange: Exchange): Route<any>[] {
  const { db } = services

  async function installed (principal: Principal, code: string, mount: string) {
    const tenant = await tenantInReach(db, principal, code, 'admin')
    if (await servingAt(db, tenant, mount) === undefined) throw CoreError.notFound(`nothing is installed or inherited at '${mount}'`)
    return tenant
  }
  const circuitOf = (tenantId: number, mount: string, name: string): string =>
    exchange.circuits().find((one) => one.tenantId === tenantId && one.mount === mount && one.endpoint === name)?.state ?? 'closed'

  const list = defineRoute({
    method: 'GET',
    path: '/api/v1/tenants/:code/plugins/:mount/endpoints',
    operationId: 'listExchangeEndpoints',
    summary: "The outbound endpoints this unit set for a plugin's exchange.call (secrets named, never shown)",
    tag: 'exchange',
    auth: 'user',
    params: { code: tenantCode, mount: mountParam },
    responses: { 200: { description: 'By name', schema: { type: 'object', properties: { endpoints: { type: 'array', items: endpointSchema } } } } },
    errors: [CoreError.notFound, CoreError.forbidden],
    async handle ({ params, principal }) {
      const tenant = await installed(principal, params.code!, params.mount!)
      const endpoints = await exchange.endpoints.list(tenant.id, params.mount!)
      return { status: 200, body: { endpoints: endpoints.map((one) => ({ ...endpointView(one), circuit: circuitOf(tenant.id, one.mount, one.name) })) } }
    },
  })

  const put = defineRoute<EndpointInput>({
    method: 'PUT',
    path: '/api/v1/tenants/:code/plugins/:mount/endpoints/:name',
    operationId: 'setExchangeEndpoint',
    summary: 'Set a named endpoint a plugin calls: base URL, authentication (secrets sealed), time limit, retries, rate, breaker',
    tag: 'exchange',
    auth: 'user',
    params: { code: tenantCode, mount: mountParam, name: endpointName },
    body: endpointInputSchema,
    responses: { 200: { description: 'Changed', schema: endpointSchema }, 201: { description: 'Created', schema: endpointSchema } },
    errors: [CoreError.notFound, CoreError.forbidden, CoreError.invalidField, CoreError.stepUpRequired],
    async handle ({ params, body, principal, requestId }) {
      const tenant = await installed(principal, params.code!, params.mount!)
      // Credentials to another agency's system: a dangerous change, like trusting an authority.
      assertRecentFactor(principal, services.identity.factorPolicy, 'Setting an exchange endpoint')
      const platformAdmin = holds(principal, 'platform-admin', ROOT_TENANT)
      if (body.allowPrivate === true && !platformAdmin) {
        throw CoreError.forbidden('only a platform administrator may let an endpoint reach a private address', { field: 'allowPrivate' })
      }
      let saved
      try {
        saved = await exchange.endpoints.save(tenant, params.mount!, params.name!, body, principal.username, platformAdmin ? body.allowPrivate : undefined)
      } catch (error) {
        if (error instanceof EndpointInvalid) throw CoreError.invalidField(error.message, { field: error.field })
        throw error
      }
      const { endpoint, created } = saved
      const view = endpointView(endpoint)
      await recordAudit(db, {
        actor: principal.username,
        action: created ? 'exchange.endpoint-created' : 'exchange.endpoint-changed',
        tenant: tenant.code,
        target: `${params.mount}/${params.name}`,
        details: { baseUrl: view.baseUrl, auth: view.auth, allowPrivate: view.allowPrivate, logBodies: view.logBodies },
        requestId,
      })
      return { status: created ? 201 : 200, body: { ...view, circuit: 'closed' } }
    },
  })

  const remove = defineRoute({
    method: 'DELETE',
    path: '/api/v1/tenants/:code/plugins/:mount/endpoints/:name',
    operationId: 'deleteExchangeEndpoint',
    summary: 'Remove a named endpoint: calls to it fail with EXCH_ERR_NOT_CONFIGURED (or use the installing unit\'s)',
    tag: 'exchange',
    auth: 'user',
    params: { code: tenantCode, mount: mountParam, name: endpointName },
    responses: { 204: { description: 'Removed' } },
    errors: [CoreError.notFound, CoreError.forbidden],
    async handle ({ params, principal, requestId }) {
      const tenant = await tenantInReach(db, principal, params.code!, 'admin')
      if (!await exchange.endpoints.remove(tenant, params.mount!, params.name!)) throw CoreError.notFound(`'${tenant.code}' has no endpoint '${params.name}' at '${params.mount}'`)
      await recordAudit(db, { actor: principal.username, action: 'exchange.endpoint-deleted', tenant: tenant.code, target: `${params.mount}/${params.name}`, requestId })
      return { status: 204 }
    },
  })

  const log = defineRoute({
    method: 'GET',
    path: '/api/v1/tenants/:code/exchange-log',
    operationId: 'listExchangeLog',
    summary: 'Calls to other systems made at this unit and the units below it, newest first: endpoint, status, outcome, time, correlation id, request and response hashes',
    tag: 'exchange',
    auth: 'user',
    params: { code: tenantCode },
    query: logQuery,
    responses: { 200: { description: '`next` is the `before` of the following page, or null', schema: { type: 'object', properties: { items: { type: 'array', items: entrySchema }, next: { type: ['integer', 'null'] } } } } },
    errors: [CoreError.notFound, CoreError.forbidden],
    async handle ({ params, principal, ctx }) {
      const tenant = await tenantInReach(db, principal, params.code!, 'admin')
      const query = ctx.query as Record<string, string | undefined>
      const limit = query.limit === undefined ? 50 : Number(query.limit)
      const items = await exchange.log.search(tenant, { ...searchOf(query), limit: limit + 1 })
      return { status: 200, body: { items: items.slice(0, limit), next: items.length > limit ? items[limit - 1]!.id : null } }
    },
  })

  const exported = defineRoute({
    method: 'GET',
    path: '/api/v1/tenants/:code/exchange-log/export',
    operationId: 'exportExchangeLog',
    summary: "This unit's exchange log as CSV (UTF-8 with BOM, for Excel), the same filters, at most 100,000 entries",
    tag: 'exchange',
    auth: 'user',
    params: { code: tenantCode },
    query: { ...logQuery, limit: { type: 'string', pattern: '^[1-9][0-9]{0,4}$|^100000$', description: 'default 100000' } },
    responses: { 200: { description: 'CSV', contentType: 'text/csv' } },
    errors: [CoreError.notFound, CoreError.forbidden],
    async handle ({ params, principal, ctx, requestId }) {
      const tenant = await tenantInReach(db, principal, params.code!, 'admin')
      const query = ctx.query as Record<string, string | undefined>
      const items = await exchange.log.search(tenant, { ...searchOf(query), limit: query.limit === undefined ? 100_000 : Number(query.limit) })
      await recordAudit(db, { actor: principal.username, action: 'exchange.log-exported', tenant: tenant.code, target: null, details: { entries: items.length }, requestId })
      return {
        status: 200,
        headers: { 'content-type': 'text/csv; charset=utf-8', 'content-disposition': `attachment; filename="exchange-log-${tenant.code}.csv"` },
        body: '\uFEFF' + csvOf(items),
      }
    },
  })

  const verify = defineRoute({
    method: 'GET',
    path: '/api/v1/tenants/:code/exchange-log/verification',
    operationId: 'verifyExchangeLog',
    summary: "Walks this unit's exchange log chain and reports whether it holds, or its first broken entry",
    tag: 'exchange',
    auth: 'user',
    params: { code: tenantCode },
    responses: { 200: { description: '`ok`, or the first broken entry and why', schema: { type: 'object', properties: { ok: { type: 'boolean' }, entries: { type: 'integer' }, seq: { type: 'integer' }, reason: { type: 'string' } } } } },
    errors: [CoreError.notFound, CoreError.forbidden],
    async handle ({ params, principal }) {
      const tenant = await tenantInReach(db, principal, params.code!, 'admin')
      return { status: 200, body: await exchange.log.verify(tenant.id) }
    },
  })

  return [list, put, remove, log, exported, verify]
}

function searchOf (query: Record<string, string | undefined>) {
  return {
    ...(query.endpoint === undefined ? {} : { endpoint: query.endpoint }),
    ...(query.outcome === undefined ? {} : { outcome: query.outcome }),
    ...(query.correlationId === undefined ? {} : { correlationId: query.correlationId }),
    ...(query.from === undefined ? {} : { from: new Date(query.from).toISOString() }),
    ...(query.to === undefined ? {} : { to: new Date(query.to).toISOString() }),
    ...(query.before === undefined ? {} : { before: Number(query.before) }),
  }
}

const CSV_COLUMNS: Array<keyof ExchangeEntry | 'tenant'> = ['tenant', 'seq', 'at', 'mount', 'plugin', 'endpoint', 'method', 'target', 'status', 'outcome', 'durationMs', 'attempts', 'correlationId', 'requestId', 'requestHash', 'responseHash', 'prevHash', 'hash']

function csvOf (entries: ReadonlyArray<ExchangeEntry & { tenant: string }>): string {
  return [CSV_COLUMNS.join(','), ...entries.map((entry) => CSV_COLUMNS.map((column) => csvCell(entry[column])).join(','))].join('\r\n') + '\r\n'
}
