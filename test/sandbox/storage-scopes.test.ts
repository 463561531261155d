import t from 'tap'
import { whileNeighbourServes } from '../helpers/neighbour.ts'
import { startPluginPlatform, type PluginPlatform } from '../helpers/plugins.ts'

/** Hà Nội with two communes, each with the price list installed; TP. Hồ Chí Minh with its own. */
async function priceLists (t: { teardown(fn: () => unknown): void }): Promise<PluginPlatform & { ids: Record<string, string> }> {
  const p = await startPluginPlatform(t)
  for (const code of ['hn-ba-dinh', 'hn-hoan-kiem']) await p.call('POST', '/api/v1/tenants/hn/children', { token: p.admin, body: { code, name: code } })
  const ids: Record<string, string> = {}
  const fees = { hn: ['Giấy phép xây dựng', 100], 'hn-ba-dinh': ['Giấy phép xây dựng', 80], 'hn-hoan-kiem': ['Đăng ký kết hôn', 0], hcm: ['Giấy phép xây dựng', 999] } as const
  for (const [tenant, [item, fee]] of Object.entries(fees)) {
    await p.install(tenant, 'fees', 'price-list')
    ids[tenant] = (await p.call('POST', `/t/${tenant}/fees/prices`, { body: { item, fee } })).body._id
  }
  return { ...p, ids }
}

t.test('a commune reads its own and its province\'s documents, nearest first, each tagged with its unit', async (t) => {
  const p = await priceLists(t)
  const lineage = (await p.call('GET', '/t/hn-ba-dinh/fees/prices/lineage')).body.items
  t.same(lineage.map((doc: { _tenant: string, fee: number }) => [doc._tenant, doc.fee]), [['hn-ba-dinh', 80], ['hn', 100]], 'not its sibling\'s, not another province\'s')
  t.match((await p.call('GET', `/t/hn-ba-dinh/fees/prices/lineage/${p.ids.hn}`)).body.doc, { _tenant: 'hn', fee: 100 }, 'get by id up the tree')
  t.same((await p.call('GET', `/t/hn-ba-dinh/fees/prices/lineage/${p.ids['hn-hoan-kiem']}`)).body.doc, null, 'a sibling\'s document is not up the tree')
  t.same((await p.call('GET', `/t/hn-ba-dinh/fees/prices/lineage/${p.ids.hcm}`)).body.doc, null)
})

t.test('a province reports over its communes; a commune\'s subtree is itself', async (t) => {
  const p = await priceLists(t)
  const subtree = (await p.call('GET', '/t/hn/fees/prices/subtree')).body.items
  t.same(subtree.map((doc: { _tenant: string }) => doc._tenant), ['hn', 'hn-ba-dinh', 'hn-hoan-kiem'])
  const { statuses, result: report } = await whileNeighbourServes(p, () => p.call('GET', '/t/hn/fees/report'))
  t.ok(statuses.every((s) => s === 200), 'hcm kept answering')
  t.same(report.body.rows, [{ _tenant: 'hn', n: 1, total: 100 }, { _tenant: 'hn-ba-dinh', n: 1, total: 80 }, { _tenant: 'hn-hoan-kiem', n: 1, total: 0 }])
  t.same((await p.call('GET', '/t/hn-ba-dinh/fees/prices/subtree')).body.items.map((doc: { _tenant: string }) => doc._tenant), ['hn-ba-dinh'])
})

t.test('nothing is written through a scope: a commune cannot insert, change or delete its province\'s documents', async (t) => {
  const p = await priceLists(t)
  for (const how of ['insert', 'update', 'remove']) {
    for (const scope of ['lineage', 'subtree']) {
      const answer = (await p.call('POST', '/t/hn-ba-dinh/fees/sneak', { body: { scope, how, id: p.ids.hn } })).body
      t.match(answer, { error: 'InvalidArgument', message: new RegExp(`${scope} collection is read-only`) }, `${how} through ${scope}`)
    }
  }
  t.match((await p.call('GET', '/t/hn/fees/prices/subtree')).body.items.find((doc: { _id: string }) => doc._id === p.ids.hn), { fee: 100 }, 'the province\'s fee is unchanged')
  t.equal((await p.call('GET', '/t/hn/fees/prices/subtree')).body.items.length, 3, 'and nothing was added')
  await p.install('hn-ba-dinh', 'probe', 'storage-probe')
  t.match((await p.call('POST', '/t/hn-ba-dinh/probe/probe', { body: { scope: 'lineage' } })).body, { error: 'PermissionDenied', message: /storage.read/ }, 'a plugin that did not ask to read up the tree may not')
  t.match((await p.call('POST', '/t/hn-ba-dinh/probe/probe', { body: { scope: 'everything' } })).body, { error: 'InvalidArgument', message: /lineage' or 'subtree/ })
})

t.test('on PostgreSQL row-level security admits other units\' rows to reads in the named scope only, never to writes', { skip: process.env.NENTANG_TEST_DATABASE !== 'postgres' && 'PostgreSQL only' }, async (t) => {
  const p = await priceLists(t)
  const { db } = p.platform.services
  const communeId = (await db.knex('tenants').where({ code: 'hn-ba-dinh' }).first('id')).id
  const asCommune = (scope: string, work: (trx: any) => Promise<unknown>): Promise<unknown> => db.knex.transaction(async (trx) => {
    await trx.raw("select set_config('role', 'nentang_sandbox', true), set_config('nentang.tenant_id', ?, true), set_config('nentang.tenant_path', 'vn/hn/hn-ba-dinh', true), set_config('nentang.read_scope', ?, true)", [String(communeId), scope])
    return work(trx)
  })
  t.equal((await asCommune('tenant', (trx) => trx('plugin_documents').select('id')) as unknown[]).length, 1, 'no scope: its own row')
  t.equal((await asCommune('lineage', (trx) => trx('plugin_documents').select('id')) as unknown[]).length, 2, 'lineage: and its province\'s')
  t.equal((await asCommune('subtree', (trx) => trx('plugin_documents').select('id')) as unknown[]).length, 1, 'subtree: a commune has none below')
  t.equal(await asCommune('lineage', (trx) => trx('plugin_documents').where({ tenant_path: 'vn/hn' }).update({ data: JSON.stringify({ fee: 0 }) })), 0, 'an update of the province\'s row changes nothing')
  t.equal(await asCommune('lineage', (trx) => trx('plugin_documents').where({ tenant_path: 'vn/hn' }).delete()), 0, 'nor does a delete')
  await t.rejects(asCommune('lineage', (trx) => trx('plugin_documents').insert({ tenant_id: 2, tenant_path: 'vn/hn', plugin: '@hn/price-list', collection: 'prices', doc_id: 'x', data: '{}', created_at: 'x', updated_at: 'x' })), /row-level security/, 'nor an insert as the province')
})
