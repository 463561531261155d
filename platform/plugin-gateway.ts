import type { IncomingMessage, ServerResponse } from 'node:http'
import { parse as parseQuery } from 'node:querystring'
import type { PluginRequest } from '../sandbox/protocol.ts'
import { ExchangeError, SandboxError } from '../sandbox/errors.ts'
import { CoreError } from '../core/errors.ts'
import { principalFrom, signInFirst } from '../core/http/authenticate.ts'
import { readJsonBody } from '../core/http/body.ts'
import { errorAnswer } from '../core/http/error-handler.ts'
import { recordRequest, requestIdFrom } from '../core/http/request-context.ts'
import { readInside } from '../core/http/static-files.ts'
import { validationError } from '../core/http/validation.ts'
import type { PlatformServices } from './services.ts'
import { canSee, holds, isAtOrBelow, type Principal } from '../core/tenancy/access.ts'
import { TENANT_CODE_PATTERN } from '../core/tenancy/tenants.ts'
import { pluginOpenApi } from './plugin-openapi.ts'
import { keepUploads, readUpload } from './uploads.ts'
import { nfc } from '../sandbox/nfc.ts'
import { MOUNT_PATTERN } from '../registry/schemas.ts'
import { matchRoute, type ActiveInstallation, type PluginRoute } from '../registry/routing-table.ts'
import { preferredLanguage } from '../core/error-texts.ts'

const tenantCode = new RegExp(TENANT_CODE_PATTERN)
const mountName = new RegExp(MOUNT_PATTERN)
// The headers a plugin may set, and no others: framing belongs to the gateway, the request id to
// the platform, and cookies, redirects to other sites (`Location`, `Refresh`), `Clear-Site-Data`
// (it signs users out), security policies and the like to no plugin, since every tenant's plugins
// share the platform's origin. `X-…` headers of its own are the plugin's, bar the platform's.
const PLUGIN_HEADERS = new Set(['cache-control', 'content-language', 'content-disposition', 'etag', 'expires', 'last-modified', 'vary', 'retry-after', 'location'])
const PLATFORM_X_HEADERS = new Set(['x-request-id', 'x-content-type-options', 'x-frame-options', 'x-xss-protection', 'x-forwarded-for', 'x-forwarded-host', 'x-forwarded-proto', 'x-powered-by', 'x-dns-prefetch-control', 'x-permitted-cross-domain-policies'])
const MAX_PLUGIN_HEADERS = 20
/**
 * `Location` only to a path on this platform (`/t/…`, not `//host` nor `/\host`, which browsers read as another
 * site).
 */
const localPath = /^\/(?![/\\])[^\s]*$/
const forwardedHeaders = ['accept', 'accept-language', 'content-type', 'user-agent', 'x-request-id', 'x-correlation-id'] as const
// Statuses whose responses carry no body (and so no Content-Type).
const bodiless = new Set([204, 205, 304])
const JSON_TYPE = 'application/json; charset=utf-8'

type SandboxErrorFactory = (typeof SandboxError)[keyof typeof SandboxError] | (typeof ExchangeError)[keyof typeof ExchangeError]
const sandboxErrors: Record<string, SandboxErrorFactory> = Object.fromEntries(
  [...Object.values(SandboxError), ...Object.values(ExchangeError)].map((factory) => [factory.code, factory])
)

/**
 * Whether a request target is a plugin's (`/t/…`): those are served by `createPluginGateway`, the rest by the core
 * API.
 */
export const isPluginPath = (url: string | undefined): boolean => url !== undefined && url.startsWith('/t/')

/** One request to a plugin while it is served: what its access-log line and metrics will say. */
interface Exchange {
  readonly method: string
  readonly path: string
  /** What follows `?` in the target, if anything. */
  readonly search: string | undefined
  readonly requestId: string
  /** The client's own `X-Request-Id`, echoed back and logged beside `requestId`. */
  readonly clientRequestId: string | undefined
  route: string
  principal: Principal | undefined
  /** Set once the installation is known: every answer from then on allows any origin (bearer tokens, no cookies). */
  cors: boolean
  /** The status answered (what the access log records). */
  status: number
  /** The unit and the plugin serving it, once the installation is known (the plugin metrics). */
  plugin: { tenant: string, name: string } | undefined
}

interface Answer {
  status: number
  /** Lower-case names. */
  headers: Record<string, string>
  body: string | Buffer | undefined
}

