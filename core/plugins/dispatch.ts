import type { Context, Next } from 'koa'
import type { Outcome } from '../../sandbox/plugin-isolate.ts'
import type { PluginRequest } from '../../sandbox/protocol.ts'
import type { Supervisor } from '../../sandbox/supervisor.ts'
import { SandboxError } from '../../sandbox/errors.ts'
import { CoreError } from '../error-codes.ts'
import { readJsonBody } from '../http/body.ts'
import { readInside } from '../http/static-files.ts'
import { validationError } from '../http/validation.ts'
import { canSee, holds, isAtOrBelow, type Principal } from '../tenancy/access.ts'
import { TENANT_CODE_PATTERN } from '../tenancy/tenants.ts'
import { pluginOpenApi } from './plugin-openapi.ts'
import { matchRoute, type ActiveInstallation, type PluginRoute } from './routing-table.ts'

const tenantCode = new RegExp(TENANT_CODE_PATTERN)
const mountName = /^[a-z][a-z0-9-]{0,62}$/
// Headers a plugin may not set: framing belongs to the gateway, the request id to the platform, and
// cookies to no plugin, since every tenant's plugins share one origin.
const reservedHeaders = new Set(['content-length', 'content-type', 'connection', 'transfer-encoding', 'keep-alive', 'upgrade', 'x-request-id', 'set-cookie', 'strict-transport-security'])
const forwardedHeaders = new Set(['accept', 'accept-language', 'content-type', 'user-agent', 'x-request-id'])

const sandboxErrors: Record<string, (typeof SandboxError)[keyof typeof SandboxError]> = Object.fromEntries(Object.values(SandboxError).map((factory) => [factory.code, factory]))

/**
 * `{METHOD} /t/{tenant}/{mount}/{path}`: resolves the installation (the routing table), matches the
 * route, enforces its `access` and validates its `body` schema before the sandbox is involved,
 * then hands one request to the sandbox and sends back its one response.
 */
export function pluginDispatch (resolve: (tenant: string, mount: string) => ActiveInstallation | undefined | Promise<ActiveInstallation | undefined>, supervisor: Supervisor) {
  return async function pluginDispatchMiddleware (ctx: Context, next: Next): Promise<void> {
    if (!ctx.path.startsWith('/t/')) return next()
    const [, , tenant = '', mount = '', ...rest] = ctx.path.split('/')
    const notFound = (): Error => CoreError.notFound(`no route for ${ctx.method} ${ctx.path.slice(0, 200)}`)
    if (!tenantCode.test(tenant) || !mountName.test(mount)) throw notFound()
    const installation = await resolve(tenant, mount)
    if (installation === undefined) throw notFound()
    let segments: string[]
    try {
      segments = rest.filter((s) => s !== '').map(decodeURIComponent)
    } catch {
      throw notFound()
    }
    ctx.set('Access-Control-Allow-Origin', '*')
    if (ctx.method === 'OPTIONS') return preflight(ctx)
    if (segments[0] === 'ui' && installation.ui !== undefined && (ctx.method === 'GET' || ctx.method === 'HEAD')) {
      return servePluginPage(ctx, installation.ui, segments.slice(1), `/t/${tenant}/${mount}/ui/`)
    }
    const matched = matchRoute(installation.routes, ctx.method, segments)
    if (matched === undefined && ctx.method === 'GET' && segments.length === 1 && segments[0] === 'openapi.json') {
      ;(ctx as Context & { _matchedRoute?: string })._matchedRoute = `/t/${tenant}/${mount}/openapi.json`
      ctx.body = pluginOpenApi(installation)
      return
    }
    if (matched === undefined) throw notFound()
    if (matched === 'methodMismatch') throw CoreError.methodNotAllowed('this plugin route does not answer that method')
    const { route, params } = matched
    ;(ctx as Context & { _matchedRoute?: string })._matchedRoute = `/t/${tenant}/${mount}${route.path}`
    const principal = ctx.state.principal as Principal | undefined
    authorize(installation, route, principal)
    let body: unknown = null
    if (route.validateBody !== undefined) {
      body = await readJsonBody(ctx.req)
      if (!route.validateBody(body)) throw validationError(route.validateBody.errors ?? [])
    }
    const headers: Record<string, string> = {}
    for (const name of forwardedHeaders) {
      const value = ctx.get(name)
      if (value !== '') headers[name] = value
    }
    const request: PluginRequest = {
      method: ctx.method,
      path: '/' + segments.join('/'),
      params,
      query: ctx.query as Record<string, string | string[]>,
      headers,
      body,
      user: principal === undefined ? null : {
        username: principal.username,
        displayName: principal.displayName,
        tenant: principal.home.code,
        roles: [...new Set(principal.grants.filter((g) => g.path === installation.tenant.path || (g.includeDescendants && isAtOrBelow(installation.tenant.path, g.path))).map((g) => g.role))],
      },
      tenant: installation.tenant.code,
    }
    const outcome: Outcome = await supervisor.dispatch(installation.tier, installation.spec, route.handler, ctx.state.requestId, request)
    if (!outcome.ok) {
      const factory = sandboxErrors[outcome.code] ?? SandboxError.pluginFailed
      throw factory(outcome.message)
    }
    ctx.status = outcome.response.status
    for (const [name, value] of Object.entries(outcome.response.headers)) {
      if (!reservedHeaders.has(name)) ctx.set(name, value)
    }
    ctx.set('Content-Type', 'application/json; charset=utf-8')
    ctx.body = outcome.response.body
  }
}

