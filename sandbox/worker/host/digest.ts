import { createHash } from 'node:crypto'
import canonicalize from 'canonicalize'
import { invalid } from './host-error.ts'

const ALGORITHMS: Record<string, string> = { 'SHA-256': 'sha256', 'SHA-384': 'sha384', 'SHA-512': 'sha512' }
const MAX_INPUT = 4 * 1024 * 1024

/** Every string in `value` in Unicode NFC, so that `Nguyễn` typed on any keyboard digests the same. */
function nfc (value: unknown): unknown {
  if (typeof value === 'string') return value.normalize('NFC')
  if (Array.isArray(value)) return value.map(nfc)
  if (value !== null && typeof value === 'object') return Object.fromEntries(Object.entries(value).map(([key, inner]) => [key.normalize('NFC'), nfc(inner)]))
  return value
}

/**
 * `crypto.digest(algorithm, data)`: the hex digest of a string's UTF-8 bytes as they are, or of any other JSON value
 * in canonical form (RFC 8785, its strings in NFC first): what a form's signature covers. Needs no permission.
 */
export function digest (args: unknown[]): string {
  const algorithm = ALGORITHMS[String(args[0])]
  if (algorithm === undefined) throw invalid(`the algorithm is one of ${Object.keys(ALGORITHMS).join(', ')}`)
  const data = args[1]
  const text = typeof data === 'string' ? data : canonicalize(nfc(data))
  if (text === undefined) throw invalid('data is a string or a JSON value')
  if (text.length > MAX_INPUT) throw invalid(`data is at most ${MAX_INPUT} characters`)
  return createHash(algorithm).update(text, 'utf8').digest('hex')
}
