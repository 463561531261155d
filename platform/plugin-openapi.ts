import type { ActiveInstallation } from '../registry/routing-table.ts'

/**
 * The OpenAPI 3.1 document of one installation's routes, served at `/t/{tenant}/{mount}/openapi.json`:
 * paths, access, and the body schemas the gateway validates with (ajv keeps each compiled schema). With `only`, the
 * routes it keeps and the document's title (a published service's, in the connection catalogue).
 */
export function pluginOpenApi (
  installation: ActiveInstallation,
  only?: { route: (route: ActiveInstallation['routes'][number]) => boolean, title: string, description: string }
): Record<string, unknown> {
  const prefix = `/t/${installation.tenant.code}/${installation.mount}`
  const paths: Record<string, Record<string, unknown>> = {}
  const components: Record<string, unknown> = {}
  for (const route of installation.routes) {
    if (only !== undefined && !only.route(route)) continue
    const path = prefix + route.path.replace(/:([A-Za-z_][A-Za-z0-9_]*)/g, '{$1}')
    const parameters = route.segments.flatMap((segment) => typeof segment === 'string' ? [] : [{ name: segment.param, in: 'path', required: true, schema: { type: 'string' } }])
    const schema = route.validateBody === undefined ? undefined : toComponents(route.validateBody.schema, components)
    paths[path] = {
      ...paths[path],
      [route.method.toLowerCase()]: {
        operationId: route.handler,
        summary: `${route.handler} (access: ${route.access})`,
        ...(parameters.length > 0 ? { parameters } : {}),
        ...(route.access === 'public' ? { security: [] } : {}),
        ...(schema === undefined ? {} : { requestBody: { required: true, content: { 'application/json': { schema } } } }),
        responses: { default: { description: 'What the plugin returns' } },
      },
    }
  }
  return {
    openapi: '3.1.0',
    info: {
      title: only?.title ?? `${installation.name} at ${installation.tenant.code}/${installation.mount}`,
      version: installation.version,
      ...(only === undefined ? {} : { description: only.description }),
    },
    paths,
    components: { schemas: components, securitySchemes: { bearer: { type: 'http', scheme: 'bearer', bearerFormat: 'JWT' } } },
    security: [{ bearer: [] }],
  }
}

/** A compiled body schema's `$defs` (the manifest's `schemas`) move to `components.schemas`, its refs with them. */
function toComponents (schema: unknown, components: Record<string, unknown>): unknown {
  const { $defs, ...rest } = schema as { $defs?: Record<string, unknown> }
  for (const [name, definition] of Object.entries($defs ?? {})) components[name] = rewrite(definition)
  return rewrite(rest)
}

function rewrite (value: unknown): unknown {
  if (Array.isArray(value)) return value.map(rewrite)
  if (value === null || typeof value !== 'object') return value
  return Object.fromEntries(Object.entries(value).map(([key, inner]) => [key, key === '$ref' && typeof inner === 'string' ? inner.replace(/^#\/\$defs\//, '#/components/schemas/') : rewrite(inner)]))
}
