/**
 * Generates `client/schema.ts`, the TypeScript description of the platform's HTTP API, from the
 * OpenAPI document the platform serves (the same schemas its routes validate with). The shape is
 * the one openapi-fetch reads (`paths[path][method]`), so `client/client.ts` is typed end to end.
 *
 *   node client/generate.ts   # rewrites client/schema.ts from a throwaway platform's document
 *
 * A test regenerates it and fails when the committed file is stale.
 */
type Schema = Record<string, any>

const indent = (text: string, by: string): string => text.split('\n').join(`\n${by}`)
const key = (name: string): string => /^[A-Za-z_$][A-Za-z0-9_$]*$/.test(name) ? name : JSON.stringify(name)

/** A JSON Schema (2020-12, the subset the platform uses) as a TypeScript type. */
export function typeOf (schema: Schema | boolean | undefined): string {
  if (schema === undefined || schema === true) return 'unknown'
  if (schema === false) return 'never'
  if (typeof schema.$ref === 'string') {
    const match = /^#\/components\/schemas\/(.+)$/.exec(schema.$ref)
    return match === null ? 'unknown' : `components['schemas'][${JSON.stringify(match[1])}]`
  }
  if (schema.const !== undefined) return JSON.stringify(schema.const)
  if (Array.isArray(schema.enum)) return schema.enum.map((value: unknown) => JSON.stringify(value)).join(' | ')
  if (Array.isArray(schema.oneOf) || Array.isArray(schema.anyOf)) return (schema.oneOf ?? schema.anyOf).map((s: Schema) => `(${typeOf(s)})`).join(' | ')
  if (Array.isArray(schema.allOf)) return schema.allOf.map((s: Schema) => `(${typeOf(s)})`).join(' & ')
  if (Array.isArray(schema.type)) return schema.type.map((type: string) => typeOf({ ...schema, type })).join(' | ')
  switch (schema.type) {
    case 'string': return schema.format === 'binary' ? 'Blob | Uint8Array | string' : 'string'
    case 'integer':
    case 'number': return 'number'
    case 'boolean': return 'boolean'
    case 'null': return 'null'
    case 'array': return `Array<${typeOf(schema.items)}>`
    case 'object': return objectType(schema)
    default: return schema.properties === undefined ? 'unknown' : objectType(schema)
  }
}

function objectType (schema: Schema): string {
  const required = new Set<string>(schema.required ?? [])
  const lines = Object.entries(schema.properties ?? {}).map(([name, property]) => {
    const doc = typeof (property as Schema).description === 'string' ? `/** ${(property as Schema).description.replaceAll('*/', '* /')} */\n` : ''
    return `${doc}${key(name)}${required.has(name) ? '' : '?'}: ${typeOf(property as Schema)}`
  })
  const extra = schema.additionalProperties
  if (extra !== undefined && extra !== false) lines.push(`[key: string]: ${extra === true ? 'unknown' : `${typeOf(extra)} | undefined`}`)
  if (lines.length === 0) return extra === false ? 'Record<string, never>' : 'Record<string, unknown>'
  return `{\n  ${lines.map((line) => indent(line, '  ')).join('\n  ')}\n}`
}

function content (body: Schema | undefined): string {
  if (body?.content === undefined) return 'never'
  return `{\n  ${Object.entries(body.content as Record<string, Schema>).map(([type, media]) => `${JSON.stringify(type)}: ${indent(typeOf(media.schema), '  ')}`).join('\n  ')}\n}`
}

function operationType (operation: Schema): string {
  const parameters = (operation.parameters ?? []) as Schema[]
  const group = (where: string): string => {
    const list = parameters.filter((p) => p.in === where)
    if (list.length === 0) return 'never'
    return `{\n  ${list.map((p) => `${key(p.name)}${p.required === true ? '' : '?'}: ${typeOf(p.schema)}`).join('\n  ')}\n}`
  }
  const responses = Object.entries(operation.responses ?? {}).map(([status, response]) =>
    `${status}: {\n  headers: { [name: string]: unknown }\n  content: ${indent(content(response as Schema), '  ')}\n}`)
  const lines = [
    `parameters: {\n  query?: ${indent(group('query'), '  ')}\n  header?: never\n  path${parameters.some((p) => p.in === 'path') ? '' : '?'}: ${indent(group('path'), '  ')}\n  cookie?: never\n}`,
    operation.requestBody === undefined ? 'requestBody?: never' : `requestBody: {\n  content: ${indent(content(operation.requestBody), '  ')}\n}`,
    `responses: {\n  ${responses.map((r) => indent(r, '  ')).join('\n  ')}\n}`,
  ]
  return `{\n  ${lines.map((line) => indent(line, '  ')).join('\n  ')}\n}`
}

const summaryOf = (operation: Schema): string => typeof operation.summary === 'string' ? `/** ${operation.summary.replaceAll('*/', '* /')} */\n` : ''

/** The whole `schema.ts` for an OpenAPI 3.1 document. */
export function generateSchema (document: Schema): string {
  const paths = Object.entries(document.paths as Record<string, Record<string, Schema>>).map(([path, operations]) => {
    const methods = ['get', 'put', 'post', 'delete', 'options', 'head', 'patch', 'trace'].map((method) =>
      operations[method] === undefined ? `${method}?: never` : indent(`${summaryOf(operations[method]!)}${method}: ${operationType(operations[method]!)}`, '  '))
    return `${JSON.stringify(path)}: {\n  parameters: { query?: never, header?: never, path?: never, cookie?: never }\n  ${methods.join('\n  ')}\n}`
  })
  const schemas = Object.entries((document.components?.schemas ?? {}) as Record<string, Schema>).map(([name, schema]) => `${key(name)}: ${indent(typeOf(schema), '  ')}`)
  return [
    '// Generated by client/generate.ts from the platform\'s OpenAPI document. Do not edit: run `node client/generate.ts`.',
    '/* eslint-disable */',
    '',
    `export interface paths {\n  ${paths.map((p) => indent(p, '  ')).join('\n  ')}\n}`,
    '',
    `export interface components {\n  schemas: {\n    ${schemas.map((s) => indent(s, '    ')).join('\n    ')}\n  }\n  responses: never\n  parameters: never\n  requestBodies: never\n  headers: never\n  pathItems: never\n}`,
    '',
    'export type $defs = Record<string, never>',
    '',
  ].join('\n')
}

/** The document of a throwaway platform (a temporary SQLite database, no port kept). */
export async function liveDocument (): Promise<Schema> {
  const { mkdtempSync, rmSync } = await import('node:fs')
  const { tmpdir } = await import('node:os')
  const { join } = await import('node:path')
  const { loadConfig } = await import('../core/config.ts')
  const { startPlatform } = await import('../platform/start.ts')
  const dir = mkdtempSync(join(tmpdir(), 'nentang-client-'))
  const platform = await startPlatform(loadConfig(['--port', '0', '--host', '127.0.0.1', '--database-url', `sqlite:${join(dir, 'db.sqlite')}`, '--data-dir', dir, '--admin-password', 'generate-password-1', '--log-level', 'silent'], {}))
  try {
    return await (await fetch(`${platform.url}/api/v1/openapi.json`)).json() as Schema
  } finally {
    await platform.close()
    rmSync(dir, { recursive: true, force: true })
  }
}

if (import.meta.main) {
  const { writeFileSync } = await import('node:fs')
  const target = new URL('./schema.ts', import.meta.url).pathname
  writeFileSync(target, generateSchema(await liveDocument()))
  console.log(`wrote ${target}`)
}
