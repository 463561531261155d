import { randomBytes } from 'node:crypto'
import t from 'tap'
import { runCli } from '../helpers/cli.ts'
import { createTestDatabase } from '../helpers/database.ts'
import { request } from '../helpers/http.ts'
import { startNode } from '../helpers/process.ts'
import { publishFixture } from '../helpers/registry.ts'

const PASSWORD = 'an-admin-password-before-and-after'

/**
 * NENTANG_SECRET_KEY rotated under a running platform: `nentang rotate-secret` wraps the platform secret with the new
 * key; a node restarted with it keeps every session, sealed secret, signed package and the audit chain; the old key is
 * refused from then on.
 */
t.test('rotating NENTANG_SECRET_KEY signs nobody out and loses nothing; the old key no longer starts a node', async (t) => {
  const database = await createTestDatabase()
  t.teardown(() => database.drop())
  const oldKey = randomBytes(32).toString('hex')
  const newKey = randomBytes(32).toString('hex')
  const env = { NENTANG_DATABASE_URL: database.url, NENTANG_DATA_DIR: database.dir, NENTANG_ADMIN_PASSWORD: PASSWORD, NENTANG_WORKERS: '1' }
  const before = await startNode(t, [], { ...env, NENTANG_SECRET_KEY: oldKey })
  const at = (url: string) => ({
    url,
    call: (method: string, path: string, options = {}) => request(url, method, path, options),
    async signIn (username: string, password: string) { return (await request(url, 'POST', '/api/v1/auth/token', { body: { username, password } })).body.token as string },
  })
  const signedIn = (await request(before.url, 'POST', '/api/v1/auth/token', { body: { username: 'admin', password: PASSWORD } })).body as { token: string, refreshToken: string }
  const admin = signedIn.token
  t.equal((await request(before.url, 'POST', '/api/v1/tenants/vn/children', { token: admin, body: { code: 'hn', name: 'Thành phố Hà Nội' } })).status, 201)
  await publishFixture(at(before.url), admin, 'secret-reader')
  t.equal((await request(before.url, 'PUT', '/api/v1/tenants/hn/plugins/reader', { token: admin, body: { package: '@hn/secret-reader', version: '1.0.0' } })).status, 200)
  t.equal((await request(before.url, 'PUT', '/api/v1/tenants/hn/plugins/reader/secrets/API_KEY', { token: admin, body: { value: 'khoá-bí-mật-LGSP-42' } })).status, 204)
  t.same((await request(before.url, 'GET', '/t/hn/reader/key')).body, { key: 'khoá-bí-mật-LGSP-42' })

  const refused = await runCli(['rotate-secret'], { ...env, NENTANG_SECRET_KEY: oldKey, NENTANG_NEW_SECRET_KEY: 'short' })
  t.equal(refused.code, 2, 'a new key under 32 characters is refused')
  t.match(refused.stderr, /NENTANG_NEW_SECRET_KEY/)
  const rotated = await runCli(['rotate-secret'], { ...env, NENTANG_SECRET_KEY: oldKey, NENTANG_NEW_SECRET_KEY: newKey })
  t.equal(rotated.code, 0, rotated.stderr)
  t.equal((await request(before.url, 'GET', '/api/v1/me', { token: admin })).status, 200, 'the node still running goes on serving')
  before.child.kill('SIGTERM')
  t.equal(await before.exited, 0)

  const old = await runCli(['start', '--port', '0', '--host', '127.0.0.1'], { ...env, NENTANG_SECRET_KEY: oldKey })
  t.equal(old.code, 2, 'a node given the old key does not start')
  t.match(old.stderr, /NENTANG_SECRET_KEY does not open this database's platform secret: it was rotated/)

  const after = await startNode(t, [], { ...env, NENTANG_SECRET_KEY: newKey })
  t.equal((await request(after.url, 'GET', '/api/v1/me', { token: admin })).status, 200, 'a token issued before the rotation still works')
  const renewed = await request(after.url, 'POST', '/api/v1/auth/refresh', { body: { refreshToken: signedIn.refreshToken } })
  t.equal(renewed.status, 200, 'and the session renews')
  t.same((await request(after.url, 'GET', '/t/hn/reader/key')).body, { key: 'khoá-bí-mật-LGSP-42' }, 'the signed package serves, and its sealed secret opens')
  const verified = await runCli(['audit', 'verify'], { ...env, NENTANG_SECRET_KEY: newKey })
  t.equal(verified.code, 0, `the audit chain verifies across the rotation: ${verified.stdout}${verified.stderr}`)
  const audit = await request(after.url, 'GET', '/api/v1/tenants/vn/audit?action=platform.secret-rotated', { token: renewed.body.token })
  t.equal(audit.body.items?.length, 1, 'the rotation is in the audit log')
})
