import t from 'tap'
import { whileNeighbourServes } from '../helpers/neighbour.ts'
import { startPluginPlatform } from '../helpers/plugins.ts'
import { pluginEntries, tgz } from '../helpers/tgz.ts'

/** A service whose settings say when a unit's one-stop desk opens, and what it charges. */
const desk = {
  manifest: {
    name: '@hn/desk',
    version: '1.0.0',
    engine: '^1.0.0',
    main: 'index.js',
    visibility: 'public',
    routes: [{ method: 'GET', path: '/hours', handler: 'hours', access: 'public' }],
    settings: {
      type: 'object',
      additionalProperties: false,
      properties: { opens: { type: 'string', pattern: '^[0-2][0-9]:[0-5][0-9]$', default: '07:30' }, fee: { type: 'integer', minimum: 0, default: 0 } },
    },
  },
  source: "import { settings } from 'nentang:sdk'\nexport function hours () { return settings() }",
}

t.test('a commune that inherits a plugin may set its own settings over the province\'s; the others keep the province\'s', async (t) => {
  const p = await startPluginPlatform(t)
  for (const code of ['hn-ba-dinh', 'hn-hoan-kiem']) await p.call('POST', '/api/v1/tenants/hn/children', { token: p.admin, body: { code, name: code } })
  await p.call('POST', '/api/v1/tenants/vn/users', { token: p.admin, body: { username: 'reviewer', password: 'reviewer-password', roles: ['platform-admin'] } })
  await p.call('POST', '/api/v1/tenants/hn-ba-dinh/users', { token: p.admin, body: { username: 'xa-admin', password: 'xa-admin-password', roles: ['tenant-admin'] } })
  await p.call('POST', '/api/v1/tenants/hn-hoan-kiem/users', { token: p.admin, body: { username: 'hk-admin', password: 'hk-admin-password', roles: ['tenant-admin'] } })
  t.equal((await p.call('POST', '/api/v1/registry/packages', { token: p.admin, raw: await tgz(pluginEntries(desk.manifest, { 'index.js': desk.source })), headers: { 'content-type': 'application/gzip' } })).status, 201)
  t.equal((await p.call('POST', '/api/v1/registry/packages/hn/desk/versions/1.0.0/approve', { token: await p.signIn('reviewer', 'reviewer-password'), body: {} })).status, 200)
  t.equal((await p.call('PUT', '/api/v1/tenants/hn/plugins/desk', { token: p.admin, body: { package: '@hn/desk', version: '1.0.0', inherit: true, settings: { opens: '07:00', fee: 20000 } } })).status, 200)
  const hours = async (unit: string): Promise<unknown> => (await p.call('GET', `/t/${unit}/desk/hours`)).body
  t.same(await hours('hn-ba-dinh'), { opens: '07:00', fee: 20000 }, "the province's, inherited")

  const commune = await p.signIn('xa-admin', 'xa-admin-password')
  const set = (token: string, unit: string, settings: unknown) => p.call('PUT', `/api/v1/tenants/${unit}/plugins/desk/settings`, { token, body: { settings } })
  const { statuses, result } = await whileNeighbourServes(p, () => set(commune, 'hn-ba-dinh', { opens: '08:00' }))
  t.equal(result.status, 200)
  t.same(result.body, { settings: { opens: '08:00', fee: 20000 } }, 'merged over the province\'s')
  t.ok(statuses.every((s) => s === 200), 'hcm kept answering')
  t.same(await hours('hn-ba-dinh'), { opens: '08:00', fee: 20000 }, 'the commune opens later, at the province\'s fee')
  t.same(await hours('hn-hoan-kiem'), { opens: '07:00', fee: 20000 }, 'its sibling keeps the province\'s')
  t.same(await hours('hn'), { opens: '07:00', fee: 20000 }, 'and so does the province')

  t.match(await set(commune, 'hn-ba-dinh', { opens: 'sáng sớm' }), { status: 422, body: { error: { code: 'CORE_ERR_INVALID_FIELD', field: 'settings/opens' } } }, 'checked against the schema')
  t.match(await set(commune, 'hn-ba-dinh', { giờ: '08:00' }), { status: 422 }, 'no field the plugin does not declare')
  t.equal((await set(commune, 'hn-hoan-kiem', { opens: '09:00' })).status, 404, 'not for another commune')
  t.equal((await set(await p.signIn('hk-admin', 'hk-admin-password'), 'hn-ba-dinh', { opens: '09:00' })).status, 404, "its sibling's administrator cannot")
  t.match(await set(p.admin, 'hn', { opens: '09:00' }), { status: 422, body: { error: { field: 'settings' } } }, 'the installing unit sets its settings with the installation')
  t.equal((await p.call('PUT', '/api/v1/tenants/hn-ba-dinh/plugins/nothing/settings', { token: commune, body: { settings: {} } })).status, 404)
  t.same(await hours('hn-ba-dinh'), { opens: '08:00', fee: 20000 }, 'refused changes changed nothing')

  // The province changes its own: the commune keeps its hours and takes the new fee.
  t.equal((await p.call('PUT', '/api/v1/tenants/hn/plugins/desk', { token: p.admin, body: { package: '@hn/desk', version: '1.0.0', inherit: true, settings: { opens: '07:00', fee: 30000 } } })).status, 200)
  t.same(await hours('hn-ba-dinh'), { opens: '08:00', fee: 30000 })
  t.equal((await p.call('DELETE', '/api/v1/tenants/hn-ba-dinh/plugins/desk/settings', { token: commune })).status, 204)
  t.same(await hours('hn-ba-dinh'), { opens: '07:00', fee: 30000 }, 'removed, the province\'s serve it again')
  t.equal((await p.call('DELETE', '/api/v1/tenants/hn-ba-dinh/plugins/desk/settings', { token: commune })).status, 404)
  const actions = (await p.call('GET', '/api/v1/tenants/hn-ba-dinh/audit?limit=50', { token: p.admin })).body.items.map((e: { action: string }) => e.action)
  t.ok(actions.includes('plugin.settings-set') && actions.includes('plugin.settings-delete'), 'audited')
})
