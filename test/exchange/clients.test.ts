import { randomUUID } from 'node:crypto'
import { importPKCS8, SignJWT } from 'jose'
import t from 'tap'
import { startExchangePlatform } from '../helpers/exchange.ts'
import { request } from '../helpers/http.ts'
import { whileNeighbourServes } from '../helpers/neighbour.ts'

const form = (fields: Record<string, string>): string => new URLSearchParams(fields).toString()

t.test('a system registered at hn gets a token, reaches the route its role grants and nothing else, and loses it at once when disabled', async (t) => {
  const p = await startExchangePlatform(t)
  const created = await p.call('POST', '/api/v1/tenants/hn/clients', { token: p.admin, body: { name: 'Hệ thống một cửa Sở Tư pháp', roles: ['lgsp-client'] } })
  t.equal(created.status, 201)
  const { clientId, clientSecret } = created.body
  t.match(clientId, /^hn\.sys-[0-9a-f]{8}$/)
  t.match(clientSecret, /^[A-Za-z0-9_-]{43}$/)
  t.same(created.body.roles, ['lgsp-client'])

  const ask = (body: string, headers: Record<string, string> = {}): Promise<{ status: number, body: any }> =>
    request(p.url, 'POST', '/api/v1/auth/client-token', { raw: Buffer.from(body), headers: { 'content-type': 'application/x-www-form-urlencoded', ...headers } })
  const basic = `Basic ${Buffer.from(`${clientId}:${clientSecret}`).toString('base64')}`
  const issued = await ask(form({ grant_type: 'client_credentials' }), { authorization: basic })
  t.equal(issued.status, 200)
  t.match(issued.body, { token_type: 'Bearer', expires_in: 300 })
  const token = issued.body.access_token as string
  t.equal((await ask(form({ grant_type: 'client_credentials', client_id: clientId, client_secret: clientSecret }))).status, 200, 'client_secret_post too')

  const granted = await p.call('GET', '/t/hn/x/granted', { token })
  t.equal(granted.status, 200)
  t.same(granted.body, { caller: clientId, roles: ['lgsp-client'] }, 'the plugin sees the system as its caller')
  t.equal((await p.call('GET', '/t/hn/x/officers', { token })).status, 403, 'a route for another role')
  t.equal((await p.call('GET', '/t/hcm/hello/hello', { token })).status, 404, 'another unit\'s routes: nothing there for it')
  t.equal((await p.call('GET', '/api/v1/me', { token })).status, 401, 'the core API refuses a system\'s token')
  t.match((await p.call('GET', '/api/v1/tenants/hn/users', { token })).body.error.message, /client credentials/)
  t.equal((await p.call('POST', '/api/v1/auth/token', { body: { username: clientId, password: clientSecret } })).status, 401, 'no password sign-in')

  for (const [body, headers, why] of [
    [form({ grant_type: 'client_credentials' }), { authorization: `Basic ${Buffer.from(`${clientId}:sai`).toString('base64')}` }, 'a wrong secret'],
    [form({ grant_type: 'client_credentials', client_id: 'hn.sys-00000000', client_secret: clientSecret }), {}, 'an unknown client'],
    [form({ grant_type: 'client_credentials', client_id: 'admin', client_secret: 'admin-password-for-tests' }), {}, 'a person\'s username and password'],
    [form({ grant_type: 'client_credentials' }), { authorization: `Basic ${Buffer.from('%E0%A4%A:%ZZ').toString('base64')}` }, 'Basic credentials that do not decode'],
    [form({ grant_type: 'client_credentials' }), { authorization: `Basic ${Buffer.from(clientId).toString('base64')}` }, 'Basic without a colon'],
  ] as const) t.equal((await ask(body, headers)).status, 401, `refused: ${why}`)
  t.equal((await ask(form({ grant_type: 'password', username: 'admin', password: 'x' }))).status, 422, 'another grant type')
  t.equal((await request(p.url, 'POST', '/api/v1/auth/client-token', { body: { grant_type: 'client_credentials' } })).status, 415, 'JSON is not the token request\'s type')
  t.equal((await ask('grant_type=client_credentials&' + 'x='.repeat(10_000), { authorization: basic })).status, 413, 'a huge form')

  const listed = await p.call('GET', '/api/v1/tenants/hn/clients', { token: p.admin })
  t.same(listed.body.clients.map((one: { clientId: string }) => one.clientId), [clientId])
  t.notMatch(JSON.stringify(listed.body), clientSecret, 'the secret is shown only once')
  t.notMatch(JSON.stringify(await p.platform.services.db.knex('machine_clients').select()), clientSecret, 'and kept only as its hash')

  t.equal((await p.call('PATCH', `/api/v1/tenants/hn/clients/${clientId}`, { token: p.admin, body: { disabled: true } })).status, 200)
  t.equal((await p.call('GET', '/t/hn/x/granted', { token })).status, 401, 'its token is refused at once')
  t.equal((await ask(form({ grant_type: 'client_credentials' }), { authorization: basic })).status, 401, 'and it gets no new one')
  t.equal((await p.call('PATCH', `/api/v1/tenants/hn/clients/${clientId}`, { token: p.admin, body: { disabled: false } })).status, 200)
  const again = (await ask(form({ grant_type: 'client_credentials' }), { authorization: basic })).body.access_token
  t.equal((await p.call('GET', '/t/hn/x/granted', { token: again })).status, 200, 'enabled again')

  const renewed = await p.call('POST', `/api/v1/tenants/hn/clients/${clientId}/secret`, { token: p.admin })
  t.equal((await p.call('GET', '/t/hn/x/granted', { token: again })).status, 401, 'a new secret refuses the tokens the old one took')
  t.equal((await ask(form({ grant_type: 'client_credentials', client_id: clientId, client_secret: renewed.body.clientSecret }))).status, 200)

  const audit = (await p.call('GET', '/api/v1/tenants/hn/audit?limit=200', { token: p.admin })).body.items.map((one: { action: string }) => one.action)
  for (const action of ['client.create', 'auth.client-token', 'client.disable', 'client.secret-renewed']) t.ok(audit.includes(action), `audited: ${action}`)

  // Thirty token requests at once (all go: a secret is checked at once, no turn is held), then thirty with a wrong
  // secret, while hcm is served: none fails the node.
  const { statuses, result: burst } = await whileNeighbourServes(p, async () => ({
    good: await Promise.all(Array.from({ length: 30 }, () => ask(form({ grant_type: 'client_credentials' }), { authorization: `Basic ${Buffer.from(`${clientId}:${renewed.body.clientSecret}`).toString('base64')}` }))),
    bad: await Promise.all(Array.from({ length: 30 }, () => ask(form({ grant_type: 'client_credentials', client_id: clientId, client_secret: 'đoán-mò' })))),
  }))
  t.same(burst.good.map((one) => one.status), Array(30).fill(200), 'thirty tokens at once')
  t.ok(burst.bad.every((one) => one.status === 401 || one.status === 429), `wrong secrets refused or throttled: ${[...new Set(burst.bad.map((one) => one.status))].join(', ')}`)
  t.ok(statuses.every((s) => s === 200), `hcm kept answering (${statuses.length} requests)`)
})

