import { recordAudit } from '../../core/audit/audit-log.ts'
import { CoreError } from '../../core/errors.ts'
import { defineRoute, type Route } from '../../core/http/route.ts'
import { tenantCode } from '../../core/routes/schemas.ts'
import { tenantInReach } from '../../core/tenancy/reach.ts'
import { findTenant } from '../../core/tenancy/tenants.ts'
import { mountParam } from '../../registry/schemas.ts'
import type { ActiveInstallation } from '../../registry/routing-table.ts'
import { pluginOpenApi } from '../plugin-openapi.ts'
import type { PlatformServices } from '../services.ts'

const serviceCode = { type: 'string', pattern: '^[a-z][a-z0-9-]{1,62}$' }

interface Published {
  tenant: string
  unit: string
  adminUnitCode: string | null
  code: string
  mount: string
  method: string
  path: string
  title: string
  description: string
  publishedAt: string
}

const entrySchema = {
  type: 'object',
  properties: {
    tenant: { type: 'string' },
    unit: { type: 'string' },
    adminUnitCode: { type: ['string', 'null'] },
    code: { type: 'string' },
    title: { type: 'string' },
    description: { type: 'string' },
    method: { type: 'string' },
    url: { type: 'string', description: 'Where the service answers: /t/{tenant}/{mount}{path}' },
    auth: { type: 'object', description: 'How a system calls it: a client-credentials token, with the role the route needs' },
    openapi: { type: 'string', description: 'Its OpenAPI 3.1 document (getOpenAPI)' },
    publishedAt: { type: 'string' },
  },
}

/**
 * Published services and the connection catalogue (X-Road's service metadata, for REST): a tenant-admin offers chosen
 * plugin routes to other systems; anyone may read what is offered, where, with what auth, and each service's
 * OpenAPI 3.1 document, before a single call is allowed ("đầu chờ kết nối"). A system still needs a client and the
 * route's role.
 */
