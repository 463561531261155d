import Ajv2020Module, { type ValidateFunction } from 'ajv/dist/2020.js'
import type { RegExpEngine } from 'ajv/dist/types/index.js'
import addFormats from 'ajv-formats'
import type { Manifest } from './manifest.ts'
import { compileSafePattern } from './schema-safety.ts'

// Plugin schemas are the plugin author's, and they are validated on the gateway, where every tenant's
// requests wait behind them: so every pattern runs on RE2 (linear time; schema-safety.ts refuses
// the patterns it cannot run at upload), and `uniqueItems` is linear (uniqueItems below).
const linearRegExp: RegExpEngine = Object.assign((pattern: string) => {
  const compiled = compileSafePattern(pattern)
  // ajv keys its compiled patterns by their text (`toString`).
  return { test: (text: string) => compiled.test(text), toString: () => `/${pattern}/u` }
}, { code: 'linearRegExp' })

// allErrors for useful 422s, defaults filled in for settings.
const ajv = new Ajv2020Module.default({ allErrors: true, strict: false, useDefaults: true, coerceTypes: false, code: { regExp: linearRegExp } })
addFormats.default(ajv)
ajv.removeKeyword('uniqueItems')
ajv.addKeyword({ keyword: 'uniqueItems', type: 'array', schemaType: 'boolean', errors: true, validate: uniqueItems })

/**
 * ajv's own `uniqueItems` compares every pair of items: 50,000 one-element arrays held the gateway
 * for 17 s. This one keys each item by its canonical JSON (keys sorted), in time linear in the body.
 */
function uniqueItems (this: unknown, wanted: boolean, data: unknown[]): boolean {
  if (!wanted) return true
  const seen = new Map<string, number>()
  for (let index = 0; index < data.length; index++) {
    const key = canonical(data[index])
    const first = seen.get(key)
    if (first !== undefined) {
      (uniqueItems as unknown as { errors: unknown[] }).errors = [{ keyword: 'uniqueItems', message: `must NOT have duplicate items (items ## ${first} and ${index} are identical)`, params: { i: first, j: index } }]
      return false
    }
    seen.set(key, index)
  }
  return true
}

function canonical (value: unknown): string {
  if (value === null || typeof value !== 'object') return JSON.stringify(value)
  if (Array.isArray(value)) return `[${value.map(canonical).join(',')}]`
  return `{${Object.keys(value).sort().map((key) => `${JSON.stringify(key)}:${canonical((value as Record<string, unknown>)[key])}`).join(',')}}`
}

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
