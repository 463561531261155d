import { appendAudit } from '../audit/audit-log.ts'
import { transaction } from '../db/database.ts'
import { CoreError } from '../errors.ts'
import { defineRoute, type Route } from '../http/route.ts'
import type { Services } from '../services.ts'
import { assertMayGrant } from '../tenancy/delegation.ts'
import { tenantInReach } from '../tenancy/reach.ts'
import { BUILT_IN_ROLES } from '../tenancy/roles.ts'
import { createTenant, fullName, listChildren, namesOf, searchSubtree, tenantView, type NewTenant } from '../tenancy/tenants.ts'

/** Units a search answers at once. */
const SEARCH_PAGE = 50
import * as schema from './schemas.ts'

const codeParam = { code: schema.tenantCode }
const reachErrors = [CoreError.notFound, CoreError.forbidden, CoreError.unauthenticated]

/** The unit tree: read a tenant, list and create its children. */
export function tenantRoutes ({ db, roles }: Services): Route<any>[] {
  const getTenant = defineRoute({
    method: 'GET',
    path: '/api/v1/tenants/:code',
    operationId: 'getTenant',
    summary: 'A tenant the caller belongs to or holds a grant covering',
    tag: 'tenants',
    auth: 'user',
    params: codeParam,
    responses: {
      200: {
        description: 'The tenant, with the units above it by name',
        schema: { ...schema.tenant, properties: { ...(schema.tenant.properties as Record<string, unknown>), ancestors: { type: 'array', items: { type: 'object', properties: { code: { type: 'string' }, name: { type: 'string' } } } } } },
      },
    },
    errors: reachErrors,
    async handle ({ params, principal }) {
      const tenant = await tenantInReach(db, principal, params.code!, 'see')
      // Its ancestors by name, for breadcrumbs (a unit's place in the tree is no secret to whom it is in reach).
      const above = await namesOf(db, tenant.path.split('/'))
      const names = new Map(above.map((one) => [one.code, one.name]))
      const ancestors = tenant.path.split('/').slice(0, -1).map((code) => ({ code, name: names.get(code) ?? code }))
      return { status: 200, body: { ...tenantView(tenant), fullName: fullName(tenant.path, names), ancestors } }
    },
  })

  const listTenantChildren = defineRoute({
    method: 'GET',
    path: '/api/v1/tenants/:code/children',
    operationId: 'listChildren',
    summary: 'The direct children of a tenant (tenant-admin of it or an ancestor)',
    tag: 'tenants',
    auth: 'user',
    params: codeParam,
    responses: { 200: { description: 'Children, by code', schema: schema.list(schema.tenant) } },
    errors: reachErrors,
    async handle ({ params, principal }) {
      const tenant = await tenantInReach(db, principal, params.code!, 'admin')
      return { status: 200, body: { items: (await listChildren(db, tenant)).map(tenantView) } }
    },
  })

  const search = defineRoute({
    method: 'GET',
    path: '/api/v1/tenants/:code/search',
    operationId: 'searchTenants',
    summary: 'Tenants at or below this one whose code, name or unit code holds every word of ?q (case and diacritics ignored), 50 a page',
    tag: 'tenants',
    auth: 'user',
    params: codeParam,
    query: { q: { type: 'string', minLength: 1, maxLength: 100 }, offset: { type: 'string', pattern: '^(0|[1-9][0-9]{0,4})$' } },
    responses: {
      200: {
        description: 'Matches, the shallowest first, each with its full name; `next` is the offset of the next page, null at the last',
        schema: { type: 'object', properties: { items: { type: 'array', items: schema.tenant }, next: { type: ['integer', 'null'] } } },
      },
    },
    errors: reachErrors,
    async handle ({ params, principal, ctx }) {
      const tenant = await tenantInReach(db, principal, params.code!, 'admin')
      const offset = Number(ctx.query.offset ?? 0)
      const { found, more } = await searchSubtree(db, tenant, String(ctx.query.q ?? ''), SEARCH_PAGE, offset)
      return { status: 200, body: { items: found.map((one) => ({ ...tenantView(one), fullName: one.fullName })), next: more ? offset + SEARCH_PAGE : null } }
    },
  })

  const listRoles = defineRoute({
    method: 'GET',
    path: '/api/v1/tenants/:code/roles',
    operationId: 'listRoles',
    summary: 'The roles that exist at this tenant: the built-in ones and those its installed plugins declare',
    tag: 'tenants',
    auth: 'user',
    params: codeParam,
    responses: {
      200: {
        description: 'Roles, built-in first; `grantable` says whether you may grant each here, and here and below',
        schema: schema.list({
          type: 'object',
          properties: { name: schema.role, builtIn: { type: 'boolean' }, grantable: { type: 'object', properties: { here: { type: 'boolean' }, withDescendants: { type: 'boolean' } } } },
        }),
      },
    },
    errors: reachErrors,
    async handle ({ params, principal }) {
      const tenant = await tenantInReach(db, principal, params.code!, 'admin')
      const builtIn = new Set<string>(BUILT_IN_ROLES)
      const known = await roles.rolesAt(tenant)
      const names = [...known]
      const may = (name: string, includeDescendants: boolean): boolean => {
        try {
          assertMayGrant(principal, name, tenant, includeDescendants, known)
          return true
        } catch {
          return false
        }
      }
      const items = [...BUILT_IN_ROLES.filter((name) => names.includes(name)), ...names.filter((name) => !builtIn.has(name)).sort()]
        .map((name) => ({ name, builtIn: builtIn.has(name), grantable: { here: may(name, false), withDescendants: may(name, true) } }))
      return { status: 200, body: { items } }
    },
  })

  const createChild = defineRoute<NewTenant>({
    method: 'POST',
    path: '/api/v1/tenants/:code/children',
    operationId: 'createChild',
    summary: 'Create a child tenant; it is served at once, on every node',
    tag: 'tenants',
    auth: 'user',
    params: codeParam,
    body: {
      type: 'object',
      additionalProperties: false,
      required: ['code', 'name'],
      properties: {
        code: schema.tenantCode,
        name: { type: 'string', minLength: 1, maxLength: 200 },
        adminUnitCode: { type: 'string', pattern: '^([0-9]{2}|[0-9]{5})$', description: 'official code: 2 digits for a province, 5 for a commune' },
      },
    },
    responses: { 201: { description: 'Created', schema: schema.tenant } },
    errors: [...reachErrors, CoreError.tenantExists, CoreError.adminUnitTaken],
    async handle ({ params, body, principal, requestId }) {
      const parent = await tenantInReach(db, principal, params.code!, 'admin')
      const child = await transaction(db, async (trx) => {
        const created = await createTenant(trx, parent, body)
        await appendAudit(trx, { actor: principal.username, action: 'tenant.create', tenant: parent.code, target: created.code, details: { name: created.name, adminUnitCode: created.adminUnitCode }, requestId })
        return created
      })
      return { status: 201, body: tenantView(child), headers: { Location: `/api/v1/tenants/${child.code}` } }
    },
  })

  return [getTenant, listTenantChildren, search, listRoles, createChild]
}
