import t from 'tap'
import { request } from '../helpers/http.ts'
import { startPluginPlatform } from '../helpers/plugins.ts'
import { pluginEntries, tgz } from '../helpers/tgz.ts'

t.test('secrets: set by a tenant-admin, sealed at rest, readable only by a plugin that declares them, never returned', async (t) => {
  const p = await startPluginPlatform(t)
  const manifest = {
    name: '@hn/lgsp-client',
    version: '1.0.0',
    engine: '^1.0.0',
    main: 'index.js',
    permissions: { secrets: ['API_KEY'] },
    routes: [{ method: 'GET', path: '/key', handler: 'key', access: 'public' }, { method: 'GET', path: '/other', handler: 'other', access: 'public' }],
  }
  const source = `import { secrets } from 'nentang:sdk'
export async function key () { return { key: await secrets.get('API_KEY') } }
export async function other () { try { return { other: await secrets.get('DB_PASSWORD') } } catch (error) { return { error: error.name } } }`
  const uploaded = await request(p.url, 'POST', '/api/v1/registry/packages', { token: p.admin, raw: await tgz(pluginEntries(manifest, { 'index.js': source })), headers: { 'content-type': 'application/gzip' } })
  t.equal(uploaded.status, 201)
  await p.call('POST', '/api/v1/tenants/vn/users', { token: p.admin, body: { username: 'reviewer', password: 'reviewer-password', roles: ['platform-admin'] } })
  await p.call('POST', '/api/v1/registry/packages/hn/lgsp-client/versions/1.0.0/approve', { token: await p.signIn('reviewer', 'reviewer-password'), body: {} })
  await p.call('PUT', '/api/v1/tenants/hn/plugins/lgsp', { token: p.admin, body: { package: '@hn/lgsp-client', version: '1.0.0' } })
  t.same((await p.call('GET', '/t/hn/lgsp/key')).body, { key: null }, 'declared but not set yet')

  t.equal((await p.call('PUT', '/api/v1/tenants/hn/plugins/lgsp/secrets/API_KEY', { token: p.admin, body: { value: 'sk-very-secret-42' } })).status, 204)
  t.same((await p.call('GET', '/t/hn/lgsp/key')).body, { key: 'sk-very-secret-42' }, 'the plugin reads it at once')
  await p.call('PUT', '/api/v1/tenants/hn/plugins/lgsp/secrets/DB_PASSWORD', { token: p.admin, body: { value: 'not for this plugin' } })
  t.same((await p.call('GET', '/t/hn/lgsp/other')).body, { error: 'PermissionDenied' }, 'an undeclared secret is refused')

  const listed = await p.call('GET', '/api/v1/tenants/hn/plugins/lgsp/secrets', { token: p.admin })
  t.same(listed.body.items.map((s: { name: string }) => s.name), ['API_KEY', 'DB_PASSWORD'])
  t.notMatch(JSON.stringify(listed.body), /sk-very-secret/, 'no API returns the value')
  const stored = await p.platform.services.db.knex('installation_secrets').select('sealed')
  t.notMatch(JSON.stringify(stored), /sk-very-secret/, 'the database holds it sealed')
  const audit = await p.platform.services.db.knex('audit_log').select('details', 'target')
  t.notMatch(JSON.stringify(audit), /sk-very-secret/, 'the audit log names it without its value')

  t.equal((await p.call('DELETE', '/api/v1/tenants/hn/plugins/lgsp/secrets/API_KEY', { token: p.admin })).status, 204)
  t.same((await p.call('GET', '/t/hn/lgsp/key')).body, { key: null }, 'removed')
})
