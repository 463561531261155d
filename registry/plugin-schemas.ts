import Ajv2020Module, { type ValidateFunction } from 'ajv/dist/2020.js'
import addFormats from 'ajv-formats'
import type { Manifest } from './manifest.ts'

// Plugin schemas are the plugin author's: allErrors for useful 422s, defaults filled in for settings.
const ajv = new Ajv2020Module.default({ allErrors: true, strict: false, useDefaults: true, coerceTypes: false })
addFormats.default(ajv)

/** `#/schemas/x` (SPEC §6) → `#/$defs/x`, so a route's schema can refer to the manifest's shared schemas. */
function rewriteRefs (value: unknown): unknown {
  if (Array.isArray(value)) return value.map(rewriteRefs)
  if (value === null || typeof value !== 'object') return value
  return Object.fromEntries(Object.entries(value).map(([key, inner]) => [key, key === '$ref' && typeof inner === 'string' ? inner.replace(/^#\/schemas\//, '#/$defs/') : rewriteRefs(inner)]))
}

// Compiled validators by the schema's JSON, least recently used first. Every install, switch and
// node-wide refresh activates a version again; compiling its schemas each time cost most of a switch,
// and ajv keeps every schema object it ever compiled, so without this the gateway would grow forever.
const compiled = new Map<string, { schema: Record<string, unknown>, validate: ValidateFunction }>()
const MAX_COMPILED = 1000

/** Compiles a schema from a manifest with the manifest's `schemas` available as `#/schemas/…`. */
export function compilePluginSchema (manifest: Manifest, schema: Record<string, unknown>): ValidateFunction {
  const { $id: _ignored, ...rest } = rewriteRefs(schema) as Record<string, unknown>
  const full = { ...rest, $defs: rewriteRefs(manifest.schemas ?? {}) as Record<string, unknown> }
  const key = JSON.stringify(full)
  const hit = compiled.get(key)
  if (hit !== undefined) {
    compiled.delete(key)
    compiled.set(key, hit)
    return hit.validate
  }
  const validate = ajv.compile(full)
  compiled.set(key, { schema: full, validate })
  if (compiled.size > MAX_COMPILED) {
    const [oldest, entry] = compiled.entries().next().value!
    compiled.delete(oldest)
    ajv.removeSchema(entry.schema)
  }
  return validate
}