// A plugin's pages run as an opaque origin (CSP sandbox): they can never read the console's
// session or another plugin's storage, and reach the plugin's routes like any other site, by CORS
// with a bearer token (no cookies exist here).
const PAGE_POLICY = "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; font-src 'self'; " +
  "object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'self'; sandbox allow-scripts allow-forms allow-popups"

function servePluginPage (ctx: Context, root: string, segments: string[], base: string): void {
  ;(ctx as Context & { _matchedRoute?: string })._matchedRoute = `${base}*`
  if (segments.length === 0 && !ctx.path.endsWith('/')) {
    ctx.status = 308
    ctx.redirect(base)
    return
  }
  const file = readInside(root, segments.length === 0 ? 'index.html' : segments.join('/'))
  if (file === undefined) throw CoreError.notFound(`no page ${ctx.path.slice(0, 200)}`)
  ctx.set('Content-Security-Policy', PAGE_POLICY)
  ctx.set('X-Content-Type-Options', 'nosniff')
  ctx.set('Cache-Control', 'no-cache')
  ctx.set('ETag', file.etag)
  if (ctx.get('If-None-Match') === file.etag) {
    ctx.status = 304
    return
  }
  ctx.type = file.type
  ctx.body = file.bytes
}

/** CORS preflight for a plugin's routes: any origin may call them with a bearer token. */
function preflight (ctx: Context): void {
  ctx.status = 204
  ctx.set('Access-Control-Allow-Methods', 'GET, POST, PUT, PATCH, DELETE')
  ctx.set('Access-Control-Allow-Headers', 'Authorization, Content-Type, Accept, Accept-Language, X-Request-Id')
  ctx.set('Access-Control-Max-Age', '600')
}

/** `public`; `user`: signed in and belonging to the tenant or above it; else a role held at the tenant. */
function authorize (installation: ActiveInstallation, route: PluginRoute, principal: Principal | undefined): void {
  if (route.access === 'public') return
  if (principal === undefined) throw CoreError.unauthenticated('sign in first: send Authorization: Bearer <token>')
  const path = installation.tenant.path
  const belongs = isAtOrBelow(path, principal.home.path) || canSee(principal, path)
  if (!belongs) throw CoreError.notFound(`no route for this tenant`)
  if (route.access === 'user') return
  if (!holds(principal, route.access, path)) throw CoreError.forbidden(`this route needs the role '${route.access}' at '${installation.tenant.code}'`)
}
