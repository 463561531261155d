import t from 'tap'
import { requestHash, responseHash } from '../../examples/lgsp-simulator/simulator.ts'
import { startExchangePlatform } from '../helpers/exchange.ts'
import { whileNeighbourServes } from '../helpers/neighbour.ts'

t.test('a plugin calls the LGSP with each kind of authentication, over real HTTP and mutual TLS; no secret shows anywhere', async (t) => {
  const p = await startExchangePlatform(t)
  const { sim } = p
  const secrets = [sim.credentials.bearerToken, sim.credentials.oauth.clientSecret, sim.credentials.lgsp.secretKey, sim.credentials.portal.password, sim.pki.clientKey.split('\n')[1]!]
  await p.endpoint('echo', { baseUrl: sim.url, auth: { kind: 'none' }, allowPrivate: true })
  await p.endpoint('bearer', { baseUrl: `${sim.url}/bearer`, auth: { kind: 'bearer', token: sim.credentials.bearerToken }, allowPrivate: true })
  await p.endpoint('oauth', {
    baseUrl: `${sim.url}/oauth-api`,
    auth: { kind: 'oauth2', tokenUrl: `${sim.url}/oauth/token`, clientId: sim.credentials.oauth.clientId, clientSecret: sim.credentials.oauth.clientSecret },
    allowPrivate: true,
  })
  await p.endpoint('lgsp', {
    baseUrl: `${sim.url}/lgsp`,
    auth: { kind: 'hmac', appName: sim.credentials.lgsp.appName, accessKey: sim.credentials.lgsp.accessKey, secretKey: sim.credentials.lgsp.secretKey },
    allowPrivate: true,
  })
  await p.endpoint('portal', {
    baseUrl: `${sim.url}/portal`,
    auth: { kind: 'session', loginPath: '/login', username: sim.credentials.portal.username, password: sim.credentials.portal.password },
    allowPrivate: true,
  })
  await p.endpoint('mtls', { baseUrl: sim.mtlsUrl, auth: { kind: 'mtls', certificate: sim.pki.clientCertificate, key: sim.pki.clientKey }, ca: sim.pki.ca, allowPrivate: true })

  const { statuses, result } = await whileNeighbourServes(p, async () => {
    const answers: Record<string, { status: number, body: any }> & Record<'echo' | 'bearer' | 'portal' | 'portalAgain' | 'mtls', { status: number, body: any }> = {} as never
    answers.echo = await p.exchange('echo', { path: '/echo/hồ-sơ', query: { hoTen: 'Nguyễn Văn An', nam: 2026 } })
    answers.bearer = await p.exchange('bearer', { path: '/ho-so/HS-001' })
    answers.oauth = await p.exchange('oauth', { path: '/ho-so' })
    answers.oauthAgain = await p.exchange('oauth', { path: '/ho-so' })
    answers.lgsp = await p.exchange('lgsp', { method: 'POST', path: '/cong-dan/tra-cuu', json: { soDinhDanh: '001090000001', hoTen: 'Nguyễn Văn An' } })
    answers.portal = await p.exchange('portal', { method: 'POST', path: '/DongBoHoSoMC', json: { MaHoSo: 'HS-001', TrangThaiHoSo: 1, NgayTiepNhan: '20261204093000' } })
    answers.portalAgain = await p.exchange('portal', { method: 'POST', path: '/CapNhatTienDoHoSoMC', json: { MaHoSo: 'HS-001', TrangThaiHoSo: 2 } })
    answers.mtls = await p.exchange('mtls', { path: '/lien-thong' }, { headers: { 'x-correlation-id': 'lien-thong-2026-0001' } })
    return answers
  })
  t.ok(statuses.every((s) => s === 200), `hcm kept answering (${statuses.length} requests)`)

  t.equal(result.echo.body.status, 200)
  t.equal(result.echo.body.json.target, '/echo/h%E1%BB%93-s%C6%A1?hoTen=Nguy%E1%BB%85n+V%C4%83n+An&nam=2026', 'Vietnamese path and query arrive encoded')
  for (const name of ['bearer', 'oauth', 'oauthAgain', 'lgsp', 'mtls']) t.equal(result[name]!.body.status, 200, `${name}: the simulator accepted the credentials`)
  t.equal(sim.issued.tokens, 1, 'one OAuth2 token served both calls')
  t.same([result.portal.body.json, result.portalAgain.body.json], [{ error_code: '00', message: 'Thành công' }, { error_code: '00', message: 'Thành công' }])
  t.equal(sim.issued.sessions, 1, 'one portal login served both calls')
  t.same(sim.portal.get('HS-001')?.statuses, [1, 2])
  t.equal(result.mtls.body.json.clientCertificate, 'UBND TP Ha Noi', 'the simulator saw the unit\'s client certificate')
  t.equal(result.mtls.body.correlationId, 'lien-thong-2026-0001', 'the inbound X-Correlation-Id went on')
  t.equal(result.mtls.body.json.correlationId, 'lien-thong-2026-0001')
  t.match(result.bearer.body.correlationId, /\S/, 'a call without one carries the request id')

  // The exchange log: one entry per call, its hashes recomputed from what the simulator saw.
  const log = (await p.call('GET', '/api/v1/tenants/hn/exchange-log?limit=500', { token: p.admin })).body.items as Array<Record<string, any>>
  t.equal(log.length, 8)
  const seen = sim.seen.filter((one) => !['/oauth/token', '/portal/login'].includes(one.target))
  t.equal(seen.length, 8, 'the token and login calls are the credentials\', not the plugin\'s')
  for (const entry of log) {
    const match = seen.find((one) => one.headers['x-correlation-id'] === entry.correlationId)
    t.ok(match !== undefined, `${entry.endpoint} ${entry.target}: the request hash is the simulator's`)
    t.equal(entry.responseHash, match?.responseHash, `${entry.endpoint}: the response hash is the simulator's`)
    t.equal(requestHash(match!.method, match!.target, match!.body), entry.requestHash)
    t.equal(responseHash(match!.status, match!.responseBody), entry.responseHash)
    t.equal(entry.outcome, 'ok')
    t.equal(entry.requestBody, null, 'bodies are not kept unless the endpoint says so')
  }
  t.same((await p.call('GET', '/api/v1/tenants/hn/exchange-log/verification', { token: p.admin })).body, { ok: true, entries: 8 })
  t.equal((await p.call('GET', '/api/v1/tenants/hn/exchange-log?correlationId=lien-thong-2026-0001', { token: p.admin })).body.items.length, 1, 'searchable by correlation id')
  const { knex } = p.platform.services.db
  await t.rejects(knex('exchange_log').where({ seq: 2 }).update({ status: 500 }), 'the log refuses updates')
  await t.rejects(knex('exchange_log').where({ seq: 2 }).delete(), 'and deletes')

  // The key left out is kept; the CA set to null is gone, and the simulator's certificate is no longer trusted.
  await p.endpoint('mtls', { baseUrl: sim.mtlsUrl, auth: { kind: 'mtls', certificate: sim.pki.clientCertificate }, ca: null, allowPrivate: true })
  const untrusted = await p.exchange('mtls', { path: '/lien-thong' })
  t.equal(untrusted.body.code, 'EXCH_ERR_UNREACHABLE', 'without its private CA the server is not trusted')
  await p.endpoint('mtls', { baseUrl: sim.mtlsUrl, auth: { kind: 'mtls', certificate: sim.pki.clientCertificate }, ca: sim.pki.ca, allowPrivate: true })
  t.equal((await p.exchange('mtls', { path: '/lien-thong' })).body.json.clientCertificate, 'UBND TP Ha Noi', 'the key kept when left out')

  // A wrong credential: refused upstream, and the error names no secret either.
  await p.endpoint('oauth', { baseUrl: `${sim.url}/oauth-api`, auth: { kind: 'oauth2', tokenUrl: `${sim.url}/oauth/token`, clientId: sim.credentials.oauth.clientId, clientSecret: 'sai-mat-khau' }, allowPrivate: true })
  const refused = await p.exchange('oauth', { path: '/ho-so' })
  t.equal(refused.body.code, 'EXCH_ERR_AUTH_FAILED')
  const raw = await p.exchange('oauth', { path: '/ho-so' }, { raw: true })
  t.equal(raw.status, 502)
  t.equal(raw.body.error.code, 'EXCH_ERR_AUTH_FAILED', 'uncaught, the route answers with the exchange\'s code')

  // Everything an administrator or an operator can read: API answers, the CSV, the audit log, the platform's log.
  const everything = JSON.stringify([
    (await p.call('GET', '/api/v1/tenants/hn/plugins/x/endpoints', { token: p.admin })).body,
    (await p.call('GET', '/api/v1/tenants/hn/exchange-log?limit=500', { token: p.admin })).body,
    (await p.call('GET', '/api/v1/tenants/hn/exchange-log/export', { token: p.admin })).body,
    (await p.call('GET', '/api/v1/tenants/hn/audit?limit=200', { token: p.admin })).body,
    await p.platform.services.db.knex('exchange_endpoints').select(),
    await p.platform.services.db.knex('exchange_log').select(),
    result, refused.body, raw.body, p.lines,
  ])
  for (const secret of secrets) t.notOk(everything.includes(secret), `the secret ${secret.slice(0, 4)}… appears nowhere`)
  const endpoints = (await p.call('GET', '/api/v1/tenants/hn/plugins/x/endpoints', { token: p.admin })).body.endpoints
  t.same(endpoints.find((one: { name: string }) => one.name === 'lgsp').auth.secretsSet, ['secretKey'], 'secrets are named, never shown')
})

