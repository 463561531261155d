import { CoreError } from '../core/errors.ts'
import { defineRoute, type Route } from '../core/http/route.ts'
import type { PlatformServices } from './services.ts'
import { holds } from '../core/tenancy/access.ts'
import { ROOT_TENANT } from '../core/tenancy/roles.ts'
import { countVersionsByStatus } from '../registry/versions.ts'
import type { Exchange } from './exchange/exchange-call.ts'

/** What the console's health page shows a platform-admin: this node, its sandbox workers, the registry. */
export function platformStatusRoutes (services: PlatformServices, version: string, exchange: Pick<Exchange, 'circuits'>): Route<any>[] {
  const { db } = services
  const status = defineRoute({
    method: 'GET',
    path: '/api/v1/platform/status',
    operationId: 'platformStatus',
    summary: 'This gateway node: version, uptime, database, sandbox workers and registry counts (platform-admin)',
    tag: 'operations',
    auth: 'user',
    responses: {
      200: {
        description: 'Status of the node that answered',
        schema: {
          type: 'object',
          properties: {
            version: { type: 'string' },
            node: { type: 'object', properties: { pid: { type: 'integer' }, uptimeSeconds: { type: 'number' }, rss: { type: 'integer' }, ready: { type: 'boolean' } } },
            database: { type: 'object', properties: { dialect: { type: 'string' }, tenants: { type: 'integer' }, users: { type: 'integer' } } },
            workers: { type: 'array', items: { type: 'object', properties: { tier: { type: 'string' }, isolates: { type: 'integer' }, onThread: { type: 'integer', description: 'installations proven quick, whose requests run on the worker\'s own thread' }, rss: { type: 'integer' }, heapUsed: { type: 'integer' } } } },
            standby: {
              type: 'object',
              description: 'per tier, whether a started standby worker waits to take over the next worker start (a restart after a crash)',
              properties: { 'first-party': { type: 'boolean' }, tenant: { type: 'boolean' } },
            },
            registry: { type: 'object', additionalProperties: { type: 'integer' } },
            circuits: {
              type: 'array',
              description: 'the exchange endpoints this node has called, with the state of each circuit breaker',
              items: { type: 'object', properties: { tenant: { type: 'string' }, mount: { type: 'string' }, endpoint: { type: 'string' }, state: { type: 'string', enum: ['closed', 'open', 'half-open'] }, retryAfterMs: { type: 'integer' } } },
            },
          },
        },
      },
    },
    errors: [CoreError.forbidden],
    async handle ({ principal }) {
      if (!holds(principal, 'platform-admin', ROOT_TENANT)) throw CoreError.forbidden('only a platform-admin may read the platform status')
      const { supervisor } = services.plugins
      const circuitsByTenant = async (): Promise<unknown[]> => {
        const circuits = exchange.circuits()
        const ids = [...new Set(circuits.map((one) => one.tenantId))]
        const codes = new Map((ids.length === 0 ? [] : await db.knex('tenants').whereIn('id', ids).select('id', 'code')).map((row) => [Number(row.id), String(row.code)]))
        return circuits.map(({ tenantId, ...circuit }) => ({ tenant: codes.get(tenantId) ?? null, ...circuit }))
      }
      const [tenants, users, byStatus, workers] = await Promise.all([
        db.knex('tenants').count({ n: '*' }).first(),
        db.knex('users').count({ n: '*' }).first(),
        countVersionsByStatus(db),
        supervisor.stats(),
      ])
      return {
        status: 200,
        body: {
          version,
          node: { pid: process.pid, uptimeSeconds: Math.round(process.uptime()), rss: process.memoryUsage.rss(), ready: services.lifecycle.ready },
          database: { dialect: db.dialect, tenants: Number(tenants?.n ?? 0), users: Number(users?.n ?? 0) },
          workers,
          standby: { 'first-party': supervisor.standby('first-party')?.started ?? false, tenant: supervisor.standby('tenant')?.started ?? false },
          registry: byStatus,
          circuits: await circuitsByTenant(),
        },
      }
    },
  })
  return [status]
}
