import { timingSafeEqual } from 'node:crypto'
import { migrationsDone } from '../db/migrate.ts'
import { CoreError } from '../errors.ts'
import { defineRoute, type Route } from '../http/route.ts'
import type { Services } from '../services.ts'

const status = { type: 'object', properties: { status: { type: 'string' } } }
/** What `GET /healthz` answers (here, and by the listener that answers it before Koa: platform/listener.ts). */
export const ALIVE = { status: 'ok' } as const

/** Liveness, readiness and Prometheus metrics, for orchestrators and monitoring. */
export function healthRoutes ({ db, metrics, lifecycle, config }: Services): Route<any>[] {
  const healthz = defineRoute({
    method: 'GET',
    path: '/healthz',
    operationId: 'healthz',
    summary: 'Liveness: the process answers',
    tag: 'operations',
    auth: 'public',
    responses: { 200: { description: 'Alive', schema: status } },
    errors: [],
    async handle () {
      return { status: 200, body: ALIVE }
    },
  })

  const readyz = defineRoute({
    method: 'GET',
    path: '/readyz',
    operationId: 'readyz',
    summary: 'Readiness: the database answers, migrations are done, and the node is not shutting down',
    tag: 'operations',
    auth: 'public',
    responses: { 200: { description: 'Ready', schema: status } },
    errors: [CoreError.unavailable],
    async handle () {
      if (lifecycle.shuttingDown) throw CoreError.unavailable('shutting down')
      if (!lifecycle.ready) throw CoreError.unavailable('starting')
      let migrated: boolean
      try {
        migrated = await migrationsDone(db)
      } catch (error) {
        throw CoreError.unavailable('the database does not answer', { cause: error })
      }
      if (!migrated) throw CoreError.unavailable('database migrations are pending; run `nentang migrate`')
      return { status: 200, body: { status: 'ready' } }
    },
  })

  const metricsRoute = defineRoute({
    method: 'GET',
    path: '/metrics',
    operationId: 'metrics',
    summary: 'Prometheus metrics (text exposition format): with `Authorization: Bearer <NENTANG_METRICS_TOKEN>`, or over loopback when no token is set',
    tag: 'operations',
    auth: 'public',
    responses: { 200: { description: 'Metrics', schema: { type: 'string' }, contentType: 'text/plain' } },
    errors: [CoreError.forbidden],
    async handle ({ ctx }) {
      if (!mayScrape(config.metricsToken, ctx.get('authorization'), ctx.req.socket.remoteAddress)) {
        throw CoreError.forbidden('metrics are for operators: send the metrics token, or scrape from this host when none is set')
      }
      return { status: 200, body: await metrics.registry.metrics(), headers: { 'Content-Type': metrics.registry.contentType } }
    },
  })

  return [healthz, readyz, metricsRoute]
}

const loopback = (address: string): boolean => address === '::1' || address.startsWith('127.') || address.startsWith('::ffff:127.')

/**
 * The token in constant time when one is set; else only a client on this host (the socket's address, never a
 * forwarded one).
 */
function mayScrape (token: string | undefined, authorization: string, address: string | undefined): boolean {
  if (token === undefined) return address !== undefined && loopback(address)
  const given = Buffer.from(authorization.startsWith('Bearer ') ? authorization.slice(7) : '')
  const expected = Buffer.from(token)
  return given.length === expected.length && timingSafeEqual(given, expected)
}
