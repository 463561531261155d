import Router from '@koa/router'
import Koa from 'koa'
import { CoreError } from './errors.ts'
import { authenticate } from './http/authenticate.ts'
import { errorHandler } from './http/error-handler.ts'
import { requestContext } from './http/request-context.ts'
import { defineRoute, mountRoutes, staticRoutes, type ExactRoutes, type Route } from './http/route.ts'
import { buildOpenApi } from './openapi.ts'
import { auditRoutes } from './routes/audit.ts'
import { fileRoutes } from './routes/files.ts'
import { sealRoutes } from './routes/seal.ts'
import { certificateRoutes } from './routes/certificates.ts'
import { clientRoutes } from './routes/clients.ts'
import { authRoutes } from './routes/auth.ts'
import { grantRoutes } from './routes/grants.ts'
import { healthRoutes } from './routes/health.ts'
import { meRoutes } from './routes/me.ts'
import { factorRoutes } from './routes/factors.ts'
import { sessionRoutes } from './routes/sessions.ts'
import { oidcRoutes } from './routes/oidc.ts'
import { identityProviderRoutes } from './routes/identity-providers.ts'
import { securityPolicyRoutes } from './routes/security-policy.ts'
import { tenantRoutes } from './routes/tenants.ts'
import { userRoutes } from './routes/users.ts'
import type { Services } from './services.ts'

export const PLATFORM_VERSION = '0.1.0'

/**
 * Every route of the HTTP API (the core's and those other layers hand in), in the order the OpenAPI document lists
 * them.
 */
export function coreRoutes (services: Services, extraRoutes: readonly Route<any>[] = []): Route<any>[] {
  const routes = [
    ...healthRoutes(services),
    ...authRoutes(services),
    ...meRoutes(services),
    ...factorRoutes(services),
    ...sessionRoutes(services),
    ...clientRoutes(services),
    ...oidcRoutes(services),
    ...identityProviderRoutes(services),
    ...securityPolicyRoutes(services),
    ...tenantRoutes(services),
    ...userRoutes(services),
    ...grantRoutes(services),
    ...auditRoutes(services),
    ...certificateRoutes(services),
    ...fileRoutes(services),
    ...sealRoutes(services),
    ...extraRoutes,
  ]
  let document: Record<string, unknown> | undefined
  const openApi = defineRoute({
    method: 'GET',
    path: '/api/v1/openapi.json',
    operationId: 'openApi',
    summary: 'This document',
    tag: 'operations',
    auth: 'public',
    responses: { 200: { description: 'OpenAPI 3.1', schema: { type: 'object' } } },
    errors: [],
    async handle () {
      document ??= buildOpenApi(routes, PLATFORM_VERSION)
      return { status: 200, body: document }
    },
  })
  routes.push(openApi)
  return routes
}

/**
 * The core API's Koa application: request context (id, log, metrics) → error handler →
 * authentication → core routes. Plugin requests never reach it (see `platform/listener.ts`).
 */
export function createApp (services: Services, extraRoutes: readonly Route<any>[] = []): { app: Koa, router: Router, exact: ExactRoutes } {
  // Behind a trusted proxy the client is the right-most X-Forwarded-For entry, the one that proxy
  // wrote: entries to its left are whatever the client sent, and anyone can forge them.
  const app = new Koa({ proxy: services.config.trustProxy, maxIpsCount: 1 })
  // Koa's default handler prints errors to stderr; ours are logged (and answered) by the error handler.
  app.silent = true
  const router = new Router()
  const exact = mountRoutes(router, coreRoutes(services, extraRoutes))
  app.use(requestContext(services))
  app.use(errorHandler(services.logger))
  app.use(authenticate(services))
  app.use(staticRoutes(exact))
  app.use(router.routes())
  app.use(router.allowedMethods({
    throw: true,
    methodNotAllowed: () => CoreError.methodNotAllowed('this route does not answer that method'),
    notImplemented: () => CoreError.methodNotAllowed('this method is not supported'),
  }))
  return { app, router, exact }
}
