import type Router from '@koa/router'
import type { Context } from 'koa'
import { CoreError } from '../errors.ts'
import { signInFirst } from './authenticate.ts'
import type { ErrorFactory } from '../errors.ts'
import type { Principal } from '../tenancy/access.ts'
import { readJsonBody } from './body.ts'
import { ajv, validator, type JsonSchema } from './validation.ts'

export type HttpMethod = 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE'

export interface RouteInput<Body> {
  ctx: Context
  params: Record<string, string>
  body: Body
  /** The signed-in caller; routes with `auth: 'user'` always have one. */
  principal: Principal
  requestId: string
}

export interface RouteResult {
  status: number
  body?: unknown
  headers?: Record<string, string>
}

/**
 * A core HTTP route: its schemas validate the request here, and describe it in the OpenAPI
 * document (one schema, both uses). Path parameters that do not match their pattern answer 404.
 */
export interface Route<Body = unknown> {
  method: HttpMethod
  /** Router syntax, e.g. `/api/v1/tenants/:code/users`. */
  path: string
  operationId: string
  summary: string
  tag: string
  auth: 'public' | 'user'
  params?: Record<string, JsonSchema>
  /** Optional query parameters (strings): a value that fails its schema answers 422 naming it. */
  query?: Record<string, JsonSchema>
  body?: JsonSchema
  /** A body the handler reads itself (not JSON), for the OpenAPI document. */
  rawBody?: { contentType: string, description: string }
  responses: Record<number, { description: string, schema?: JsonSchema, contentType?: string }>
  errors: readonly ErrorFactory[]
  handle(input: RouteInput<Body>): Promise<RouteResult>
}

/** Codes every route with a body may answer, on top of its own. */
export const BODY_ERRORS: readonly ErrorFactory[] = [
  CoreError.malformedJson, CoreError.unsupportedMediaType, CoreError.bodyTooLarge,
  CoreError.unknownField, CoreError.missingField, CoreError.invalidField,
]

/** Every code a route may answer with: its own, the body's, and authentication's. */
export function errorsOf (route: Route<any>): ErrorFactory[] {
  return [
    ...route.errors,
    ...(route.body === undefined ? [] : BODY_ERRORS),
    ...(route.query === undefined ? [] : [CoreError.invalidField]),
    ...(route.auth === 'user' ? [CoreError.unauthenticated] : []),
  ]
}

/** Declares a route with its body type inferred by the caller. */
export function defineRoute<Body = undefined> (route: Route<Body>): Route<Body> {
  return route
}

/** A route without parameters, by `METHOD path` (`staticRoutes`). */
export interface ExactRoute { path: string, handler: (ctx: Context) => Promise<void>, route: Route<any> }
export type ExactRoutes = Map<string, ExactRoute>

/**
 * Mounts routes on a router: parameter patterns, authentication, body validation, then the handler. Returns the routes
 * without parameters by `METHOD path`, for `staticRoutes`.
 */
export function mountRoutes (router: Router, routes: readonly Route<any>[]): ExactRoutes {
  const exact: ExactRoutes = new Map()
  for (const route of routes) {
    const paramPatterns = Object.entries(route.params ?? {}).map(([name, schema]) => [name, new RegExp(String(schema.pattern ?? '.*'))] as const)
    const validateBody = route.body === undefined ? undefined : validator(route.body)
    const queryChecks = Object.entries(route.query ?? {}).map(([name, schema]) => [name, ajv.compile(schema)] as const)
    const handler = async function routeHandler (ctx: Context): Promise<void> {
      for (const [name, pattern] of paramPatterns) {
        if (!pattern.test(ctx.params[name] ?? '')) throw CoreError.notFound(`no ${name} '${String(ctx.params[name]).slice(0, 100)}'`)
      }
      const principal = ctx.state.principal as Principal | undefined
      if (route.auth === 'user' && principal === undefined) throw signInFirst()
      for (const [name, check] of queryChecks) {
        const value = ctx.query[name]
        if (value === undefined) continue
        if (typeof value !== 'string' || !check(value)) throw CoreError.invalidField(`query parameter '${name}' is not valid`, { field: name })
      }
      const body = validateBody === undefined ? undefined : validateBody(await readJsonBody(ctx.req))
      const result = await route.handle({ ctx, params: ctx.params, body, principal: principal as Principal, requestId: ctx.state.requestId })
      ctx.status = result.status
      if (result.headers !== undefined) ctx.set(result.headers)
      if (result.body !== undefined) ctx.body = result.body
    }
    router.register(route.path, [route.method], handler, { name: route.operationId })
    // The router would answer this exact path with this route only when no route before it matches it too.
    if (!route.path.includes(':') && router.match(route.path, route.method).pathAndMethod[0]?.path === route.path) {
      exact.set(`${route.method} ${route.path}`, { path: route.path, handler, route })
    }
  }
  return exact
}

/**
 * The routes without parameters (`/healthz`, `/api/v1/me`, …) looked up by `METHOD path` in a Map before the router,
 * which tries every route's pattern in turn (a tenth of a core request's time, measured). Anything else — a
 * parameter, a trailing slash, other letter case, HEAD, OPTIONS — goes on to the router as before.
 */
export function staticRoutes (exact: ReadonlyMap<string, ExactRoute>) {
  return async function staticRoutesMiddleware (ctx: Context, next: () => Promise<void>): Promise<void> {
    const hit = exact.get(`${ctx.method} ${ctx.path}`)
    if (hit === undefined) return next()
    const matched = ctx as Context & { _matchedRoute?: string, params: Record<string, string> }
    matched._matchedRoute = hit.path
    matched.params = {}
    await hit.handler(ctx)
  }
}