/**
 * `{METHOD} /t/{tenant}/{mount}/{path}` on Node's own request and response, without Koa: the hot
 * path of the platform, so nothing runs here that the request does not need (Koa's context,
 * middleware chain and router cost the gateway a third of its time per plugin request, measured).
 * It keeps the core API's contract: the request id, authentication, the JSON error body of
 * SPEC §8, the access log and metrics come from the same functions the Koa middleware uses.
 *
 * It resolves the installation (the routing table), matches the route, enforces its `access` and
 * validates its `body` schema before the sandbox is involved, then hands one request to the
 * sandbox and sends back its one response. It also serves the installation's pages (`ui/`), its
 * OpenAPI document and CORS preflights.
 */
export function createPluginGateway (services: PlatformServices): (req: IncomingMessage, res: ServerResponse) => void {
  const { logger, metrics, lifecycle } = services
  const { resolve, supervisor } = services.plugins
  const pagesHost = services.config.pagesOrigin === undefined ? undefined : new URL(services.config.pagesOrigin).host
  const pagesPolicy = pagePolicy(services.config.pagesOrigin === undefined ? undefined : services.config.consoleOrigin)

  function send (res: ServerResponse, exchange: Exchange, answer: Answer): void {
    exchange.status = answer.status
    if (res.writableEnded || res.destroyed) return
    const headers = answer.headers
    if (exchange.cors) headers['access-control-allow-origin'] ??= '*'
    headers['x-request-id'] = exchange.clientRequestId ?? exchange.requestId
    if (lifecycle.shuttingDown) headers.connection = 'close'
    let body = answer.body
    if (bodiless.has(answer.status)) {
      body = undefined
      delete headers['content-type']
    } else {
      headers['content-length'] = String(body === undefined ? 0 : typeof body === 'string' ? Buffer.byteLength(body) : body.length)
    }
    res.writeHead(answer.status, headers)
    res.end(body)
  }

  function fail (res: ServerResponse, exchange: Exchange, caught: unknown, acceptLanguage: string | undefined): string {
    const answer = errorAnswer(caught, exchange.requestId, logger, preferredLanguage(acceptLanguage))
    send(res, exchange, { status: answer.status, headers: { ...lowerCased(answer.headers), 'content-type': JSON_TYPE }, body: JSON.stringify(answer.body) })
    return answer.code
  }

  async function serve (req: IncomingMessage, exchange: Exchange): Promise<Answer> {
    const { method, path } = exchange
    const [, , tenant = '', mount = '', ...rest] = path.split('/')
    const notFound = (): Error => CoreError.notFound(`no route for ${method} ${path.slice(0, 200)}`)
    if (!tenantCode.test(tenant) || !mountName.test(mount)) throw notFound()
    exchange.principal = await principalFrom(services, req.headers.authorization, `t/${tenant}/${mount}`)
    const installation = await resolve(tenant, mount)
    if (installation === undefined) throw notFound()
    exchange.plugin = { tenant, name: installation.name }
    let segments: string[]
    try {
      segments = rest.filter((s) => s !== '').map(decodeURIComponent)
    } catch {
      throw notFound()
    }
    exchange.cors = true
    const base = `/t/${tenant}/${mount}`
    if (method === 'OPTIONS') return preflight()
    if (segments[0] === 'ui' && installation.ui !== undefined && (method === 'GET' || method === 'HEAD')) {
      exchange.route = `${base}/ui/*`
      // With a host name of their own, pages are served there only: a page never looks like the console.
      if (pagesHost !== undefined && req.headers.host?.toLowerCase() !== pagesHost) {
        const location = `${services.config.pagesOrigin}${path}${exchange.search === undefined ? '' : `?${exchange.search}`}`
        return { status: 308, headers: { location, 'content-type': 'text/plain; charset=utf-8' }, body: `Redirecting to ${location}.` }
      }
      if (segments.length === 2 && segments[1] === PAGE_SDK_NAME) return pageSdk(req, pagesPolicy)
      return pluginPage(req, path, installation.ui, segments.slice(1), `${base}/ui/`, pagesPolicy)
    }
    const matched = matchRoute(installation.routes, method, segments)
    if (matched === undefined && method === 'GET' && segments.length === 1 && segments[0] === 'openapi.json') {
      exchange.route = `${base}/openapi.json`
      return { status: 200, headers: { 'content-type': JSON_TYPE }, body: JSON.stringify(pluginOpenApi(installation)) }
    }
    if (matched === undefined) throw notFound()
    if (matched === 'methodMismatch') throw CoreError.methodNotAllowed('this plugin route does not answer that method')
    const { route, params } = matched
    exchange.route = base + route.path
    const principal = exchange.principal
    authorize(installation, route, principal)
    const query = exchange.search === undefined ? {} : { ...parseQuery(exchange.search) } as Record<string, string | string[]>
    let body: unknown = null
    let files: PluginRequest['files']
    if (route.upload !== undefined) {
      const upload = await readUpload(req, route.upload, query)
      if (route.validateBody !== undefined && !route.validateBody(upload.fields)) throw validationError(route.validateBody.errors ?? [])
      body = route.upload.as === 'raw' ? null : upload.fields
      files = await keepUploads(services.db, { tenantId: installation.spec.tenantId, plugin: installation.name }, upload.files, exchange.requestId)
    } else if (route.validateBody !== undefined) {
      // In NFC before anything sees it: what a plugin stores, searches, digests and signs is one text per name.
      body = nfc(await readJsonBody(req))
      if (!route.validateBody(body)) throw validationError(route.validateBody.errors ?? [])
    }
    const headers: Record<string, string> = {}
    for (const name of forwardedHeaders) {
      const value = req.headers[name]
      if (typeof value === 'string' && value !== '') headers[name] = value
    }
    const request: PluginRequest = {
      method,
      path: '/' + segments.join('/'),
      params,
      query,
      headers,
      body,
      ...(files === undefined ? {} : { files }),
      user: principal === undefined
        ? null
        : {
            username: principal.username,
            displayName: principal.displayName,
            tenant: principal.home.code,
            roles: rolesAt(principal, installation.tenant.path),
          },
      tenant: installation.tenant.code,
    }
    const outcome = await supervisor.dispatch(installation.tier, installation.spec, route.handler, exchange.requestId, request)
    if (!outcome.ok) {
      const factory = sandboxErrors[outcome.code] ?? SandboxError.pluginFailed
      throw factory(outcome.message)
    }
    const answerHeaders = pluginHeaders(outcome.response.headers)
    answerHeaders['content-type'] = JSON_TYPE
    return { status: outcome.response.status, headers: answerHeaders, body: outcome.response.body }
  }

  async function respond (req: IncomingMessage, res: ServerResponse, exchange: Exchange, started: number): Promise<void> {
    let code: string | undefined
    try {
      const answer = await serve(req, exchange)
      try {
        send(res, exchange, answer)
      } catch (caught) {
        // A header Node refuses to write: the plugin's answer cannot be sent as it is.
        throw SandboxError.badResponse(`the plugin's response could not be sent: ${(caught as Error).message.slice(0, 200)}`)
      }
    } catch (caught) {
      code = fail(res, exchange, caught, req.headers['accept-language'])
    }
    const { requestId, clientRequestId, method, route, status, principal, plugin } = exchange
    recordRequest(services, { requestId, clientRequestId, method, route, status, started, user: principal?.username, code, plugin })
  }

  return function servePluginRequest (req: IncomingMessage, res: ServerResponse): void {
    const started = performance.now()
    const url = req.url!
    const queryAt = url.indexOf('?')
    const exchange: Exchange = {
      method: req.method ?? 'GET',
      path: queryAt === -1 ? url : url.slice(0, queryAt),
      search: queryAt === -1 ? undefined : url.slice(queryAt + 1),
      ...requestIdFrom(req.headers['x-request-id']),
      route: 'unmatched',
      principal: undefined,
      cors: false,
      status: 500,
      plugin: undefined,
    }
    metrics.started()
    respond(req, res, exchange, started).catch((error: unknown) => {
      // Only a bug gets here (every failure above has its answer): the request is cut, the process goes on.
      logger.error({ requestId: exchange.requestId, err: error }, 'plugin request could not be answered')
      res.destroy()
    })
  }
}

