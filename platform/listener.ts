import { randomUUID } from 'node:crypto'
import type { IncomingMessage, ServerResponse } from 'node:http'
import type Koa from 'koa'
import { directRoute } from '../core/http/direct-route.ts'
import { recordRequest, requestIdFrom } from '../core/http/request-context.ts'
import type { ExactRoutes } from '../core/http/route.ts'
import { ALIVE } from '../core/routes/health.ts'
import { createPluginGateway, isPluginPath } from './plugin-gateway.ts'
import type { PlatformServices } from './services.ts'

/**
 * The gateway's HTTP listener: plugin requests (`/t/{tenant}/{mount}/…`) go straight to the plugin
 * gateway on Node's own request and response, everything else through the core API's Koa app.
 */
export function createRequestListener (services: PlatformServices, app: Koa, exact: ExactRoutes): (req: IncomingMessage, res: ServerResponse) => void {
  const plugins = createPluginGateway(services)
  // Every console page load asks who is signed in: answered without the app (core/http/direct-route.ts).
  const meRoute = exact.get('GET /api/v1/me')?.route
  const me = meRoute === undefined ? undefined : directRoute(services, meRoute)
  const core = app.callback()
  const pagesHost = services.config.pagesOrigin === undefined ? undefined : new URL(services.config.pagesOrigin).host
  return function gatewayListener (req, res) {
    securityHeaders(res, isPluginPath(req.url))
    if (isPluginPath(req.url)) plugins(req, res)
    // The pages' own host name serves plugins (`/t/…`) and nothing else: not the console, not the API.
    else if (pagesHost !== undefined && req.headers.host?.toLowerCase() === pagesHost) notOnPagesHost(res)
    else if (req.url === '/healthz' && req.method === 'GET') alive(services, req, res)
    else if (me !== undefined && req.url === '/api/v1/me' && req.method === 'GET') me(req, res).catch((error: unknown) => services.logger.error({ err: error }, 'GET /api/v1/me failed'))
    else void core(req, res)
  }
}

/**
 * Headers every response carries (OWASP ASVS V3.4): HSTS (browsers heed it once they reached the platform over HTTPS,
 * which the reverse proxy terminates: docs/operations.md), no MIME sniffing, no full URLs in Referer to other sites.
 * The console and the API are never framed; plugins' pages are, by the console, under their own CSP's frame-ancestors.
 */
function securityHeaders (res: ServerResponse, pluginPath: boolean): void {
  res.setHeader('Strict-Transport-Security', 'max-age=31536000; includeSubDomains')
  res.setHeader('X-Content-Type-Options', 'nosniff')
  res.setHeader('Referrer-Policy', 'strict-origin-when-cross-origin')
  if (!pluginPath) res.setHeader('X-Frame-Options', 'DENY')
}

const ALIVE_BODY = JSON.stringify(ALIVE)

/**
 * `GET /healthz`, answered here rather than by the core's Koa app: balancers and orchestrators ask it of every node
 * every few hundred milliseconds, and it needs nothing of the app. The same answer as the core route (which still
 * documents it and answers other methods), with its request id, access-log line and metrics.
 */
function alive (services: PlatformServices, req: IncomingMessage, res: ServerResponse): void {
  const started = performance.now()
  const { requestId, clientRequestId } = requestIdFrom(req.headers['x-request-id'])
  services.metrics.started()
  res.writeHead(200, {
    'content-type': 'application/json; charset=utf-8',
    'content-length': ALIVE_BODY.length,
    'x-request-id': clientRequestId ?? requestId,
    ...(services.lifecycle.shuttingDown ? { connection: 'close' } : {}),
  })
  res.end(ALIVE_BODY)
  recordRequest(services, { requestId, clientRequestId, method: 'GET', route: '/healthz', status: 200, started, user: undefined, code: undefined })
}

function notOnPagesHost (res: ServerResponse): void {
  const body = JSON.stringify({ error: { code: 'CORE_ERR_NOT_FOUND', message: "this host name serves plugins' pages only", requestId: randomUUID() } })
  res.writeHead(404, { 'content-type': 'application/json; charset=utf-8', 'content-length': Buffer.byteLength(body) })
  res.end(body)
}
