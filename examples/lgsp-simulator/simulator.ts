import { execFileSync } from 'node:child_process'
import { createHash, createHmac, randomBytes, timingSafeEqual } from 'node:crypto'
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http'
import { createServer as createTlsServer } from 'node:https'
import type { AddressInfo } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { TLSSocket } from 'node:tls'

/**
 * A provincial LGSP and the national portal's adapter, on loopback, for tests and `nentang demo`: key/secret (HMAC)
 * authentication, an OAuth2 token endpoint, a static bearer token, a mutual-TLS endpoint, the portal's session login
 * and its `DongBoHoSoMC` / `CapNhatTienDoHoSoMC` calls, and switches to answer slowly, fail, or send a wrong request
 * hash. It keeps what it saw, bytes and all, so a test can recompute the hashes the platform logged.
 */

/** What the simulator saw of one request and what it answered. */
export interface Seen {
  method: string
  /** The path and query as sent. */
  target: string
  headers: Record<string, string | string[] | undefined>
  body: Buffer
  /** `sha512(method + ' ' + target + '\n' + body)`, hex: the platform's request hash (docs/exchange.md). */
  requestHash: string
  status: number
  responseBody: Buffer
  /** `sha512(status + '\n' + responseBody)`, hex. */
  responseHash: string
  /** The common name of the client certificate, on the mutual-TLS port. */
  clientCertificate?: string
}

export interface Behaviour {
  /** Wait this long before answering. */
  slowMs: number
  /** Answer the next N requests 503. */
  failNext: number
  /** Answer every request 503 until told otherwise. */
  failAll: boolean
  /** Send an `X-Road-Request-Hash` that does not match the request. */
  wrongHash: boolean
}

/** A dossier as the portal knows it: every sync and progress call it took, in order. */
export interface PortalDossier {
  code: string
  statuses: number[]
  calls: Array<{ call: 'DongBoHoSoMC' | 'CapNhatTienDoHoSoMC', payload: Record<string, unknown> }>
}

export interface Simulator {
  /** http://127.0.0.1:port */
  url: string
  /** https://localhost:port, which asks for a client certificate issued by `pki.ca`. */
  mtlsUrl: string
  pki: { ca: string, clientCertificate: string, clientKey: string }
  credentials: {
    bearerToken: string
    oauth: { clientId: string, clientSecret: string }
    lgsp: { appName: string, accessKey: string, secretKey: string }
    portal: { username: string, password: string }
  }
  seen: Seen[]
  /** Access tokens and portal sessions given out so far. */
  issued: { tokens: number, sessions: number }
  portal: Map<string, PortalDossier>
  behave(change: Partial<Behaviour>): void
  close(): Promise<void>
}

export const requestHash = (method: string, target: string, body: Buffer): string =>
  createHash('sha512').update(`${method} ${target}\n`).update(body).digest('hex')
export const responseHash = (status: number, body: Buffer): string => createHash('sha512').update(`${status}\n`).update(body).digest('hex')

/** The string an LGSP key/secret request signs, and its signature: base64 HMAC-SHA256 with the secret key. */
export function lgspSignature (secretKey: string, method: string, target: string, timestamp: string, body: Buffer): string {
  const bodyHash = createHash('sha256').update(body).digest('hex')
  return createHmac('sha256', secretKey).update([method, target, timestamp, bodyHash].join('\n')).digest('base64')
}

const PORTAL_DATE = /^\d{14}$/