t.test('an endpoint reaches a private address only when a platform-admin allows it; a tenant-admin cannot', async (t) => {
  const p = await startExchangePlatform(t)
  await p.call('POST', '/api/v1/tenants/hn/users', { token: p.admin, body: { username: 'quan-tri-hn', password: 'mật-khẩu-quản-trị-hn', displayName: 'Quản trị Hà Nội', roles: ['tenant-admin'] } })
  const hnAdmin = await p.signIn('quan-tri-hn', 'mật-khẩu-quản-trị-hn')
  const set = (body: Record<string, unknown>, token = hnAdmin): Promise<{ status: number, body: any }> => p.call('PUT', '/api/v1/tenants/hn/plugins/x/endpoints/echo', { token, body })
  const denied = await set({ baseUrl: p.sim.url, auth: { kind: 'none' }, allowPrivate: true })
  t.equal(denied.status, 403)
  t.equal(denied.body.error.field, 'allowPrivate')
  t.equal((await set({ baseUrl: p.sim.url, auth: { kind: 'none' } })).status, 201, 'set without it')
  const blocked = await p.exchange('echo', { path: '/echo/x' })
  t.equal(blocked.body.code, 'EXCH_ERR_UNREACHABLE')
  t.match(blocked.body.message, /a loopback, link-local or private address; a platform administrator must allow it/)
  t.equal(p.sim.seen.length, 0, 'nothing reached the simulator')

  t.equal((await set({ baseUrl: p.sim.url, auth: { kind: 'none' }, allowPrivate: true }, p.admin)).status, 200, 'the platform-admin allows it')
  t.equal((await p.exchange('echo', { path: '/echo/x' })).body.status, 200)
  t.equal((await set({ baseUrl: p.sim.url, auth: { kind: 'none' }, timeoutMs: 2000 })).body.allowPrivate, true, 'kept while the host is the same')
  const moved = await set({ baseUrl: 'http://169.254.169.254/latest', auth: { kind: 'none' } })
  t.equal(moved.body.allowPrivate, false, 'pointing it elsewhere drops the permission')
  t.equal((await p.exchange('echo', { path: '/meta-data' })).body.code, 'EXCH_ERR_UNREACHABLE', 'the metadata address stays out of reach')

  // Malformed settings: each refused with its field, nothing stored.
  for (const [body, field] of [
    [{ baseUrl: 'ftp://lgsp.example/x', auth: { kind: 'none' } }, 'baseUrl'],
    [{ baseUrl: 'http://[::1', auth: { kind: 'none' } }, 'baseUrl'],
    [{ baseUrl: 'https://lgsp.example', auth: { kind: 'oauth2', tokenUrl: 'http://[bad', clientId: 'x', clientSecret: 'y' } }, 'auth/tokenUrl'],
    [{ baseUrl: 'https://user:pw@lgsp.example', auth: { kind: 'none' } }, 'baseUrl'],
    [{ baseUrl: 'https://lgsp.example', auth: { kind: 'oauth2', tokenUrl: 'https://lgsp.example/token' } }, 'auth/clientId'],
    [{ baseUrl: 'http://lgsp.example', auth: { kind: 'mtls', certificate: p.sim.pki.clientCertificate, key: p.sim.pki.clientKey } }, 'baseUrl'],
    [{ baseUrl: 'https://lgsp.example', auth: { kind: 'bearer', token: 'x', password: 'y' } }, 'auth/password'],
    [{ baseUrl: 'https://lgsp.example', auth: { kind: 'none' }, timeoutMs: 10 }, 'timeoutMs'],
  ] as const) {
    const answer = await set(body as Record<string, unknown>)
    t.equal(answer.status, 422, `${JSON.stringify(body).slice(0, 80)} refused`)
    t.equal(answer.body.error.field, field)
  }
  t.equal((await p.call('PUT', '/api/v1/tenants/hcm/plugins/x/endpoints/echo', { token: hnAdmin, body: { baseUrl: 'https://a.example', auth: { kind: 'none' } } })).status, 404, 'another unit is not in reach')
  t.equal((await p.call('PUT', '/api/v1/tenants/hn/plugins/nothing/endpoints/echo', { token: hnAdmin, body: { baseUrl: 'https://a.example', auth: { kind: 'none' } } })).status, 404, 'nothing installed there')
})

