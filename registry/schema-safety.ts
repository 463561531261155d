import { RE2JS } from 're2js'
import type { FieldError } from '../core/errors.ts'

/** The parts of a manifest that hold schemas (manifest.ts validates the rest, then calls this). */
interface SchemasOf {
  schemas?: Record<string, unknown>
  routes?: ReadonlyArray<{ body?: unknown }>
  settings?: unknown
}

/** How many values one route's body schema (or the settings schema) may hold once its `$ref`s are followed. */
export const MAX_SCHEMA_VALUES = 10_000
/** How long one `pattern` (or `patternProperties` key) may be. */
const MAX_PATTERN_LENGTH = 1000
const REF = /^#\/(?:schemas|\$defs)\/([^/]+)$/

/**
 * A pattern as RE2 reads it, which matches in time linear in the text: no backreferences, no
 * lookaround. Plugin schemas are validated on the gateway, so a backtracking pattern such as
 * `^([a-z0-9]+)*$` would stop every tenant's requests for seconds on one crafted string.
 */
export function compileSafePattern (pattern: string): RE2JS {
  return RE2JS.compile(RE2JS.translateRegExp(pattern))
}

/**
 * What makes a manifest's schemas unsafe to validate on the gateway: a pattern RE2 cannot run in
 * linear time, a `$ref` that is not `#/schemas/{name}` or whose references go round in a circle
 * (with `anyOf` a recursive schema costs exponential time in the body's depth), or a schema that
 * holds more than MAX_SCHEMA_VALUES values with its references followed (compile time, and the
 * work per body value, grow with it). Each problem names the field of plugin.json it is in.
 */
export function schemaProblems (manifest: SchemasOf): FieldError[] {
  const problems: FieldError[] = []
  const named = manifest.schemas ?? {}
  const sizes = new Map<string, number>()
  const visiting = new Set<string>()

  function sizeOfNamed (name: string, field: string): number {
    const known = sizes.get(name)
    if (known !== undefined) return known
    if (!Object.hasOwn(named, name)) {
      problems.push({ field, message: `'${field}' refers to '#/schemas/${name}', which the manifest does not define`, vi: `${field}: tham chiếu tới '#/schemas/${name}' nhưng plugin.json không khai báo lược đồ này.` })
      return 0
    }
    if (visiting.has(name)) {
      problems.push({ field, message: `'${field}' makes '#/schemas/${name}' refer to itself; recursive schemas are not allowed`, vi: `${field}: làm lược đồ '#/schemas/${name}' tự tham chiếu tới chính nó; không cho phép lược đồ đệ quy.` })
      return Infinity
    }
    visiting.add(name)
    const size = sizeOf(named[name], `schemas/${name}`)
    visiting.delete(name)
    sizes.set(name, size)
    return size
  }

  function sizeOf (value: unknown, field: string): number {
    if (value === null || typeof value !== 'object') return 1
    if (Array.isArray(value)) return value.reduce<number>((sum, item, index) => sum + sizeOf(item, `${field}/${index}`), 1)
    let size = 1
    for (const [key, inner] of Object.entries(value)) {
      const at = `${field}/${key}`
      if (key === '$ref') {
        const target = typeof inner === 'string' ? REF.exec(inner)?.[1] : undefined
        if (target === undefined) problems.push({ field: at, message: `'${at}' must be '#/schemas/{name}'`, vi: `${at}: phải có dạng '#/schemas/{tên}'.` })
        else size += sizeOfNamed(target, at)
      } else if (key === '$dynamicRef' || key === '$recursiveRef') {
        problems.push({ field: at, message: `'${at}' is not allowed; use '#/schemas/{name}'`, vi: `${at}: không được phép; hãy dùng '#/schemas/{tên}'.` })
      } else if (key === 'pattern' && typeof inner === 'string') {
        checkPattern(inner, at)
      } else if (key === 'patternProperties' && inner !== null && typeof inner === 'object') {
        for (const pattern of Object.keys(inner)) checkPattern(pattern, `${at}/${pattern}`)
      }
      size += sizeOf(inner, at)
    }
    return size
  }

  function checkPattern (pattern: string, field: string): void {
    if (pattern.length > MAX_PATTERN_LENGTH) {
      problems.push({ field, message: `'${field}' is longer than ${MAX_PATTERN_LENGTH} characters`, vi: `${field}: dài quá ${MAX_PATTERN_LENGTH} ký tự.` })
      return
    }
    try {
      compileSafePattern(pattern)
    } catch (error) {
      problems.push({ field, message: `'${field}' cannot run in linear time (no backreferences or lookaround): ${(error as Error).message.slice(0, 200)}`, vi: `${field}: biểu thức này không chạy được trong thời gian tuyến tính (không dùng tham chiếu ngược hay lookaround).` })
    }
  }

  function checkTop (schema: unknown, field: string): void {
    const size = sizeOf(schema, field)
    if (size > MAX_SCHEMA_VALUES) problems.push({ field, message: `'${field}' holds ${Number.isFinite(size) ? size : 'endlessly many'} values with its references followed; at most ${MAX_SCHEMA_VALUES}` })
  }

  for (const name of Object.keys(named)) sizeOfNamed(name, `schemas/${name}`)
  ;(manifest.routes ?? []).forEach((route, index) => { if (route.body !== undefined) checkTop(route.body, `routes/${index}/body`) })
  if (manifest.settings !== undefined) checkTop(manifest.settings, 'settings')
  // One problem once, even when several routes reach it through the same reference.
  return [...new Map(problems.map((problem) => [problem.field + problem.message, problem])).values()]
}
