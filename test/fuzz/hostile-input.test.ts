// SQLite pass only: what is tested is the isolate, the worker process or the HTTP layer, not storage.
import { request as httpRequest } from 'node:http'
import { connect } from 'node:net'
import fc from 'fast-check'
import t from 'tap'
import { ADMIN_PASSWORD, startTestPlatform } from '../helpers/platform.ts'

interface Sent {
  method: string
  path: string
  headers: Record<string, string>
  body?: Buffer
}

function send (url: string, sent: Sent): Promise<{ status: number, body: string }> {
  return new Promise((resolve, reject) => {
    const headers = sent.body === undefined ? sent.headers : { ...sent.headers, 'content-length': String(sent.body.length) }
    const req = httpRequest(url + sent.path, { method: sent.method, headers, agent: false }, (res) => {
      let body = ''
      res.setEncoding('utf8')
      res.on('data', (chunk: string) => { body += chunk })
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }))
    })
    // The server may answer (413, 415…) and close before reading a large body.
    req.on('error', (error: NodeJS.ErrnoException) => (error.code === 'EPIPE' || error.code === 'ECONNRESET' ? resolve({ status: 499, body: '' }) : reject(error)))
    req.end(sent.body)
  })
}

// Fragments that break parsers: bad percent-encoding, traversal, NUL, overlong UTF-8, control characters.
const nasty = ['%', '%zz', '%00', '..', '%2e%2e', '%2F', '%C0%AF', '%FF%FE', '%E0%A4%A', '\\', '%0d%0a', ';', '?x=1&x=2', '#frag', '%u0000']
const segment = fc.oneof(
  fc.string({ maxLength: 40 }).map(encodeURIComponent),
  fc.string({ unit: 'grapheme', maxLength: 20 }).map(encodeURIComponent),
  fc.constantFrom(...nasty),
  fc.constant('a'.repeat(5000))
)

const jsonText = fc.jsonValue({ maxDepth: 4 }).map((value) => JSON.stringify(value) ?? 'null')
const pollution = fc.constantFrom(
  '{"__proto__":{"admin":true},"code":"zz","name":"x"}',
  '{"constructor":{"prototype":{"admin":true}}}',
  '{"username":{"$gt":""},"password":{"$ne":null}}',
  '{"code":"vn","name":"again"}',
  '{"username":"admin","role":"platform-admin","includeDescendants":"yes"}'
)
const malformed = fc.oneof(fc.string({ maxLength: 200 }), fc.constantFrom('', '{', '{"a":', '[1,2', 'nul', '{"a":1}}', '\u0000', '{"a":"\\ud800"}'))
const deep = fc.integer({ min: 1000, max: 100_000 }).map((depth) => '['.repeat(depth) + ']'.repeat(depth))

/** A body that a route must refuse: hostile, malformed, or a valid-looking one with one thing wrong. */
const hostileBody = fc.oneof(
  { weight: 3, arbitrary: jsonText.map((s) => Buffer.from(s)) },
  { weight: 2, arbitrary: pollution.map((s) => Buffer.from(s)) },
  { weight: 2, arbitrary: malformed.map((s) => Buffer.from(s)) },
  { weight: 1, arbitrary: deep.map((s) => Buffer.from(s)) },
  { weight: 1, arbitrary: fc.uint8Array({ maxLength: 64 }).map((bytes) => Buffer.from([0xc3, 0x28, ...bytes])) },
  { weight: 3, arbitrary: fc.record({ field: fc.constantFrom('code', 'name', 'username', 'password', 'role', 'includeDescendants', 'disabled', 'displayName', 'adminUnitCode', 'roles', 'newPassword', 'currentPassword'), value: fc.oneof(fc.jsonValue({ maxDepth: 2 }), fc.string({ minLength: 300, maxLength: 400 })), extra: fc.string({ minLength: 1, maxLength: 10 }) }).map(({ field, value, extra }) => Buffer.from(JSON.stringify({ [field]: value, [`x-${extra}`]: 1 }))) }
)

