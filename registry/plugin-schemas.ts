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

/** Compiles a schema from a manifest with the manifest's `schemas` available as `#/schemas/…`. */
export function compilePluginSchema (manifest: Manifest, schema: Record<string, unknown>): ValidateFunction {
  const { $id: _ignored, ...rest } = rewriteRefs(schema) as Record<string, unknown>
  return ajv.compile({ ...rest, $defs: rewriteRefs(manifest.schemas ?? {}) as Record<string, unknown> })
}
