import type { IncomingMessage, ServerResponse } from 'node:http'
import { preferredLanguage } from '../error-texts.ts'
import type { Services } from '../services.ts'
import type { Principal } from '../tenancy/access.ts'
import { principalFrom, signInFirst } from './authenticate.ts'
import { errorAnswer } from './error-handler.ts'
import { recordRequest, requestIdFrom } from './request-context.ts'
import type { Route } from './route.ts'

/**
 * A core route answered on Node's own request and response, outside the Koa app, for the hottest reads: a GET with no
 * parameters, query or body (`GET /api/v1/me`, on every page load). The same answer as through Koa (the route's own
 * handler, authentication, errors in the caller's language, request id, access-log line, metrics); anything else about
 * the request (a query string, another method) is left to the app.
 */
export function directRoute (services: Pick<Services, 'principals' | 'tokens' | 'logger' | 'metrics' | 'accessLog' | 'lifecycle'>, route: Route<any>) {
  return async function serveDirect (req: IncomingMessage, res: ServerResponse): Promise<void> {
    const started = performance.now()
    const { requestId, clientRequestId } = requestIdFrom(req.headers['x-request-id'])
    services.metrics.started()
    let principal: Principal | undefined
    let answer: { status: number, headers?: Record<string, string> | undefined, body?: unknown }
    let code: string | undefined
    try {
      principal = await principalFrom(services, req.headers.authorization)
      if (route.auth === 'user' && principal === undefined) throw signInFirst()
      answer = await route.handle({ ctx: undefined as never, params: {}, body: undefined, principal: principal as Principal, requestId })
    } catch (caught) {
      const failed = errorAnswer(caught, requestId, services.logger, preferredLanguage(String(req.headers['accept-language'] ?? '')))
      answer = failed
      code = failed.code
    }
    const text = answer.body === undefined ? '' : JSON.stringify(answer.body)
    res.writeHead(answer.status, {
      ...answer.headers,
      ...(text === '' ? {} : { 'content-type': 'application/json; charset=utf-8' }),
      'content-length': Buffer.byteLength(text),
      'x-request-id': clientRequestId ?? requestId,
      ...(services.lifecycle.shuttingDown ? { connection: 'close' } : {}),
    })
    res.end(text)
    const { status } = answer
    recordRequest(services, { requestId, clientRequestId, method: route.method, route: route.path, status, started, user: principal?.username, code })
  }
}
