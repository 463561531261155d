import t from 'tap'
import { request } from '../helpers/http.ts'
import { startPluginPlatform } from '../helpers/plugins.ts'
import { pluginEntries, tgz } from '../helpers/tgz.ts'

t.test('roles a plugin declares can be granted where it runs, and guard its routes', async (t) => {
  const p = await startPluginPlatform(t)
  const manifest = {
    name: '@hn/parking',
    version: '1.0.0',
    engine: '^1.0.0',
    main: 'index.js',
    roles: ['permit-officer'],
    routes: [{ method: 'GET', path: '/desk', handler: 'desk', access: 'permit-officer' }],
  }
  const uploaded = await request(p.url, 'POST', '/api/v1/registry/packages', { token: p.admin, raw: await tgz(pluginEntries(manifest, { 'index.js': 'export function desk (request) { return { desk: request.user.username } }' })), headers: { 'content-type': 'application/gzip' } })
  t.equal(uploaded.status, 201)
  await p.call('POST', '/api/v1/tenants/vn/users', { token: p.admin, body: { username: 'reviewer', password: 'reviewer-password', roles: ['platform-admin'] } })
  await p.call('POST', '/api/v1/registry/packages/hn/parking/versions/1.0.0/approve', { token: await p.signIn('reviewer', 'reviewer-password'), body: {} })
  await p.call('POST', '/api/v1/tenants/hn/children', { token: p.admin, body: { code: 'hn-ba-dinh', name: 'Ba Đình' } })
  await p.call('POST', '/api/v1/tenants/hn-ba-dinh/users', { token: p.admin, body: { username: 'clerk', password: 'clerk-password', roles: ['member'] } })
  await p.call('POST', '/api/v1/tenants/hcm/users', { token: p.admin, body: { username: 'hcm-clerk', password: 'hcm-clerk-password' } })

  const before = await p.call('POST', '/api/v1/tenants/hn-ba-dinh/grants', { token: p.admin, body: { username: 'clerk', role: 'permit-officer' } })
  t.equal(before.status, 422, 'no plugin declares the role there yet')
  t.equal(before.body.error.code, 'CORE_ERR_UNKNOWN_ROLE')

  await p.call('PUT', '/api/v1/tenants/hn/plugins/parking', { token: p.admin, body: { package: '@hn/parking', version: '1.0.0', inherit: true } })
  const clerk = await p.signIn('clerk', 'clerk-password')
  t.equal((await p.call('GET', '/t/hn-ba-dinh/parking/desk', { token: clerk })).status, 403, 'without the role, 403')
  t.equal((await p.call('POST', '/api/v1/tenants/hn-ba-dinh/grants', { token: p.admin, body: { username: 'clerk', role: 'permit-officer' } })).status, 201, 'granted where the plugin runs (inherited)')
  t.same((await p.call('GET', '/t/hn-ba-dinh/parking/desk', { token: clerk })).body, { desk: 'clerk' }, 'and it opens the route')
  const hcm = await p.call('POST', '/api/v1/tenants/hcm/grants', { token: p.admin, body: { username: 'hcm-clerk', role: 'permit-officer' } })
  t.equal(hcm.status, 422, 'not where the plugin does not run')
})
