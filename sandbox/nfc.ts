/**
 * Every string in `value`, keys too, in Unicode NFC: `Nguyễn` typed on a keyboard that sends decomposed marks is
 * then the same text as everyone else's, for equality, search, digests and signatures alike.
 */
export function nfc (value: unknown): unknown {
  if (typeof value === 'string') return value.normalize('NFC')
  if (Array.isArray(value)) return value.map(nfc)
  if (value !== null && typeof value === 'object') return Object.fromEntries(Object.entries(value).map(([key, inner]) => [key.normalize('NFC'), nfc(inner)]))
  return value
}
