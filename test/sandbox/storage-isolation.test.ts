import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import t from 'tap'
import { fixtures, startPluginPlatform } from '../helpers/plugins.ts'
import { whileNeighbourServes } from '../helpers/neighbour.ts'

/** A copy of the storage-probe fixture under another name, with its manifest changed. */
function variant (t: { teardown(fn: () => void): void }, name: string, change: (manifest: Record<string, unknown>) => void): string {
  const folder = join(mkdtempSync(join(tmpdir(), 'nentang-fixture-')), name)
  t.teardown(() => rmSync(folder, { recursive: true, force: true }))
  cpSync(join(fixtures, 'storage-probe'), folder, { recursive: true })
  const manifest = JSON.parse(readFileSync(join(folder, 'plugin.json'), 'utf8')) as Record<string, unknown>
  change(manifest)
  writeFileSync(join(folder, 'plugin.json'), JSON.stringify(manifest))
  return folder
}

t.test("a plugin reads only its own tenant's and its own plugin's documents", async (t) => {
  const p = await startPluginPlatform(t)
  await p.install('hn', 'probe', 'storage-probe')
  await p.install('hcm', 'probe', 'storage-probe')
  await p.install('hn', 'other', variant(t, 'storage-other', (m) => { m.name = '@hn/storage-other' }))
  await p.install('hn', 'denied', variant(t, 'storage-denied', (m) => { m.name = '@hn/storage-denied'; delete m.permissions }))

  const hnDoc = (await p.call('POST', '/t/hn/probe/docs', { body: { n: 1, owner: 'hn', secret: 'hn only' } })).body
  await p.call('POST', '/t/hn/probe/docs', { body: { n: 2, owner: 'hn' } })
  await p.call('POST', '/t/hcm/probe/docs', { body: { n: 1, owner: 'hcm' } })
  t.match(hnDoc, { n: 1, owner: 'hn', _id: /^[0-9a-f-]{36}$/ })

  const { statuses, result } = await whileNeighbourServes(p, async () => ({
    hn: (await p.call('GET', '/t/hn/probe/docs')).body,
    hcm: (await p.call('GET', '/t/hcm/probe/docs')).body,
    hcmGetsHnId: (await p.call('GET', `/t/hcm/probe/docs/${hnDoc._id}`)).body,
    otherPlugin: (await p.call('GET', '/t/hn/other/docs')).body,
    otherGetsHnId: (await p.call('GET', `/t/hn/other/docs/${hnDoc._id}`)).body,
    denied: (await p.call('POST', '/t/hn/denied/probe', { body: {} })).body,
  }))
  t.same(result.hn.items.map((d: { owner: string, n: number }) => `${d.owner}${d.n}`), ['hn1', 'hn2'], 'hn sees its two documents')
  t.equal(result.hn.count, 2)
  t.same(result.hcm.items.map((d: { owner: string }) => d.owner), ['hcm'], 'hcm sees only its own, though it is the same plugin')
  t.same(result.hcmGetsHnId, { doc: null }, "hcm cannot get hn's document by id")
  t.same(result.otherPlugin, { items: [], count: 0 }, "another plugin of hn sees nothing of this one's")
  t.same(result.otherGetsHnId, { doc: null })
  t.equal(result.denied.error, 'PermissionDenied', 'a plugin that did not ask for storage has none')
  t.ok(statuses.every((s) => s === 200), 'hcm kept answering')
})

t.test('hostile filters and names are refused, never run as SQL', async (t) => {
  const p = await startPluginPlatform(t)
  await p.install('hn', 'probe', 'storage-probe')
  await p.call('POST', '/t/hn/probe/docs', { body: { n: 1 } })
  const probes: Array<[string, Record<string, unknown>]> = [
    ['field injection', { filter: { "n') or 1=1 --": 1 } }],
    ['json path injection', { filter: { 'n.$[0]': 1 } }],
    ['unknown operator', { filter: { n: { $where: 'true' } } }],
    ['object value', { filter: { n: { $eq: { $gt: 0 } } } }],
    ['collection traversal', { collection: '../tenants' }],
    ['sort injection', { options: { sort: 'n; drop table tenants' } }],
    ['huge limit', { options: { limit: 1e9 } }],
  ]
  for (const [name, body] of probes) {
    const response = await p.call('POST', '/t/hn/probe/probe', { body })
    t.equal(response.body.error, 'InvalidArgument', `${name}: InvalidArgument (${response.body.message})`)
  }
  const ranges = await p.call('POST', '/t/hn/probe/probe', { body: { filter: { n: { $gte: 1, $lt: 2 } } } })
  t.equal(ranges.body.result.length, 1, 'a range filter works')
  t.ok(await p.platform.services.db.knex('tenants').count({ n: '*' }), 'the tenants table is still there')
})

t.test('row-level security backs up the scoping on PostgreSQL', { skip: process.env.NENTANG_TEST_DATABASE === 'postgres' ? false : 'row-level security exists on PostgreSQL; this runs in the PostgreSQL pass' }, async (t) => {
  const p = await startPluginPlatform(t)
  await p.install('hn', 'probe', 'storage-probe')
  await p.install('hcm', 'probe', 'storage-probe')
  await p.call('POST', '/t/hn/probe/docs', { body: { n: 1 } })
  await p.call('POST', '/t/hcm/probe/docs', { body: { n: 2 } })
  const { knex } = p.platform.services.db
  const hcm = await knex('tenants').where({ code: 'hcm' }).first('id')
  const seen = await knex.transaction(async (trx): Promise<Array<{ tenant_id: number }>> => {
    await trx.raw("select set_config('role', 'nentang_sandbox', true), set_config('nentang.tenant_id', ?, true)", [String(hcm.id)])
    // No tenant condition at all: only the policy stands between this query and hn's rows.
    return trx('plugin_documents').select('tenant_id')
  })
  t.same(seen.map((row) => row.tenant_id), [hcm.id], 'a query without any scoping sees only the tenant set for the transaction')
  const none = await knex.transaction(async (trx): Promise<unknown[]> => {
    await trx.raw("select set_config('role', 'nentang_sandbox', true)")
    return trx('plugin_documents').select('tenant_id')
  })
  t.same(none, [], 'and nothing when no tenant is set')
})