function makePki (dir: string): Simulator['pki'] & { serverKey: string, serverCertificate: string } {
  const run = (...args: string[]): void => { execFileSync('openssl', args, { cwd: dir, stdio: 'ignore' }) }
  run('req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-keyout', 'ca.key', '-out', 'ca.pem', '-days', '30',
    '-subj', '/CN=LGSP simulator CA', '-addext', 'basicConstraints=critical,CA:TRUE', '-addext', 'keyUsage=critical,keyCertSign')
  writeFileSync(join(dir, 'server.cnf'), 'subjectAltName=DNS:localhost,IP:127.0.0.1\nextendedKeyUsage=serverAuth\n')
  writeFileSync(join(dir, 'client.cnf'), 'extendedKeyUsage=clientAuth\n')
  for (const [name, subject] of [['server', '/CN=localhost'], ['client', '/CN=UBND TP Ha Noi']] as const) {
    run('req', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-keyout', `${name}.key`, '-out', `${name}.csr`, '-subj', subject)
    run('x509', '-req', '-in', `${name}.csr`, '-CA', 'ca.pem', '-CAkey', 'ca.key', '-CAcreateserial', '-out', `${name}.pem`, '-days', '30', '-extfile', `${name}.cnf`)
  }
  const read = (name: string): string => readFileSync(join(dir, name), 'utf8')
  return { ca: read('ca.pem'), clientCertificate: read('client.pem'), clientKey: read('client.key'), serverKey: read('server.key'), serverCertificate: read('server.pem') }
}

const secret = (): string => randomBytes(18).toString('base64url')

function same (a: string, b: string): boolean {
  const x = Buffer.from(a)
  const y = Buffer.from(b)
  return x.length === y.length && timingSafeEqual(x, y)
}

export async function startSimulator (options: { port?: number, mtlsPort?: number, host?: string } = {}): Promise<Simulator> {
  const dir = mkdtempSync(join(tmpdir(), 'lgsp-simulator-'))
  const pki = makePki(dir)
  rmSync(dir, { recursive: true, force: true })
  const credentials: Simulator['credentials'] = {
    bearerToken: secret(),
    oauth: { clientId: 'nentang-hn', clientSecret: secret() },
    lgsp: { appName: 'nentang', accessKey: 'AK-' + secret(), secretKey: secret() },
    portal: { username: 'ubnd-hn', password: secret() },
  }
  const behaviour: Behaviour = { slowMs: 0, failNext: 0, failAll: false, wrongHash: false }
  const tokens = new Map<string, number>()
  const sessions = new Map<string, number>()
  const seen: Seen[] = []
  const issued = { tokens: 0, sessions: 0 }
  const portal = new Map<string, PortalDossier>()

  async function handle (req: IncomingMessage, res: ServerResponse): Promise<void> {
    const chunks: Buffer[] = []
    for await (const chunk of req) chunks.push(chunk as Buffer)
    const body = Buffer.concat(chunks)
    const method = req.method ?? 'GET'
    const target = req.url ?? '/'
    const path = target.split('?')[0]!
    const socket = req.socket as TLSSocket
    const clientCertificate = typeof socket.getPeerCertificate === 'function' ? String(socket.getPeerCertificate().subject?.CN ?? '') : undefined
    if (behaviour.slowMs > 0) await new Promise((resolve) => setTimeout(resolve, behaviour.slowMs))
    let answer: { status: number, json: unknown }
    if (path === '/_sim/behave' && method === 'POST') {
      Object.assign(behaviour, JSON.parse(body.toString('utf8') || '{}'))
      answer = { status: 200, json: behaviour }
    } else if (behaviour.failAll || behaviour.failNext > 0) {
      if (behaviour.failNext > 0) behaviour.failNext--
      answer = { status: 503, json: { error_code: '99', message: 'Hệ thống tạm thời gián đoạn' } }
    } else {
      answer = route(method, target, path, req.headers, body, clientCertificate)
    }
    const responseBody = Buffer.from(JSON.stringify(answer.json))
    const hash = requestHash(method, target, body)
    const { status } = answer
    const { headers } = req
    const record: Seen = { method, target, headers, body, requestHash: hash, status, responseBody, responseHash: responseHash(status, responseBody) }
    if (clientCertificate !== undefined) record.clientCertificate = clientCertificate
    seen.push(record)
    if (seen.length > 10_000) seen.shift()
    res.writeHead(answer.status, {
      'content-type': 'application/json; charset=utf-8',
      'x-road-request-hash': behaviour.wrongHash ? createHash('sha512').update('not this request').digest('base64') : Buffer.from(hash, 'hex').toString('base64'),
    })
    res.end(responseBody)
  }

  function route (method: string, target: string, path: string, headers: IncomingMessage['headers'], body: Buffer, clientCertificate: string | undefined): { status: number, json: unknown } {
    const echo = { method, target, body: body.toString('utf8'), clientCertificate: clientCertificate ?? null, correlationId: headers['x-correlation-id'] ?? null }
    const bearer = /^Bearer (.+)$/.exec(String(headers.authorization ?? ''))?.[1]
    const unauthorised = { status: 401, json: { error_code: '401', message: 'Chưa xác thực' } }
    if (clientCertificate !== undefined) return { status: 200, json: echo }
    if (path === '/oauth/token' && method === 'POST') {
      const form = new URLSearchParams(body.toString('utf8'))
      const basic = /^Basic (.+)$/.exec(String(headers.authorization ?? ''))?.[1]
      const [id, key] = basic === undefined ? [form.get('client_id') ?? '', form.get('client_secret') ?? ''] : Buffer.from(basic, 'base64').toString('utf8').split(':')
      if (form.get('grant_type') !== 'client_credentials') return { status: 400, json: { error: 'unsupported_grant_type' } }
      if (!same(id ?? '', credentials.oauth.clientId) || !same(key ?? '', credentials.oauth.clientSecret)) return { status: 401, json: { error: 'invalid_client' } }
      const token = secret()
      tokens.set(token, Date.now() + 300_000)
      issued.tokens++
      return { status: 200, json: { access_token: token, token_type: 'Bearer', expires_in: 300 } }
    }
    if (path.startsWith('/echo/')) return { status: 200, json: echo }
    // An answer of the size asked for (at most 20 MB): what a too-large answer does to the caller.
    if (path.startsWith('/big/')) return { status: 200, json: 'x'.repeat(Math.min(20_000_000, Number(path.slice('/big/'.length)) || 0)) }
    if (path.startsWith('/bearer/')) return bearer !== undefined && same(bearer, credentials.bearerToken) ? { status: 200, json: echo } : unauthorised
    if (path.startsWith('/oauth-api/')) return bearer !== undefined && (tokens.get(bearer) ?? 0) > Date.now() ? { status: 200, json: echo } : unauthorised
    if (path.startsWith('/lgsp/')) {
      const timestamp = String(headers['x-timestamp'] ?? '')
      const fresh = /^\d{10}$/.test(timestamp) && Math.abs(Date.now() / 1000 - Number(timestamp)) < 300
      const signature = lgspSignature(credentials.lgsp.secretKey, method, target, timestamp, body)
      const ok = fresh && headers['x-app-name'] === credentials.lgsp.appName && same(String(headers['x-access-key'] ?? ''), credentials.lgsp.accessKey) &&
        same(String(headers['x-signature'] ?? ''), signature)
      return ok ? { status: 200, json: echo } : unauthorised
    }
    if (path === '/portal/login' && method === 'POST') {
      const login = parse(body)
      if (login?.username !== credentials.portal.username || typeof login.password !== 'string' || !same(login.password, credentials.portal.password)) {
        return { status: 200, json: { error_code: '01', message: 'Sai tên đăng nhập hoặc mật khẩu' } }
      }
      const session = secret()
      sessions.set(session, Date.now() + 600_000)
      issued.sessions++
      return { status: 200, json: { error_code: '00', session, expires_in: 600 } }
    }
    if (path === '/portal/DongBoHoSoMC' || path === '/portal/CapNhatTienDoHoSoMC') {
      if (bearer === undefined || (sessions.get(bearer) ?? 0) < Date.now()) return { status: 200, json: { error_code: '401', message: 'Phiên đăng nhập hết hạn' } }
      return portalCall(path.slice('/portal/'.length) as PortalDossier['calls'][number]['call'], parse(body))
    }
    return { status: 404, json: { error_code: '404', message: 'Không có dịch vụ này' } }
  }

  function portalCall (call: PortalDossier['calls'][number]['call'], payload: Record<string, unknown> | undefined): { status: number, json: unknown } {
    const refuse = (message: string): { status: number, json: unknown } => ({ status: 200, json: { error_code: '02', message } })
    if (payload === undefined) return refuse('Dữ liệu không hợp lệ')
    const code = payload.MaHoSo
    const status = Number(payload.TrangThaiHoSo)
    if (typeof code !== 'string' || code === '') return refuse('Thiếu MaHoSo')
    if (!Number.isInteger(status) || status < 1 || status > 10) return refuse('TrangThaiHoSo phải từ 1 đến 10')
    for (const field of ['NgayTiepNhan', 'NgayCapNhat']) {
      if (payload[field] !== undefined && !PORTAL_DATE.test(String(payload[field]))) return refuse(`${field} phải có dạng yyyyMMddHHmmss`)
    }
    const dossier = portal.get(code)
    if (call === 'CapNhatTienDoHoSoMC' && dossier === undefined) return refuse('Hồ sơ chưa được đồng bộ')
    const entry = dossier ?? { code, statuses: [], calls: [] }
    entry.statuses.push(status)
    entry.calls.push({ call, payload })
    portal.set(code, entry)
    return { status: 200, json: { error_code: '00', message: 'Thành công' } }
  }

  const onRequest = (req: IncomingMessage, res: ServerResponse): void => {
    handle(req, res).catch(() => { if (!res.headersSent) res.writeHead(500); res.end() })
  }
  const host = options.host ?? '127.0.0.1'
  const plain = createServer(onRequest)
  const mtls = createTlsServer({ key: pki.serverKey, cert: pki.serverCertificate, ca: pki.ca, requestCert: true, rejectUnauthorized: true }, onRequest)
  const listen = (server: Server, port: number): Promise<number> => new Promise((resolve, reject) => {
    server.once('error', reject)
    server.listen(port, host, () => resolve((server.address() as AddressInfo).port))
  })
  const port = await listen(plain, options.port ?? 0)
  const mtlsPort = await listen(mtls, options.mtlsPort ?? 0)
  return {
    url: `http://${host}:${port}`,
    mtlsUrl: `https://localhost:${mtlsPort}`,
    pki: { ca: pki.ca, clientCertificate: pki.clientCertificate, clientKey: pki.clientKey },
    credentials,
    seen,
    issued,
    portal,
    behave (change) { Object.assign(behaviour, change) },
    async close () {
      plain.closeAllConnections()
      mtls.closeAllConnections()
      await Promise.all([new Promise((resolve) => plain.close(resolve)), new Promise((resolve) => mtls.close(resolve))])
    },
  }
}

function parse (body: Buffer): Record<string, unknown> | undefined {
  try {
    const value: unknown = JSON.parse(body.toString('utf8'))
    return value !== null && typeof value === 'object' && !Array.isArray(value) ? value as Record<string, unknown> : undefined
  } catch {
    return undefined
  }
}
