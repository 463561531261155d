import { randomUUID } from 'node:crypto'
import type { Context, Next } from 'koa'
import type { Services } from '../services.ts'

const CLIENT_ID = /^[A-Za-z0-9._:-]{1,64}$/

/**
 * The outermost middleware: gives every request an id (the client's `X-Request-Id` when it is
 * sane), then, once the error handler inside has set the final status, logs one JSON line and
 * records the request's metrics under its route pattern.
 */
export function requestContext (services: Services) {
  const { metrics, lifecycle, accessLog } = services
  return async function requestContextMiddleware (ctx: Context, next: Next): Promise<void> {
    const started = performance.now()
    const offered = ctx.get('x-request-id')
    const requestId = CLIENT_ID.test(offered) ? offered : randomUUID()
    ctx.state.requestId = requestId
    ctx.set('X-Request-Id', requestId)
    if (lifecycle.shuttingDown) ctx.set('Connection', 'close')
    metrics.started()
    try {
      await next()
    } finally {
      const seconds = (performance.now() - started) / 1000
      const route = (ctx as Context & { _matchedRoute?: string })._matchedRoute ?? 'unmatched'
      metrics.observe(ctx.method, route, ctx.status, seconds)
      accessLog.write({
        requestId,
        method: ctx.method,
        route,
        status: ctx.status,
        ms: Math.round(seconds * 10000) / 10,
        user: ctx.state.principal?.username,
        code: ctx.state.errorCode,
      })
    }
  }
}