t.test('no generated request gets a 500, and no rejected request changes the database', async (t) => {
  const p = await startTestPlatform(t)
  const admin = await p.signIn('admin', ADMIN_PASSWORD)
  await p.call('POST', '/api/v1/tenants/vn/children', { token: admin, body: { code: 'hn', name: 'Hà Nội' } })
  await p.call('POST', '/api/v1/tenants/hn/users', { token: admin, body: { username: 'clerk', password: 'clerk-password', roles: ['officer'] } })
  const { knex } = p.platform.services.db
  const tables: Array<[string, string]> = [['tenants', 'id'], ['users', 'id'], ['grants', 'id'], ['platform_meta', 'key'], ['knex_migrations', 'id'], ['registry_versions', 'id'], ['registry_blobs', 'sha256'], ['plugin_documents', 'id'], ['plugin_events', 'id'], ['installations', 'id'], ['installation_secrets', 'id']]
  const snapshot = async () => Object.fromEntries(await Promise.all(tables.map(async ([table, order]) => [table, await knex(table).select('*').orderBy(order)])))
  const before = await snapshot()
  const auditBefore = Number((await knex('audit_log').max({ seq: 'seq' }))[0]!.seq)

  const routes = p.platform.router.stack.flatMap((layer) => layer.methods.filter((m) => m !== 'HEAD').map((method) => ({ method, path: String(layer.path) })))
  const known = new Map([[':code', ['vn', 'hn']], [':username', ['admin', 'clerk']], [':id', ['999999']], [':scope', ['hn', 'vn']], [':version', ['1.0.0']], [':mount', ['permits']], [':name', ['permits', 'API_KEY']], [':file', ['app.js', 'swagger-ui.css']], [':tenant', ['hn', 'vn']], [':provider', ['vneid', 'sso-hn']], [':service', ['tra-cuu-ho-so']], [':client', ['hn.sys-00000000']]])

  const hostileRequest = fc.record({
    route: fc.constantFrom(...routes),
    method: fc.oneof({ weight: 4, arbitrary: fc.constant('') }, { weight: 1, arbitrary: fc.constantFrom('GET', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS', 'TRACE') }),
    fuzzParams: fc.boolean(),
    param: segment,
    pick: fc.nat(),
    suffix: fc.oneof({ weight: 5, arbitrary: fc.constant('') }, { weight: 1, arbitrary: segment.map((s) => `/${s}`) }, { weight: 1, arbitrary: fc.string({ maxLength: 30 }).map((s) => `?${encodeURIComponent(s)}=${encodeURIComponent(s)}`) }),
    auth: fc.oneof({ weight: 6, arbitrary: fc.constant(`Bearer ${admin}`) }, { weight: 1, arbitrary: fc.constantFrom('', 'Bearer', 'Bearer x.y.z', `Bearer ${admin}x`, `bearer ${admin}`, 'Basic YWRtaW46YWRtaW4=') }, { weight: 1, arbitrary: fc.string({ maxLength: 100 }).filter((s) => /^[\x20-\x7e]*$/.test(s)) }),
    contentType: fc.oneof({ weight: 6, arbitrary: fc.constant('application/json') }, { weight: 1, arbitrary: fc.constantFrom('', 'text/plain', 'application/json; charset=utf-16', 'multipart/form-data; boundary=x', 'application/x-www-form-urlencoded', 'APPLICATION/JSON', 'application/jsonx') }),
    requestId: fc.oneof(fc.constant(undefined), fc.string({ maxLength: 80 }).filter((s) => /^[\x20-\x7e]*$/.test(s))),
    body: fc.option(hostileBody, { nil: undefined, freq: 6 }),
  })

  const takesNoInput = new Set(['POST /api/v1/auth/step-up/passkey-options', 'DELETE /api/v1/me/sessions'])
  let count = 0
  const statuses = new Map<number, number>()
  await fc.assert(fc.asyncProperty(hostileRequest, async (input) => {
    const method = input.method === '' ? input.route.method : input.method
    let path = input.route.path.replace(/:[a-z]+/g, (name) => {
      if (input.fuzzParams) return input.param
      const choices = known.get(name)!
      return choices[input.pick % choices.length]!
    })
    path += input.suffix
    const headers: Record<string, string> = {}
    if (input.auth !== '') headers.authorization = input.auth
    if (input.contentType !== '') headers['content-type'] = input.contentType
    if (input.requestId !== undefined) headers['x-request-id'] = input.requestId
    // Sign-in with a well-formed body would run scrypt and count as a failed attempt; keep it hostile instead.
    const response = await send(p.url, { method, path, headers, ...(input.body === undefined ? {} : { body: input.body }) })
    count++
    statuses.set(response.status, (statuses.get(response.status) ?? 0) + 1)
    if (response.status >= 500) throw new Error(`${method} ${path.slice(0, 200)} → ${response.status} ${response.body.slice(0, 300)}`)
    // Routes that take no input (asking for a passkey challenge, ending one's other sessions) rightly accept `{}`.
    const noInput = takesNoInput.has(`${method} ${input.route.path}`) && (input.body === undefined || input.body.toString() === '{}')
    if (method !== 'GET' && method !== 'HEAD' && method !== 'OPTIONS' && response.status < 300 && !noInput) {
      throw new Error(`${method} ${path.slice(0, 200)} was accepted (${response.status}) with a hostile body: ${input.body?.toString().slice(0, 200)}`)
    }
    if (response.status !== 499 && response.status >= 400 && method !== 'HEAD') {
      let parsed: { error?: { code?: unknown, requestId?: unknown } }
      try {
        parsed = JSON.parse(response.body)
      } catch {
        throw new Error(`${method} ${path.slice(0, 200)} → ${response.status} with a body that is not JSON: ${response.body.slice(0, 200)}`)
      }
      if (typeof parsed.error?.code !== 'string' || typeof parsed.error?.requestId !== 'string') throw new Error(`error body without code: ${response.body.slice(0, 200)}`)
    }
  }), { numRuns: 1500, seed: Number(process.env.FUZZ_SEED ?? Date.now() % 2 ** 31) })

  // A few hostile conversations below HTTP's parser: truncated bodies, lies about length, garbage.
  const raw = [
    'POST /api/v1/auth/token HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{"username":',
    'POST /api/v1/tenants/vn/children HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 5\r\nContent-Length: 7\r\n\r\n{}',
    'GET /api/v1/me HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\nContent-Length: 3\r\n\r\nzz\r\n',
    'GARBAGE\r\n\r\n',
    `GET /${'x'.repeat(100_000)} HTTP/1.1\r\nHost: x\r\n\r\n`,
  ]
  for (const text of raw) {
    await new Promise<void>((resolve) => {
      const socket = connect(Number(new URL(p.url).port), '127.0.0.1', () => {
        socket.end(text)
      })
      let answer = ''
      socket.on('data', (chunk) => { answer += chunk })
      socket.on('close', () => {
        const status = Number(/^HTTP\/1\.1 (\d{3})/.exec(answer)?.[1] ?? 0)
        t.ok(status < 500, `raw request answered ${status || 'nothing'}: ${text.slice(0, 40).replace(/\r\n/g, '⏎')}`)
        count++
        resolve()
      })
      socket.on('error', () => undefined)
      socket.setTimeout(3000, () => socket.destroy())
    })
  }

  t.ok(count >= 1000, `${count} hostile requests sent; statuses ${JSON.stringify(Object.fromEntries(statuses))}`)
  t.same(await snapshot(), before, 'tenants, users, grants, registry, plugin data and metadata are unchanged')
  const newAudit = await knex('audit_log').where('seq', '>', auditBefore).distinct('action')
  // Refused sign-ins and token requests are audited, as is reading the exchange log out (an export changes nothing).
  const audited = new Set(['auth.sign-in-failed', 'auth.client-token-refused', 'exchange.log-exported'])
  t.same(newAudit.map((row) => row.action).filter((action) => !audited.has(action)), [], 'the audit log gained only refused sign-ins and token requests and exports, if anything')
  t.equal((await p.call('GET', '/api/v1/me', { token: admin })).status, 200, 'the platform still serves')
})