/** The plugin's headers that it may set (PLUGIN_HEADERS); more than MAX_PLUGIN_HEADERS is a bad response. */
function pluginHeaders (headers: Record<string, string>): Record<string, string> {
  const names = Object.keys(headers)
  if (names.length > MAX_PLUGIN_HEADERS) throw SandboxError.badResponse(`the plugin set ${names.length} headers; at most ${MAX_PLUGIN_HEADERS}`)
  const allowed: Record<string, string> = {}
  for (const name of names) {
    const value = headers[name]!
    if (name === 'location' ? localPath.test(value) : PLUGIN_HEADERS.has(name) || (name.startsWith('x-') && !PLATFORM_X_HEADERS.has(name))) allowed[name] = value
  }
  return allowed
}

function lowerCased (headers: Record<string, string> | undefined): Record<string, string> {
  const result: Record<string, string> = {}
  for (const [name, value] of Object.entries(headers ?? {})) result[name.toLowerCase()] = value
  return result
}

// A plugin's pages run as an opaque origin (CSP sandbox): they can never read the console's
// session or another plugin's storage, and reach the plugin's routes like any other site, by CORS
// with a bearer token (no cookies exist here).
// Framed by the console only: on the console's host, that host ('self'); on a pages host of their own, the console's
// origin (`NENTANG_CONSOLE_ORIGIN`).
const pagePolicy = (consoleOrigin: string | undefined): string =>
  "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; font-src 'self'; " +
  `object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors ${consoleOrigin ?? "'self'"}; sandbox allow-scripts allow-forms allow-popups allow-downloads`

