import { request as httpRequest } from 'node:http'
import { request as httpsRequest } from 'node:https'
import type { RunningRequest } from '../plugin-isolate.ts'
import type { PluginSpec } from '../../protocol.ts'
import { HostCallError, denied, invalid, objectArg, stringArg } from '../../host-error.ts'
import { parseUrlPattern, urlMatches, type UrlPattern } from '../../url-pattern.ts'
import { createKeyedLimit, type KeyedLimit } from '../../../core/keyed-limit.ts'
import { checkedAddress, pinnedLookup, readLimited } from '../../../core/outbound.ts'

export interface FetchPolicy {
  /** `host:port` pairs the platform allows even on private addresses (configuration, never the plugin). */
  allowPrivate: string[]
  timeoutMs: number
  maxBodyBytes: number
  maxRedirects: number
  /** Fetches one installation may have in flight at once, across its requests. */
  maxInFlight: number
}

// Headers that carry the caller's credentials: not sent on to another origin when redirected there.
const CREDENTIALS = new Set(['authorization', 'cookie', 'proxy-authorization'])

const patterns = new Map<string, UrlPattern[]>()

function allowList (spec: PluginSpec): UrlPattern[] {
  let parsed = patterns.get(spec.key)
  if (parsed === undefined) {
    parsed = (spec.permissions.http?.allow ?? []).flatMap((text) => parseUrlPattern(text) ?? [])
    if (patterns.size > 10_000) patterns.clear()
    patterns.set(spec.key, parsed)
  }
  return parsed
}

interface FetchResult {
  status: number
  headers: Record<string, string>
  body: string
  url: string
}

/**
 * `http.fetch(url, init)`: only URLs the manifest allows (url-pattern.ts); the host is resolved
 * first and every address checked, and the connection goes to the checked address (no second
 * lookup to rebind). Redirects are followed by hand, each hop checked the same way, and credentials
 * are not sent on to another origin. The whole fetch ends by the request's own deadline; an
 * installation has at most `maxInFlight` fetches open at once. Text bodies only, size-limited.
 */
export async function fetchForPlugin (policy: FetchPolicy, spec: PluginSpec, request: RunningRequest, args: unknown[]): Promise<FetchResult> {
  let url = stringArg(args[0], 'the URL', 2048)
  const init = objectArg(args[1] ?? {}, 'the request options')
  let method = String(init.method ?? 'GET').toUpperCase()
  if (!['GET', 'POST', 'PUT', 'PATCH', 'DELETE', 'HEAD'].includes(method)) throw invalid(`method ${method.slice(0, 10)} is not allowed`)
  const headers = { ...objectArg(init.headers ?? {}, 'headers') as Record<string, unknown> }
  let body = init.body === undefined ? undefined : typeof init.body === 'string' ? init.body : JSON.stringify(init.body)
  const release = await fetchesOf(policy).acquire(spec.key)
  if (release === undefined) throw denied(`more than ${policy.maxInFlight} fetches at once`)
  try {
    let origin: string | undefined
    for (let hop = 0; hop <= policy.maxRedirects; hop++) {
      let parsed: URL
      try {
        parsed = new URL(url)
      } catch {
        throw invalid(`'${url.slice(0, 200)}' is not a URL`)
      }
      if (parsed.protocol !== 'https:' && parsed.protocol !== 'http:') throw denied(`only http and https URLs may be fetched, not ${parsed.protocol}`)
      if (parsed.username !== '' || parsed.password !== '') throw denied('URLs with credentials are refused')
      if (!allowList(spec).some((pattern) => urlMatches(pattern, parsed))) throw denied(`the manifest does not allow fetching ${parsed.origin}${parsed.pathname.slice(0, 200)}`)
      if (origin !== undefined && parsed.origin !== origin) {
        for (const name of Object.keys(headers)) if (CREDENTIALS.has(name.toLowerCase())) delete headers[name]
      }
      origin = parsed.origin
      const left = timeLeft(policy, request)
      const hostname = parsed.hostname.replace(/^\[|\]$/g, '')
      const port = parsed.port === '' ? (parsed.protocol === 'https:' ? 443 : 80) : Number(parsed.port)
      const address = await checkedAddress(hostname, policy.allowPrivate.includes(`${hostname}:${port}`))
      if ('refused' in address) throw denied(address.refused)
      const response = await send(parsed, address, method, headers, body, policy, left)
      if ([301, 302, 303, 307, 308].includes(response.status) && response.location !== undefined) {
        url = new URL(response.location, parsed).href
        // As browsers do: 303, and 301/302 after a POST, go on as a GET without the body.
        if (response.status === 303 || ((response.status === 301 || response.status === 302) && method === 'POST')) {
          if (method !== 'HEAD') method = 'GET'
          body = undefined
        }
        continue
      }
      return { status: response.status, headers: response.headers, body: response.body, url: parsed.href }
    }
    throw denied(`more than ${policy.maxRedirects} redirects`)
  } finally {
    release()
  }
}

/** An installation's fetches in flight: at most the policy's, none waiting (one more is refused). */
const fetches = new Map<number, KeyedLimit>()
function fetchesOf (policy: FetchPolicy): KeyedLimit {
  let limit = fetches.get(policy.maxInFlight)
  if (limit === undefined) fetches.set(policy.maxInFlight, limit = createKeyedLimit({ running: policy.maxInFlight, queued: 0 }))
  return limit
}

/** How long the next hop may take: the policy's per-hop limit, cut to what is left of the request's time. */
function timeLeft (policy: FetchPolicy, request: RunningRequest): number {
  const left = request.deadline === undefined ? policy.timeoutMs : Math.min(policy.timeoutMs, request.deadline - Date.now())
  if (left <= 0) throw new HostCallError('HostError', 'the request has no time left to fetch')
  return left
}

function send (
  url: URL,
  target: { address: string, family: number },
  method: string,
  headers: Record<string,
  unknown>,
  body: string | undefined,
  policy: FetchPolicy,
  timeoutMs: number
): Promise<{ status: number, headers: Record<string, string>, body: string, location: string | undefined }> {
  const outgoing: Record<string, string> = {}
  for (const [name, value] of Object.entries(headers)) {
    if (typeof value === 'string' && /^[A-Za-z0-9-]{1,64}$/.test(name) && !/[\r\n]/.test(value) && !['host', 'connection', 'transfer-encoding', 'content-length'].includes(name.toLowerCase())) outgoing[name] = value
  }
  const requester = url.protocol === 'https:' ? httpsRequest : httpRequest
  return new Promise((resolve, reject) => {
    const req = requester(url, {
      method,
      headers: outgoing,
      timeout: timeoutMs,
      lookup: pinnedLookup(target),
    }, (res) => {
      readLimited(req, res, policy.maxBodyBytes, () => reject(denied(`the response is larger than ${policy.maxBodyBytes} bytes`)), (answer) => {
        resolve({ ...answer, body: answer.body.toString('utf8'), location: res.headers.location })
      })
      res.on('error', reject)
    })
    // `timeout` is for a silent socket; this bounds the whole exchange, a slow trickle included.
    const deadline = setTimeout(() => req.destroy(new Error('timed out')), timeoutMs)
    req.on('close', () => clearTimeout(deadline))
    req.on('timeout', () => req.destroy(new Error('timed out')))
    req.on('error', (error) => reject(new HostCallError('HostError', `fetching ${url.origin} failed: ${error.message.slice(0, 100)}`)))
    req.end(body)
  })
}
