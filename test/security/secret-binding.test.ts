import t from 'tap'
import { whileNeighbourServes } from '../helpers/neighbour.ts'
import { startPluginPlatform } from '../helpers/plugins.ts'
import { publishFixture } from '../helpers/registry.ts'
import { pluginEntries, tgz } from '../helpers/tgz.ts'

/** Two packages asking for the same secret name: an LGSP client, and another that would like its key. */
const reader = (name: string) => ({
  manifest: { name, version: '1.0.0', engine: '^1.0.0', main: 'index.js', permissions: { secrets: ['API_KEY'] }, routes: [{ method: 'GET', path: '/key', handler: 'key', access: 'public' }] },
  source: 'import { secrets } from \'nentang:sdk\'\nexport async function key () { return { key: await secrets.get(\'API_KEY\') } }',
})

t.test('a mount\'s secrets go with the package they were set for: not to another package put there, not past an uninstall', async (t) => {
  const p = await startPluginPlatform(t)
  await p.call('POST', '/api/v1/tenants/vn/users', { token: p.admin, body: { username: 'reviewer', password: 'reviewer-password', roles: ['platform-admin'] } })
  const reviewer = await p.signIn('reviewer', 'reviewer-password')
  for (const name of ['@hn/lgsp-client', '@hn/curious']) {
    const { manifest, source } = reader(name)
    t.equal((await p.call('POST', '/api/v1/registry/packages', { token: p.admin, raw: await tgz(pluginEntries(manifest, { 'index.js': source })), headers: { 'content-type': 'application/gzip' } })).status, 201)
    t.equal((await p.call('POST', `/api/v1/registry/packages/hn/${name.split('/')[1]}/versions/1.0.0/approve`, { token: reviewer, body: {} })).status, 200)
  }
  const install = (name: string) => p.call('PUT', '/api/v1/tenants/hn/plugins/lgsp', { token: p.admin, body: { package: name, version: '1.0.0' } })
  t.equal((await install('@hn/lgsp-client')).status, 200)
  t.equal((await p.call('PUT', '/api/v1/tenants/hn/plugins/lgsp/secrets/API_KEY', { token: p.admin, body: { value: 'khóa-bí-mật-42' } })).status, 204)
  t.same((await p.call('GET', '/t/hn/lgsp/key')).body, { key: 'khóa-bí-mật-42' })

  const { statuses, result: switched } = await whileNeighbourServes(p, () => install('@hn/curious'))
  t.equal(switched.status, 200)
  t.ok(statuses.every((s) => s === 200), 'hcm kept answering')
  t.same((await p.call('GET', '/t/hn/lgsp/key')).body, { key: null }, 'another package at the mount does not get the key')
  t.same((await p.call('GET', '/api/v1/tenants/hn/plugins/lgsp/secrets', { token: p.admin })).body.items, [], 'it was deleted')

  t.equal((await install('@hn/lgsp-client')).status, 200)
  await p.call('PUT', '/api/v1/tenants/hn/plugins/lgsp/secrets/API_KEY', { token: p.admin, body: { value: 'khóa-mới' } })
  t.equal((await p.call('DELETE', '/api/v1/tenants/hn/plugins/lgsp', { token: p.admin })).status, 204)
  t.equal((await install('@hn/lgsp-client')).status, 200)
  t.same((await p.call('GET', '/t/hn/lgsp/key')).body, { key: null }, 'an uninstall deletes them: a reinstall starts clean')
  const audit = await p.platform.services.db.knex('audit_log').where({ action: 'plugin.uninstall' }).first('details')
  t.match(JSON.parse(audit.details), { secretsDeleted: 1 }, 'and the audit log says so')
})

t.test('a commune that inherits a plugin may set its own secret, which it alone uses; the others keep the province\'s', async (t) => {
  const p = await startPluginPlatform(t)
  for (const code of ['hn-ba-dinh', 'hn-hoan-kiem']) await p.call('POST', '/api/v1/tenants/hn/children', { token: p.admin, body: { code, name: code } })
  await publishFixture(p, p.admin, 'secret-reader')
  t.equal((await p.call('PUT', '/api/v1/tenants/hn/plugins/lgsp', { token: p.admin, body: { package: '@hn/secret-reader', version: '1.0.0', inherit: true } })).status, 200)
  t.equal((await p.call('PUT', '/api/v1/tenants/hn/plugins/lgsp/secrets/API_KEY', { token: p.admin, body: { value: 'khoá-của-tỉnh' } })).status, 204)
  const key = async (tenant: string): Promise<unknown> => (await p.call('GET', `/t/${tenant}/lgsp/key`)).body.key
  t.equal(await key('hn-ba-dinh'), 'khoá-của-tỉnh', 'inherited with the province\'s key')
  t.equal((await p.call('PUT', '/api/v1/tenants/hn-ba-dinh/plugins/lgsp/secrets/API_KEY', { token: p.admin, body: { value: 'khoá-của-phường' } })).status, 204)
  t.equal(await key('hn-ba-dinh'), 'khoá-của-phường', 'the commune\'s own key, at once')
  t.equal(await key('hn-hoan-kiem'), 'khoá-của-tỉnh', 'its sibling keeps the province\'s')
  t.equal(await key('hn'), 'khoá-của-tỉnh', 'and so does the province')
  t.equal((await p.call('DELETE', '/api/v1/tenants/hn-ba-dinh/plugins/lgsp/secrets/API_KEY', { token: p.admin })).status, 204)
  t.equal(await key('hn-ba-dinh'), 'khoá-của-tỉnh', 'removed, the province\'s again')
})