/** The page side of the SDK (sdk/nentang-page.js), served beside every plugin's pages under this name. */
const PAGE_SDK_NAME = 'nentang-page.js'
const pageSdkFile = readInside(new URL('../sdk/', import.meta.url).pathname, PAGE_SDK_NAME)!

function pageSdk (req: IncomingMessage, policy: string): Answer {
  const headers: Record<string, string> = { 'content-security-policy': policy, 'x-content-type-options': 'nosniff', 'cache-control': 'no-cache', etag: pageSdkFile.etag }
  if (req.headers['if-none-match'] === pageSdkFile.etag) return { status: 304, headers, body: undefined }
  return { status: 200, headers: { ...headers, 'content-type': 'text/javascript; charset=utf-8' }, body: pageSdkFile.bytes }
}

function pluginPage (req: IncomingMessage, path: string, root: string, segments: string[], base: string, policy: string): Answer {
  if (segments.length === 0 && !path.endsWith('/')) {
    return { status: 308, headers: { location: base, 'content-type': 'text/plain; charset=utf-8' }, body: `Redirecting to ${base}.` }
  }
  const file = readInside(root, segments.length === 0 ? 'index.html' : segments.join('/'))
  if (file === undefined) throw CoreError.notFound(`no page ${path.slice(0, 200)}`)
  const headers: Record<string, string> = {
    'content-security-policy': policy,
    'x-content-type-options': 'nosniff',
    'cache-control': 'no-cache',
    etag: file.etag,
  }
  if (req.headers['if-none-match'] === file.etag) return { status: 304, headers, body: undefined }
  headers['content-type'] = file.type
  return { status: 200, headers, body: file.bytes }
}

/** CORS preflight for a plugin's routes: any origin may call them with a bearer token. */
function preflight (): Answer {
  return {
    status: 204,
    headers: {
      'access-control-allow-methods': 'GET, POST, PUT, PATCH, DELETE',
      'access-control-allow-headers': 'Authorization, Content-Type, Accept, Accept-Language, X-Request-Id',
      'access-control-max-age': '600',
    },
    body: undefined,
  }
}

/** `public`; `user`: signed in and belonging to the tenant or above it; else a role held at the tenant. */
function authorize (installation: ActiveInstallation, route: PluginRoute, principal: Principal | undefined): void {
  if (route.access === 'public') return
  if (principal === undefined) throw signInFirst()
  const path = installation.tenant.path
  const belongs = isAtOrBelow(path, principal.home.path) || canSee(principal, path)
  if (!belongs) throw CoreError.notFound('no route for this tenant')
  if (route.access === 'user') return
  if (!holds(principal, route.access, path)) throw CoreError.forbidden(`this route needs the role '${route.access}' at '${installation.tenant.code}'`)
}

/** The roles `principal` holds at `path`: granted there, or above it with its descendants. */
function rolesAt (principal: Principal, path: string): string[] {
  return [...new Set(principal.grants.filter((g) => g.path === path || (g.includeDescendants && isAtOrBelow(path, g.path))).map((g) => g.role))]
}