export function catalogueRoutes (services: PlatformServices): Route<any>[] {
  const { db } = services

  async function published (where: { tenant?: string, code?: string } = {}): Promise<Published[]> {
    const query = db.knex('published_services as s').join('tenants as t', 't.id', 's.tenant_id').orderBy(['t.path', 's.code'])
      .select('s.*', 't.code as tenant', 't.name as unit', 't.admin_unit_code')
    if (where.tenant !== undefined) query.where('t.code', where.tenant)
    if (where.code !== undefined) query.where('s.code', where.code)
    return (await query.limit(5000)).map((row) => ({
      tenant: String(row.tenant),
      unit: String(row.unit),
      adminUnitCode: row.admin_unit_code === null ? null : String(row.admin_unit_code),
      code: String(row.code),
      mount: String(row.mount),
      method: String(row.method),
      path: String(row.path),
      title: String(row.title),
      description: String(row.description),
      publishedAt: String(row.published_at),
    }))
  }

  const routeOf = (installation: ActiveInstallation, service: Pick<Published, 'method' | 'path'>): ActiveInstallation['routes'][number] | undefined =>
    installation.routes.find((route) => route.method === service.method && route.path === service.path)

  async function entryOf (service: Published): Promise<Record<string, unknown>> {
    const installation = await services.plugins.resolve(service.tenant, service.mount).catch(() => undefined)
    const route = installation === undefined ? undefined : routeOf(installation, service)
    return {
      tenant: service.tenant,
      unit: service.unit,
      adminUnitCode: service.adminUnitCode,
      code: service.code,
      title: service.title,
      description: service.description,
      method: service.method,
      url: `/t/${service.tenant}/${service.mount}${service.path}`,
      auth: route?.access === 'public'
        ? { type: 'none' }
        : { type: 'oauth2-client-credentials', tokenUrl: '/api/v1/auth/client-token', role: route?.access ?? null },
      available: route !== undefined,
      openapi: `/api/v1/catalogue/${service.tenant}/${service.code}/openapi.json`,
      publishedAt: service.publishedAt,
    }
  }

  const catalogue = defineRoute({
    method: 'GET',
    path: '/api/v1/catalogue',
    operationId: 'catalogue',
    summary: 'Every service units publish to other systems, with its unit, auth and OpenAPI document (listMethods, for all)',
    tag: 'exchange',
    auth: 'public',
    responses: { 200: { description: 'By unit', schema: { type: 'object', properties: { services: { type: 'array', items: entrySchema } } } } },
    errors: [],
    async handle () {
      return { status: 200, body: { services: await Promise.all((await published()).map(entryOf)) } }
    },
  })

  const unitCatalogue = defineRoute({
    method: 'GET',
    path: '/api/v1/catalogue/:code',
    operationId: 'unitCatalogue',
    summary: 'The services one unit publishes (X-Road listMethods)',
    tag: 'exchange',
    auth: 'public',
    params: { code: tenantCode },
    responses: { 200: { description: 'Its services', schema: { type: 'object', properties: { services: { type: 'array', items: entrySchema } } } } },
    errors: [CoreError.notFound],
    async handle ({ params }) {
      if (await findTenant(db, params.code!) === undefined) throw CoreError.notFound(`no unit '${params.code}'`)
      return { status: 200, body: { services: await Promise.all((await published({ tenant: params.code! })).map(entryOf)) } }
    },
  })

  const openapi = defineRoute({
    method: 'GET',
    path: '/api/v1/catalogue/:code/:service/openapi.json',
    operationId: 'serviceOpenApi',
    summary: "One published service's OpenAPI 3.1 document (X-Road getOpenAPI)",
    tag: 'exchange',
    auth: 'public',
    params: { code: tenantCode, service: serviceCode },
    responses: { 200: { description: 'OpenAPI 3.1', schema: { type: 'object' } } },
    errors: [CoreError.notFound],
    async handle ({ params }) {
      const [service] = await published({ tenant: params.code!, code: params.service! })
      const installation = service === undefined ? undefined : await services.plugins.resolve(service.tenant, service.mount).catch(() => undefined)
      if (service === undefined || installation === undefined || routeOf(installation, service) === undefined) {
        throw CoreError.notFound(`'${params.code}' publishes no service '${params.service}' now`)
      }
      return {
        status: 200,
        body: pluginOpenApi(installation, { ...service, route: (route) => route === routeOf(installation, service) }),
      }
    },
  })

  const publish = defineRoute<{ mount: string, method: string, path: string, title: string, description?: string }>({
    method: 'PUT',
    path: '/api/v1/tenants/:code/published-services/:service',
    operationId: 'publishService',
    summary: 'Publish one plugin route of this unit as a service other systems may call, listed in the catalogue',
    tag: 'exchange',
    auth: 'user',
    params: { code: tenantCode, service: serviceCode },
    body: {
      type: 'object',
      additionalProperties: false,
      required: ['mount', 'method', 'path', 'title'],
      properties: {
        mount: mountParam,
        method: { enum: ['GET', 'POST', 'PUT', 'PATCH', 'DELETE'] },
        path: { type: 'string', pattern: '^/[^\\s?#]{0,500}$', description: "The route's path as its manifest says it, e.g. /ho-so/:id" },
        title: { type: 'string', minLength: 1, maxLength: 200 },
        description: { type: 'string', maxLength: 4000 },
      },
    },
    responses: { 200: { description: 'Published', schema: entrySchema } },
    errors: [CoreError.notFound, CoreError.forbidden, CoreError.invalidField],
    async handle ({ params, body, principal, requestId }) {
      const tenant = await tenantInReach(db, principal, params.code!, 'admin')
      const installation = await services.plugins.resolve(tenant.code, body.mount).catch(() => undefined)
      if (installation === undefined) throw CoreError.notFound(`nothing serves '${tenant.code}' at '${body.mount}'`)
      if (routeOf(installation, body) === undefined) {
        throw CoreError.invalidField(`${installation.name} has no route ${body.method} ${body.path}; its routes: ${installation.routes.map((route) => `${route.method} ${route.path}`).join(', ').slice(0, 300)}`, { field: 'path' })
      }
      const row = { tenant_id: tenant.id, code: params.service!, mount: body.mount, method: body.method, path: body.path, title: body.title, description: body.description ?? '', published_at: new Date().toISOString(), published_by: principal.username }
      await db.knex.transaction(async (trx) => {
        const existing = await trx('published_services').where({ tenant_id: tenant.id, code: params.service }).first('id')
        if (existing === undefined) await trx('published_services').insert(row)
        else await trx('published_services').where({ id: existing.id }).update(row)
      })
      await recordAudit(db, { actor: principal.username, action: 'exchange.service-published', tenant: tenant.code, target: params.service!, details: { mount: body.mount, method: body.method, path: body.path }, requestId })
      const [service] = await published({ tenant: tenant.code, code: params.service! })
      return { status: 200, body: await entryOf(service!) }
    },
  })

  const withdraw = defineRoute({
    method: 'DELETE',
    path: '/api/v1/tenants/:code/published-services/:service',
    operationId: 'withdrawService',
    summary: 'Take a service out of the catalogue (the route itself is the plugin\'s, and stays)',
    tag: 'exchange',
    auth: 'user',
    params: { code: tenantCode, service: serviceCode },
    responses: { 204: { description: 'Withdrawn' } },
    errors: [CoreError.notFound, CoreError.forbidden],
    async handle ({ params, principal, requestId }) {
      const tenant = await tenantInReach(db, principal, params.code!, 'admin')
      if (await db.knex('published_services').where({ tenant_id: tenant.id, code: params.service }).delete() === 0) throw CoreError.notFound(`'${tenant.code}' publishes no service '${params.service}'`)
      await recordAudit(db, { actor: principal.username, action: 'exchange.service-withdrawn', tenant: tenant.code, target: params.service!, requestId })
      return { status: 204 }
    },
  })

  return [catalogue, unitCatalogue, openapi, publish, withdraw]
}