t.test('a system with a certificate signs its token requests; a replayed or foreign assertion is refused; roles are checked', async (t) => {
  const p = await startExchangePlatform(t)
  const created = await p.call('POST', '/api/v1/tenants/hn/clients', { token: p.admin, body: { name: 'LGSP Hà Nội', roles: ['lgsp-client'], certificate: p.sim.pki.clientCertificate } })
  t.equal(created.status, 201)
  t.equal(created.body.clientSecret, undefined, 'no secret for a certificate client')
  t.equal(created.body.auth, 'certificate')
  const key = await importPKCS8(p.sim.pki.clientKey, 'ES256')
  const assertion = (claims: Record<string, unknown> = {}): Promise<string> => new SignJWT({ ...claims }).setProtectedHeader({ alg: 'ES256' })
    .setIssuer(created.body.clientId).setSubject(created.body.clientId).setAudience(`${p.url}/api/v1/auth/client-token`).setJti(randomUUID()).setIssuedAt().setExpirationTime('2m').sign(key)
  const ask = (jwt: string): Promise<{ status: number, body: any }> => request(p.url, 'POST', '/api/v1/auth/client-token', {
    raw: Buffer.from(form({ grant_type: 'client_credentials', client_id: created.body.clientId, client_assertion_type: 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer', client_assertion: jwt })),
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
  })
  const jwt = await assertion()
  const issued = await ask(jwt)
  t.equal(issued.status, 200)
  t.equal((await p.call('GET', '/t/hn/x/granted', { token: issued.body.access_token })).status, 200)
  t.equal((await ask(jwt)).status, 401, 'an assertion is used once')
  const { privateKey } = await import('node:crypto').then((crypto) => crypto.generateKeyPairSync('ec', { namedCurve: 'P-256' }))
  const foreign = await new SignJWT({}).setProtectedHeader({ alg: 'ES256' }).setIssuer(created.body.clientId).setSubject(created.body.clientId)
    .setAudience(`${p.url}/api/v1/auth/client-token`).setJti(randomUUID()).setIssuedAt().setExpirationTime('2m').sign(privateKey)
  t.equal((await ask(foreign)).status, 401, 'signed by another key')
  t.equal((await ask(await new SignJWT({}).setProtectedHeader({ alg: 'ES256' }).setIssuer(created.body.clientId).setSubject(created.body.clientId)
    .setAudience('https://other.example/token').setJti(randomUUID()).setIssuedAt().setExpirationTime('2m').sign(key))).status, 401, 'for another token endpoint')

  for (const [body, status, why] of [
    [{ name: 'x', roles: ['tenant-admin'] }, 422, 'an administrator role'],
    [{ name: 'x', roles: ['developer'] }, 422, 'developer'],
    [{ name: 'x', roles: ['no-such-role'] }, 422, 'an unknown role'],
    [{ name: 'x', roles: ['lgsp-client'], certificate: '-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----' }, 422, 'a broken certificate'],
  ] as const) t.equal((await p.call('POST', '/api/v1/tenants/hn/clients', { token: p.admin, body })).status, status, `refused: ${why}`)
  await p.call('POST', '/api/v1/tenants/hn/users', { token: p.admin, body: { username: 'quan-tri-hn', password: 'mật-khẩu-quản-trị-hn', roles: ['tenant-admin'] } })
  const hnAdmin = await p.signIn('quan-tri-hn', 'mật-khẩu-quản-trị-hn')
  t.equal((await p.call('POST', '/api/v1/tenants/hcm/clients', { token: hnAdmin, body: { name: 'x', roles: ['member'] } })).status, 404, 'another unit is out of reach')
  t.equal((await p.call('GET', '/api/v1/tenants/hcm/clients', { token: hnAdmin })).status, 404)
})
