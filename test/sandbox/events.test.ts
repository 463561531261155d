import t, { type Test } from 'tap'
import { startPluginPlatform, type PluginPlatform } from '../helpers/plugins.ts'
import { whileNeighbourServes } from '../helpers/neighbour.ts'
import { publishFixture } from '../helpers/registry.ts'
import { until } from '../helpers/wait.ts'

/** The probe publishing at Ba Đình, the log subscribed at Hà Nội and inherited by its communes. */
async function setUp (t: Test): Promise<PluginPlatform> {
  const p = await startPluginPlatform(t)
  await publishFixture(p, p.admin, 'storage-probe')
  await publishFixture(p, p.admin, 'shout-log')
  t.equal((await p.call('POST', '/api/v1/tenants/hn/children', { token: p.admin, body: { code: 'hn-ba-dinh', name: 'Phường Ba Đình' } })).status, 201)
  t.equal((await p.call('PUT', '/api/v1/tenants/hn/plugins/log', { token: p.admin, body: { package: '@hn/shout-log', version: '1.0.0', inherit: true } })).status, 200)
  t.equal((await p.call('PUT', '/api/v1/tenants/hn-ba-dinh/plugins/probe', { token: p.admin, body: { package: '@hn/storage-probe', version: '1.0.0' } })).status, 200)
  return p
}

const heardAt = (p: PluginPlatform, tenant: string) => async (): Promise<Array<{ i: number, publisher: unknown, user: unknown, type: string }>> => (await p.call('GET', `/t/${tenant}/log/heard`)).body.heard

t.test('an event reaches the subscribers of its unit, inherited ones too: each once, in the order published, a failure retried in place', async (t) => {
  const p = await setUp(t)
  const events = [{ i: 0 }, { i: 1, tên: 'Nguyễn Văn An' }, { i: 2, failOnce: true }, { i: 3 }, { i: 4 }]
  t.same((await p.call('POST', '/t/hn-ba-dinh/probe/announce', { body: { events } })).body, { published: 5 })
  const { statuses, result: heard } = await whileNeighbourServes(p, () => until(heardAt(p, 'hn-ba-dinh'), (h) => h.length >= 5, 15_000))
  t.ok(statuses.length > 0 && statuses.every((s) => s === 200), `a neighbour tenant was served while the events were delivered (${statuses.length} requests)`)
  t.same(heard.map((entry) => entry.i), [0, 1, 2, 3, 4], 'all five, once each, in order: the third failed once and the others waited for it')
  t.match(heard[1], { type: 'probe.shout', publisher: { plugin: '@hn/storage-probe', tenant: 'hn-ba-dinh' }, user: null })
  await new Promise((resolve) => setTimeout(resolve, 600))
  t.equal((await heardAt(p, 'hn-ba-dinh')()).length, 5, 'and nothing twice')
  t.same(await heardAt(p, 'hn')(), [], 'the province\'s own installation hears its own unit\'s events, not the commune\'s')
})

t.test('a subscriber whose version is revoked hears nothing more', async (t) => {
  const p = await setUp(t)
  await p.call('POST', '/t/hn-ba-dinh/probe/announce', { body: { events: [{ i: 0 }] } })
  t.equal((await until(heardAt(p, 'hn-ba-dinh'), (h) => h.length >= 1, 10_000)).length, 1)
  const reviewer = await p.signIn('reviewer', 'reviewer-password')
  t.equal((await p.call('POST', '/api/v1/registry/packages/hn/shout-log/versions/1.0.0/revoke', { token: reviewer, body: { reason: 'nghe lén' } })).status, 200)
  await p.call('POST', '/t/hn-ba-dinh/probe/announce', { body: { events: [{ i: 1 }, { i: 2 }] } })
  const { db } = p.platform.services
  const fannedOut = await until(async () => Number((await db.knex('plugin_events').whereNull('fanned_out_at').count({ n: '*' }))[0]!.n), (n) => n === 0, 5000)
  t.equal(fannedOut, 0, 'the events were handled')
  const left = await until(async () => Number((await db.knex('plugin_timers').count({ n: '*' }))[0]!.n), (n) => n === 0, 5000)
  t.equal(left, 0, 'no delivery waits')
  t.equal(Number((await db.knex('plugin_documents').where({ plugin: '@hn/shout-log', collection: 'heard' }).whereRaw(db.dialect === 'postgres' ? "(data -> 'i') is not null" : "json_extract(data, '$.i') is not null").count({ n: '*' }))[0]!.n), 1, 'only the first event was heard')
})
