/**
 * An entry of a manifest's `permissions.http.allow`, e.g. `https://*.hanoi.gov.vn/api/*`, matched
 * as URL components, never as one string: the scheme exactly; the host exactly, or with `*` as its
 * whole left-most label standing for exactly one label (`*.gov.vn` is `a.gov.vn`, not `a.b.gov.vn`
 * nor `attacker.example/x.gov.vn`), or `*` alone for any host; the port exactly, the scheme's default
 * when none is written, or `*` for any; the path with `*` standing for any run of characters, or any
 * path when none is written. Matching takes time linear in the URL (no regular expression).
 */
export interface UrlPattern {
  scheme: 'http:' | 'https:'
  /** Lower-case labels, `*` only first; `['*']` alone for any host. */
  host: string[]
  /** A number, `*`, or undefined for the scheme's default. */
  port: number | '*' | undefined
  /** The path split at `*`, or undefined for any path. */
  path: string[] | undefined
}

const SHAPE = /^(https?):\/\/(\[[0-9a-fA-F:.]+\]|[^/:*]*\*?[^/:*]*)(?::(\d{1,5}|\*))?(\/[^\s]*)?$/

/** Reads an allow-list entry; undefined when it is not of the shape above (the manifest check names it). */
export function parseUrlPattern (text: string): UrlPattern | undefined {
  const match = SHAPE.exec(text)
  if (match === null) return undefined
  const [, scheme, rawHost = '', port, path] = match
  const host = rawHost.toLowerCase().split('.')
  if (rawHost === '' || host.some((label, index) => label === '' || (label.includes('*') && (label !== '*' || index !== 0)))) return undefined
  if (port !== undefined && port !== '*' && Number(port) > 65535) return undefined
  return {
    scheme: `${scheme as 'http' | 'https'}:`,
    host,
    // The scheme's own port is written nowhere in a URL once parsed (`https://x:443/` is `https://x/`).
    port: port === undefined || Number(port) === (scheme === 'https' ? 443 : 80) ? undefined : port === '*' ? '*' : Number(port),
    path: path === undefined ? undefined : path.split('*'),
  }
}

/** Whether a parsed URL is one the pattern allows. */
export function urlMatches (pattern: UrlPattern, url: URL): boolean {
  if (url.protocol !== pattern.scheme) return false
  const port = url.port === '' ? undefined : Number(url.port)
  if (pattern.port !== '*' && pattern.port !== port) return false
  if (!hostMatches(pattern.host, url.hostname.toLowerCase())) return false
  return pattern.path === undefined || globMatches(pattern.path, url.pathname)
}

function hostMatches (pattern: string[], hostname: string): boolean {
  if (pattern.length === 1 && pattern[0] === '*') return true
  const labels = hostname.split('.')
  if (labels.length !== pattern.length) return false
  return pattern.every((label, index) => label === '*' ? labels[index] !== '' : label === labels[index])
}

/** `parts` is the pattern split at `*`: the first part is a prefix, the last a suffix, the rest found in order. */
function globMatches (parts: string[], text: string): boolean {
  const first = parts[0]!
  if (parts.length === 1) return text === first
  const last = parts[parts.length - 1]!
  if (!text.startsWith(first) || text.length < first.length + last.length || !text.endsWith(last)) return false
  let at = first.length
  const end = text.length - last.length
  for (let i = 1; i < parts.length - 1; i++) {
    const found = text.indexOf(parts[i]!, at)
    if (found === -1 || found + parts[i]!.length > end) return false
    at = found + parts[i]!.length
  }
  return true
}
