import t from 'tap'
import { request } from '../helpers/http.ts'
import { startPluginPlatform, type PluginPlatform } from '../helpers/plugins.ts'
import { helloPackage } from '../helpers/tgz.ts'

async function publishAndApprove (p: PluginPlatform, dev: string, reviewer: string, version: string, visibility?: string): Promise<void> {
  const uploaded = await request(p.url, 'POST', '/api/v1/registry/packages', { token: dev, raw: await helloPackage(version, visibility), headers: { 'content-type': 'application/gzip' } })
  if (uploaded.status !== 201) throw new Error(`upload ${version}: ${JSON.stringify(uploaded.body)}`)
  const approved = await p.call('POST', `/api/v1/registry/packages/hn/hello/versions/${version}/approve`, { token: reviewer, body: {} })
  if (approved.status !== 200) throw new Error(`approve ${version}: ${JSON.stringify(approved.body)}`)
}

async function setUp (t: Parameters<typeof startPluginPlatform>[0]) {
  const p = await startPluginPlatform(t)
  await p.call('POST', '/api/v1/tenants/hn/users', { token: p.admin, body: { username: 'hn-dev', password: 'hn-dev-password', roles: ['developer'] } })
  const dev = await p.signIn('hn-dev', 'hn-dev-password')
  return { p, dev, reviewer: p.admin }
}

t.test('install with inherit, visibility, switch and roll back, uninstall', async (t) => {
  const { p, dev, reviewer } = await setUp(t)
  await publishAndApprove(p, dev, reviewer, '1.0.0')
  await publishAndApprove(p, dev, reviewer, '1.1.0')

  const installed = await p.call('PUT', '/api/v1/tenants/hn/plugins/hello', { token: p.admin, body: { package: '@hn/hello', version: '1.0.0', inherit: true } })
  t.equal(installed.status, 200)
  t.match(installed.body, { mount: 'hello', package: '@hn/hello', version: '1.0.0', inherit: true })
  t.match((await p.call('GET', '/t/hn/hello/hello')).body, { version: '1.0.0', tenant: 'hn' })

  // A commune created after the installation serves it on its first request.
  t.equal((await p.call('POST', '/api/v1/tenants/hn/children', { token: p.admin, body: { code: 'hn-ba-dinh', name: 'Ba Đình' } })).status, 201)
  t.match((await p.call('GET', '/t/hn-ba-dinh/hello/hello')).body, { version: '1.0.0', tenant: 'hn-ba-dinh' }, 'inherited by a new commune at once')

  const hcm = await p.call('PUT', '/api/v1/tenants/hcm/plugins/hello', { token: p.admin, body: { package: '@hn/hello', version: '1.0.0' } })
  t.equal(hcm.status, 404, "hcm cannot install hn's private package")
  t.equal(hcm.body.error.code, 'REG_ERR_NOT_INSTALLABLE')
  await request(p.url, 'POST', '/api/v1/registry/packages', { token: dev, raw: await helloPackage('2.0.0'), headers: { 'content-type': 'application/gzip' } })
  const pending = await p.call('PUT', '/api/v1/tenants/hn/plugins/hello', { token: p.admin, body: { package: '@hn/hello', version: '2.0.0' } })
  t.equal(pending.body.error.code, 'REG_ERR_NOT_APPROVED', 'a pending version cannot be installed')

  t.equal((await p.call('PUT', '/api/v1/tenants/hn/plugins/hello', { token: p.admin, body: { package: '@hn/hello', version: '1.1.0', inherit: true } })).status, 200)
  t.match((await p.call('GET', '/t/hn/hello/hello')).body, { version: '1.1.0' }, 'switched')
  t.match((await p.call('GET', '/t/hn-ba-dinh/hello/hello')).body, { version: '1.1.0' }, 'and the commune follows')
  await p.call('PUT', '/api/v1/tenants/hn/plugins/hello', { token: p.admin, body: { package: '@hn/hello', version: '1.0.0', inherit: true } })
  t.match((await p.call('GET', '/t/hn/hello/hello')).body, { version: '1.0.0' }, 'rolled back by installing the previous version')

  const listed = await p.call('GET', '/api/v1/tenants/hn/plugins', { token: p.admin })
  t.same(listed.body.items.map((i: { mount: string, version: string }) => `${i.mount}:${i.version}`), ['hello:1.0.0'])
  t.equal((await p.call('DELETE', '/api/v1/tenants/hn/plugins/hello', { token: p.admin })).status, 204)
  t.equal((await p.call('GET', '/t/hn/hello/hello')).status, 404, 'uninstalled')
  t.equal((await p.call('GET', '/t/hn-ba-dinh/hello/hello')).status, 404, 'and gone from the commune too')
})

t.test('a revoked version answers 410', async (t) => {
  const { p, dev, reviewer } = await setUp(t)
  await publishAndApprove(p, dev, reviewer, '1.0.0')
  await p.call('PUT', '/api/v1/tenants/hn/plugins/hello', { token: p.admin, body: { package: '@hn/hello', version: '1.0.0' } })
  t.equal((await p.call('GET', '/t/hn/hello/hello')).status, 200)
  await p.call('POST', '/api/v1/registry/packages/hn/hello/versions/1.0.0/revoke', { token: reviewer, body: { reason: 'unsafe' } })
  const gone = await p.call('GET', '/t/hn/hello/hello')
  t.equal(gone.status, 410)
  t.equal(gone.body.error.code, 'REG_ERR_REVOKED')
})

t.test('one changed byte in a stored package: refused on the next load, and audited', async (t) => {
  const { p, dev, reviewer } = await setUp(t)
  await publishAndApprove(p, dev, reviewer, '1.0.0')
  const { knex } = p.platform.services.db
  const row = await knex('registry_versions').where({ name: '@hn/hello', version: '1.0.0' }).first('sha256')
  const blob = await knex('registry_blobs').where({ sha256: row.sha256 }).first('bytes')
  const tampered = Buffer.from(blob.bytes)
  tampered[tampered.length - 5] = tampered[tampered.length - 5]! ^ 0xff
  await knex('registry_blobs').where({ sha256: row.sha256 }).update({ bytes: tampered })
  await p.call('PUT', '/api/v1/tenants/hn/plugins/hello', { token: p.admin, body: { package: '@hn/hello', version: '1.0.0' } })
  const refused = await p.call('GET', '/t/hn/hello/hello')
  t.equal(refused.status, 503)
  t.equal(refused.body.error.code, 'REG_ERR_INTEGRITY')
  const audited = await knex('audit_log').where({ action: 'registry.integrity-failed' }).first('target')
  t.equal(audited?.target, '@hn/hello@1.0.0', 'audited')
})
