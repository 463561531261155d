/** How deep a JSON body may nest (objects and arrays inside each other). */
export const JSON_MAX_DEPTH = 64
/** How many objects, arrays and elements a JSON body may hold. */
export const JSON_MAX_VALUES = 100_000

/**
 * Scans JSON text once, outside its strings, before anything parses or walks it: the deepest
 * nesting and about how many values it holds. Recursive code further on (serialisation for the
 * sandbox, schema validation, logging) then never meets a value deeper or larger than these
 * limits; a 24 KB body nested 12,000 deep once overflowed the gateway's stack in `JSON.stringify`.
 * Returns what is wrong, or undefined.
 */
export function jsonShapeProblem (text: string, maxDepth = JSON_MAX_DEPTH, maxValues = JSON_MAX_VALUES): string | undefined {
  let depth = 0
  let values = 1
  let inString = false
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i)
    if (inString) {
      if (c === 0x5c) i++
      else if (c === 0x22) inString = false
      continue
    }
    if (c === 0x22) inString = true
    else if (c === 0x7b || c === 0x5b) {
      if (++depth > maxDepth) return `the body nests deeper than ${maxDepth} levels`
    } else if (c === 0x7d || c === 0x5d) depth--
    else if (c === 0x2c) {
      if (++values > maxValues) return `the body holds more than ${maxValues} values`
    }
  }
  return undefined
}
