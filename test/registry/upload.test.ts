import t from 'tap'
import { request } from '../helpers/http.ts'
import { examples, startPluginPlatform } from '../helpers/plugins.ts'
import { folderEntries, tgz } from '../helpers/tgz.ts'

t.test('upload: scope, immutability, hostile packages, automated checks, visibility', async (t) => {
  const p = await startPluginPlatform(t)
  await p.call('POST', '/api/v1/tenants/hn/users', { token: p.admin, body: { username: 'hn-dev', password: 'hn-dev-password', roles: ['developer'] } })
  await p.call('POST', '/api/v1/tenants/hcm/users', { token: p.admin, body: { username: 'hcm-user', password: 'hcm-user-password', roles: ['member'] } })
  const dev = await p.signIn('hn-dev', 'hn-dev-password')
  const hcmUser = await p.signIn('hcm-user', 'hcm-user-password')
  const upload = async (bytes: Buffer, token = dev, type = 'application/gzip') => request(p.url, 'POST', '/api/v1/registry/packages', { token, raw: bytes, headers: { 'content-type': type } })
  const permits = `${examples}permits`

  const created = await upload(await tgz(folderEntries(permits)))
  t.equal(created.status, 201)
  t.match(created.body, { name: '@hn/permits', version: '1.0.0', status: 'pending', sha256: /^[0-9a-f]{64}$/ })
  t.same(created.body.checks.map((c: { id: string, ok: boolean }) => [c.id, c.ok]), [['manifest', true], ['engine', true], ['handlers', true], ['access', true], ['permissions', true], ['new-permissions', true]])
  t.match(created.body.checks.find((c: { id: string }) => c.id === 'permissions').message, /storage/)
  const { supervisor } = p.platform.services.plugins
  t.same([supervisor.pids('check').length, supervisor.pids('tenant').length], [1, 0], 'unreviewed code was loaded in the check worker, never in a tenant worker')

  const otherScope = await upload(await tgz(folderEntries(permits, (m) => ({ ...m, name: '@hcm/permits' }))))
  t.equal(otherScope.status, 403, 'an upload under @hcm is refused')
  t.equal(otherScope.body.error.code, 'REG_ERR_SCOPE_FORBIDDEN')
  const again = await upload(await tgz(folderEntries(permits)))
  t.equal(again.status, 409, 'the same version again')
  t.equal(again.body.error.code, 'REG_ERR_VERSION_EXISTS')
  const malformed = await upload(await tgz(folderEntries(permits, (m) => ({ ...m, version: '1.0.1', routes: [{ method: 'GET', path: 'no-slash', handler: 'x' }] }))))
  t.equal(malformed.status, 422)
  t.equal(malformed.body.error.code, 'REG_ERR_MANIFEST_INVALID')
  t.equal(malformed.body.error.field, 'routes/0/path', 'naming the path')
  const traversal = await upload(await tgz([...folderEntries(permits, (m) => ({ ...m, version: '1.0.2' })), { name: '../x', content: 'x' }]))
  t.equal(traversal.status, 422)
  t.equal(traversal.body.error.field, '../x')
  const link = await upload(await tgz([...folderEntries(permits, (m) => ({ ...m, version: '1.0.3' })), { name: 'passwd', type: 'symlink', linkname: '/etc/passwd' }]))
  t.equal(link.status, 422)
  t.match(link.body.error.message, /symlink/)
  // A key or a database that slipped into a package is refused by the registry too, whatever it is called.
  const leaked = await upload(await tgz([...folderEntries(permits, (m) => ({ ...m, version: '1.0.4' })), { name: 'lib/config.js', content: '// -----BEGIN EC PRIVATE KEY-----\nMHcCAQEE\n' }, { name: 'data/secret.key', content: 'a'.repeat(64) }]))
  t.equal(leaked.status, 422)
  t.match(leaked.body.error, { code: 'REG_ERR_PACKAGE_INVALID', field: 'lib/config.js', message: /'lib\/config\.js' \(it holds a private key\); 'data\/secret\.key' \(its name[^)]*\)/ })
  t.equal((await upload(Buffer.from('{}'), dev, 'application/json')).status, 415)

  const missing = await upload(await tgz(folderEntries(permits, (m) => ({ ...m, version: '1.1.0', routes: [...(m.routes as unknown[]), { method: 'GET', path: '/nothing', handler: 'notExported' }], permissions: { storage: true, secrets: ['API_KEY'] } }))))
  t.equal(missing.status, 201, 'a package with problems is still recorded, for the reviewer to see')
  const handlers = missing.body.checks.find((c: { id: string }) => c.id === 'handlers')
  t.same([handlers.ok, handlers.details.missing], [false, ['notExported']])

  const pending = await request(p.url, 'GET', '/api/v1/registry/packages?status=pending', { token: dev })
  t.same(pending.body.items.map((e: { version: string }) => e.version), ['1.1.0', '1.0.0'])
  t.same((await request(p.url, 'GET', '/api/v1/registry/packages', { token: hcmUser })).body.items.map((e: { name: string }) => e.name).sort(), ['@vn/notices', '@vn/portal-sync', '@vn/procedures'], "hcm sees the public first-party plugins, nothing of hn's private, unreviewed packages")
  const detail = await request(p.url, 'GET', '/api/v1/registry/packages/hn/permits/versions/1.0.0', { token: p.admin })
  t.equal(detail.body.manifest.main, 'index.js')
  for (const path of ['/api/v1/registry/packages/@hn/permits/versions/1.0.0', '/api/v1/registry/packages/%40hn/permits/versions/1.0.0']) {
    t.same((await request(p.url, 'GET', path, { token: p.admin })).body, detail.body, `the package's own name in the path: ${path}`)
  }
  t.equal((await request(p.url, 'GET', '/api/v1/registry/packages/@@hn/permits/versions/1.0.0', { token: p.admin })).status, 404, 'one @, no more')
  t.equal((await request(p.url, 'GET', '/api/v1/registry/packages/hn/permits/versions/1.0.0', { token: hcmUser })).status, 404)
  t.equal((await request(p.url, 'GET', '/api/v1/schemas/plugin.json')).body.title, 'nentang plugin manifest')

  const audit = await p.platform.services.db.knex('audit_log').where({ action: 'registry.upload' }).select('target')
  t.same(audit.map((a) => a.target), ['@hn/permits@1.0.0', '@hn/permits@1.1.0'], 'uploads are audited')
})