t.test('a call through an endpoint nobody configured, or one the manifest does not name, fails with its code', async (t) => {
  const p = await startExchangePlatform(t)
  const missing = await p.exchange('plain', { path: '/x' })
  t.equal(missing.body.code, 'EXCH_ERR_NOT_CONFIGURED')
  const raw = await p.exchange('plain', { path: '/x' }, { raw: true })
  t.equal(raw.status, 503)
  t.equal(raw.body.error.code, 'EXCH_ERR_NOT_CONFIGURED')
  t.equal((await p.exchange('unlisted', { path: '/x' })).body.error, 'PermissionDenied')
  for (const [request, why] of [
    [{ path: '/../admin' }, 'a parent segment'],
    [{ path: '//evil.example/x' }, 'another host'],
    [{ path: '/x?y=1' }, 'a query in the path'],
    [{ path: '/%2e%2e/x' }, 'an encoded parent'],
    [{ path: '/x', headers: { Authorization: 'Bearer stolen' } }, 'its own credentials'],
    [{ path: '/x', headers: { 'x-correlation-id': 'forged' } }, 'the correlation id'],
    [{ path: '/x', json: {}, body: 'both' }, 'json and body'],
    [{ path: '/x', repeat: 1024 * 1024 + 1 }, 'a body over 1 MiB'],
  ] as const) {
    const answer = await p.exchange('echo', request as Record<string, unknown>)
    t.match(answer.body.error, /InvalidArgument|PermissionDenied/, `refused: ${why}`)
  }
})
