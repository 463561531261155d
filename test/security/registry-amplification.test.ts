import t from 'tap'
import { whileNeighbourServes } from '../helpers/neighbour.ts'
import { examples, startPluginPlatform } from '../helpers/plugins.ts'
import { folderEntries, tgz } from '../helpers/tgz.ts'

t.test('uploads cannot make every citizen\'s pages read their manifests: plugin.json is capped, listings read what they show', async (t) => {
  const p = await startPluginPlatform(t)
  await p.call('POST', '/api/v1/tenants/hn/users', { token: p.admin, body: { username: 'hn-dev', password: 'hn-dev-password', roles: ['developer'] } })
  await p.call('POST', '/api/v1/tenants/hn/users', { token: p.admin, body: { username: 'citizen', password: 'citizen-password', roles: ['member'] } })
  const dev = await p.signIn('hn-dev', 'hn-dev-password')
  const citizen = await p.signIn('citizen', 'citizen-password')
  const upload = async (version: string, padding: number) => p.call('POST', '/api/v1/registry/packages', {
    token: dev,
    headers: { 'content-type': 'application/gzip' },
    raw: await tgz(folderEntries(`${examples}hello`, (m) => ({ ...m, version, schemas: { padding: { description: 'Mô tả '.repeat(padding) } } }))),
  })

  const tooBig = await upload('9.9.9', 60_000)
  t.equal(tooBig.status, 422, 'a 540 KB plugin.json')
  t.equal(tooBig.body.error.code, 'REG_ERR_PACKAGE_INVALID')
  t.equal(tooBig.body.error.field, 'plugin.json')

  t.equal((await upload('1.0.0', 10)).status, 201)
  t.equal((await p.call('POST', '/api/v1/registry/packages/hn/hello/versions/1.0.0/approve', { token: p.admin, body: { comment: 'ok' } })).status, 200)
  t.equal((await p.call('PUT', '/api/v1/tenants/hn/plugins/hello', { token: p.admin, body: { package: '@hn/hello', version: '1.0.0' } })).status, 200)
  const { statuses } = await whileNeighbourServes(p, async () => {
    for (let i = 1; i <= 25; i++) t.equal((await upload(`1.0.${i}`, 25_000)).status, 201, `pending 1.0.${i} with a 225 KB plugin.json`)
  })
  t.ok(statuses.every((s) => s === 200), 'hcm kept answering')

  const services = await p.call('GET', '/api/v1/tenants/hn/services', { token: citizen })
  t.equal(services.status, 200)
  t.same(services.body.items.map((s: { package: string, version: string }) => `${s.package}@${s.version}`).sort(), ['@hn/hello@1.0.0', '@vn/procedures@1.0.0'], 'the installed versions only')
  const listed = await p.call('GET', '/api/v1/registry/packages?status=pending', { token: dev })
  t.equal(listed.body.items.length, 25)
  t.notOk(JSON.stringify(listed.body).includes('Mô tả'), 'the list carries no manifest')
  t.ok(JSON.stringify(listed.body).length < 100_000, `the list stays small (${JSON.stringify(listed.body).length} characters)`)
  await p.call('POST', '/api/v1/tenants/hcm/users', { token: p.admin, body: { username: 'hcm-citizen', password: 'hcm-citizen-password', roles: ['member'] } })
  const outsider = await p.call('GET', '/api/v1/registry/packages', { token: await p.signIn('hcm-citizen', 'hcm-citizen-password') })
  t.same(outsider.body.items.map((e: { name: string }) => e.name).sort(), ['@vn/notices', '@vn/portal-sync', '@vn/procedures'], 'visibility still read right: hcm sees the public first-party plugins, not hn\'s private uploads')
})
