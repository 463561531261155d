import { errorsOf, type Route } from './http/route.ts'
import { error as errorSchema } from './routes/schemas.ts'

/** `/api/v1/tenants/:code` → `/api/v1/tenants/{code}` */
export function openApiPath (path: string): string {
  return path.replace(/:([A-Za-z_]+)/g, '{$1}')
}

/**
 * The OpenAPI 3.1 document of the core routes, built from the same schemas that validate them.
 * Every error code a route can answer with is listed under its status.
 */
export function buildOpenApi (routes: readonly Route<any>[], version: string): Record<string, unknown> {
  const paths: Record<string, Record<string, unknown>> = {}
  for (const route of routes) {
    const responses: Record<string, unknown> = {}
    for (const [status, response] of Object.entries(route.responses)) {
      responses[status] = response.schema === undefined
        ? { description: response.description }
        : { description: response.description, content: { [response.contentType ?? 'application/json']: { schema: response.schema } } }
    }
    const byStatus = new Map<number, string[]>()
    for (const error of errorsOf(route)) byStatus.set(error.status, [...new Set([...(byStatus.get(error.status) ?? []), error.code])])
    for (const [status, codes] of byStatus) {
      responses[String(status)] = { description: `Error: ${codes.join(', ')}`, content: { 'application/json': { schema: { $ref: '#/components/schemas/Error' } } } }
    }
    const parameters = [
      ...Object.entries(route.params ?? {}).map(([name, schema]) => ({ name, in: 'path', required: true, schema })),
      ...Object.entries(route.query ?? {}).map(([name, schema]) => ({ name, in: 'query', required: false, schema })),
    ]
    const operation: Record<string, unknown> = {
      operationId: route.operationId,
      summary: route.summary,
      tags: [route.tag],
      responses,
      ...(parameters.length > 0 ? { parameters } : {}),
      ...(route.auth === 'user' ? {} : { security: [] }),
      ...(route.body === undefined ? {} : { requestBody: { required: true, content: { 'application/json': { schema: route.body } } } }),
      ...(route.rawBody === undefined ? {} : { requestBody: { required: true, description: route.rawBody.description, content: { [route.rawBody.contentType]: { schema: { type: 'string', format: 'binary' } } } } }),
    }
    const path = openApiPath(route.path)
    paths[path] = { ...paths[path], [route.method.toLowerCase()]: operation }
  }
  return {
    openapi: '3.1.0',
    info: { title: 'nentang', version, description: 'The nentang platform API. Plugin routes are described per installation at /t/{tenant}/{mount}/openapi.json.' },
    servers: [{ url: '/' }],
    paths,
    components: {
      schemas: { Error: errorSchema },
      securitySchemes: { bearer: { type: 'http', scheme: 'bearer', bearerFormat: 'JWT' } },
    },
    security: [{ bearer: [] }],
  }
}
