import { Agent as HttpAgent, request as httpRequest } from 'node:http'
import { Agent as HttpsAgent, request as httpsRequest } from 'node:https'
import { isIP } from 'node:net'
import { checkedAddress, pinnedLookup, readLimited } from '../../core/outbound.ts'

/** Why a request got no answer: it could not connect (or TLS failed), ran out of time, or the answer was too big. */
export class TransportError extends Error {
  readonly reason: 'unreachable' | 'timeout' | 'too-large'
  constructor (reason: TransportError['reason'], message: string) {
    super(message)
    this.reason = reason
  }
}

export interface Answer {
  status: number
  headers: Record<string, string>
  body: Buffer
}

export interface SendOptions {
  method: string
  headers: Record<string, string>
  body: Buffer | null
  /** Date.now() by which the whole exchange ends, a slow trickle included. */
  deadline: number
  maxBytes: number
  /** The endpoint may sit on a loopback, private or link-local address (a platform-admin said so). */
  allowPrivate: boolean
  /** Keeps the endpoint's connections open between calls; carries its TLS settings (private CA, client certificate). */
  agent: HttpAgent | HttpsAgent
}

/** A keep-alive agent for an endpoint, with its private CA and client certificate for https. */
export function agentFor (url: URL, tls: { ca?: string, cert?: string, key?: string }): HttpAgent | HttpsAgent {
  const options = { keepAlive: true, maxSockets: 32, maxFreeSockets: 8, timeout: 30_000 }
  return url.protocol === 'https:' ? new HttpsAgent({ ...options, ...tls, minVersion: 'TLSv1.2' }) : new HttpAgent(options)
}

/**
 * One HTTP exchange with another system: the host is resolved and every address checked (public only, unless
 * `allowPrivate`), and the connection goes to the checked address. Redirects are not followed: an endpoint answers at
 * its own address.
 */
export async function send (url: URL, options: SendOptions): Promise<Answer> {
  const hostname = url.hostname.replace(/^\[|\]$/g, '')
  const target = await checkedAddress(hostname, options.allowPrivate)
  if ('refused' in target) throw new TransportError('unreachable', `${target.refused}${options.allowPrivate ? '' : '; a platform administrator must allow it for this endpoint'}`)
  const timeoutMs = options.deadline - Date.now()
  if (timeoutMs <= 0) throw new TransportError('timeout', 'no time was left to call')
  const requester = url.protocol === 'https:' ? httpsRequest : httpRequest
  return new Promise((resolve, reject) => {
    let settled = false
    const fail = (error: TransportError): void => {
      if (settled) return
      settled = true
      reject(error)
    }
    const req = requester({
      protocol: url.protocol,
      hostname,
      port: url.port === '' ? undefined : Number(url.port),
      path: url.pathname + url.search,
      method: options.method,
      headers: { ...options.headers, ...(options.body === null ? {} : { 'content-length': String(options.body.length) }) },
      agent: options.agent,
      servername: isIP(hostname) === 0 ? hostname : undefined,
      lookup: pinnedLookup(target),
    }, (res) => {
      readLimited(req, res, options.maxBytes, () => fail(new TransportError('too-large', `the answer is larger than ${options.maxBytes} bytes`)), (answer) => {
        if (settled) return
        settled = true
        resolve(answer)
      })
      res.on('error', (error) => fail(new TransportError('unreachable', `the answer broke off: ${error.message.slice(0, 100)}`)))
    })
    const timer = setTimeout(() => {
      fail(new TransportError('timeout', `no answer within ${timeoutMs} ms`))
      req.destroy()
    }, timeoutMs)
    req.on('close', () => clearTimeout(timer))
    req.on('error', (error) => fail(new TransportError('unreachable', `${url.origin}: ${error.message.slice(0, 160)}`)))
    req.end(options.body ?? undefined)
  })
}
