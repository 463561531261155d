import { randomUUID } from 'node:crypto'
import type { Context, Next } from 'koa'
import type { Services } from '../services.ts'

const CLIENT_ID = /^[A-Za-z0-9._:-]{1,64}$/

/**
 * The request's ids: the platform's own, always new (the one the access log, the audit log, the
 * sandbox and error bodies carry), and the client's `X-Request-Id` when it is sane, echoed back and
 * logged beside the platform's for the client's tracing, never in its place: a client cannot make
 * its requests pass for another's in the audit log.
 */
export function requestIdFrom (offered: string | string[] | undefined): { requestId: string, clientRequestId: string | undefined } {
  return { requestId: randomUUID(), clientRequestId: typeof offered === 'string' && CLIENT_ID.test(offered) ? offered : undefined }
}

/** What is known of a request once it is answered: its access-log line and its metrics. */
export interface FinishedRequest {
  requestId: string
  clientRequestId?: string | undefined
  method: string
  /** The route's pattern, never the raw path (bounded cardinality); `unmatched` when none matched. */
  route: string
  status: number
  /** `performance.now()` when the request arrived. */
  started: number
  user: string | undefined
  code: string | undefined
  /** A plugin route's unit and plugin, once known. */
  plugin?: { tenant: string, name: string } | undefined
}

/** Logs one JSON line for a finished request and records its metrics (both paths into the gateway end here). */
export function recordRequest ({ metrics, accessLog }: Pick<Services, 'metrics' | 'accessLog'>, finished: FinishedRequest): void {
  const seconds = (performance.now() - finished.started) / 1000
  // Route metrics do not name the tenant (3,321 communes would each be a series of every plugin route):
  // `/t/hn-ba-dinh/permits/x` counts as `/t/{tenant}/permits/x`; the plugin metrics count by unit and plugin.
  metrics.observe(finished.method, finished.route.startsWith('/t/') ? finished.route.replace(/^\/t\/[^/]+/, '/t/{tenant}') : finished.route, finished.status, seconds)
  if (finished.plugin !== undefined) metrics.observePlugin(finished.plugin.tenant, finished.plugin.name, finished.status, seconds)
  accessLog.write({
    requestId: finished.requestId,
    clientRequestId: finished.clientRequestId,
    method: finished.method,
    route: finished.route,
    status: finished.status,
    ms: Math.round(seconds * 10000) / 10,
    user: finished.user,
    code: finished.code,
  })
}

/**
 * The outermost middleware of the core API: gives every request an id, then, once the error
 * handler inside has set the final status, logs one JSON line and records the request's metrics
 * under its route pattern.
 */
export function requestContext (services: Services) {
  const { metrics, lifecycle } = services
  return async function requestContextMiddleware (ctx: Context, next: Next): Promise<void> {
    const started = performance.now()
    const { requestId, clientRequestId } = requestIdFrom(ctx.req.headers['x-request-id'])
    ctx.state.requestId = requestId
    ctx.set('X-Request-Id', clientRequestId ?? requestId)
    if (lifecycle.shuttingDown) ctx.set('Connection', 'close')
    metrics.started()
    try {
      await next()
    } finally {
      recordRequest(services, {
        requestId,
        clientRequestId,
        method: ctx.method,
        route: (ctx as Context & { _matchedRoute?: string })._matchedRoute ?? 'unmatched',
        status: ctx.status,
        started,
        user: ctx.state.principal?.username,
        code: ctx.state.errorCode,
      })
    }
  }
}
