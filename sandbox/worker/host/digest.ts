import { createHash } from 'node:crypto'
import canonicalize from 'canonicalize'
import { invalid } from '../../host-error.ts'
import { nfc } from '../../nfc.ts'

const ALGORITHMS: Record<string, string> = { 'SHA-256': 'sha256', 'SHA-384': 'sha384', 'SHA-512': 'sha512' }
const MAX_INPUT = 4 * 1024 * 1024

/**
 * `crypto.digest(algorithm, data)`: the hex digest of a string's UTF-8 bytes as they are, or of any other JSON value
 * in canonical form (RFC 8785, its strings in NFC first): what a form's signature covers. Needs no permission.
 */
export function digest (args: unknown[]): string {
  const algorithm = ALGORITHMS[String(args[0])]
  if (algorithm === undefined) throw invalid(`the algorithm is one of ${Object.keys(ALGORITHMS).join(', ')}`)
  return createHash(algorithm).update(signedText(args[1], 'data'), 'utf8').digest('hex')
}

/** The text a digest or a signature covers: a string as it is, any other JSON value canonical, its strings in NFC. */
export function signedText (data: unknown, what: string): string {
  const text = typeof data === 'string' ? data : canonicalize(nfc(data))
  if (text === undefined) throw invalid(`${what} is a string or a JSON value`)
  if (text.length > MAX_INPUT) throw invalid(`${what} is at most ${MAX_INPUT} characters`)
  return text
}
