import { defaults } from '../../core/config.ts'
import t from 'tap'
import { findTenant } from '../../core/tenancy/tenants.ts'
import { createStorage } from '../../sandbox/worker/host/storage.ts'
import { startPluginPlatform, type PluginPlatform } from '../helpers/plugins.ts'

/** `count` rows of `@hn/storage-probe`'s `docs` at `tenant`, written straight to the table. */
async function seed (p: PluginPlatform, tenant: string, count: number): Promise<void> {
  const { db } = p.platform.services
  const tenantId = (await findTenant(db, tenant))!.id
  const now = new Date().toISOString()
  const rows = Array.from({ length: count }, (_, i) => ({ tenant_id: tenantId, plugin: '@hn/storage-probe', collection: 'docs', doc_id: `seed-${i}`, data: JSON.stringify({ n: i, ward: `Phường ${i % 100}`, a: i % 7 }), created_at: now, updated_at: now }))
  for (let i = 0; i < rows.length; i += 500) await db.knex('plugin_documents').insert(rows.slice(i, i + 500))
}

/** Calls hcm's copy of the plugin on the same worker while `during` runs. */
async function whileStorageNeighbourServes<T> (p: PluginPlatform, during: () => Promise<T>): Promise<{ statuses: number[], result: T }> {
  const statuses: number[] = []
  const live = { running: true }
  const loop = (async () => {
    while (live.running) {
      statuses.push((await p.call('GET', '/t/hcm/probe/docs')).status)
      await new Promise((resolve) => setTimeout(resolve, 10))
    }
  })()
  try {
    return { statuses, result: await during() }
  } finally {
    live.running = false
    await loop
  }
}

t.test('a filter is bounded in fields and conditions, an offset in rows skipped', async (t) => {
  const p = await startPluginPlatform(t)
  await p.install('hn', 'probe', 'storage-probe')
  await p.install('hcm', 'probe', 'storage-probe')
  const probe = (body: unknown) => p.call('POST', '/t/hn/probe/probe', { body })
  const wide = Object.fromEntries(Array.from({ length: 990 }, (_, i) => [`f${i}`, i]))
  const { statuses, result } = await whileStorageNeighbourServes(p, async () => ({
    wide: await probe({ filter: wide }),
    conditions: await probe({
      filter: {
        n: { $gt: 1, $gte: 1, $lt: 9, $lte: 9, $ne: 5 },
        a: { $gt: 1, $gte: 1, $lt: 9, $lte: 9, $ne: 5 },
        b: { $gt: 1, $gte: 1, $lt: 9, $lte: 9, $ne: 5 },
        c: { $gt: 1, $gte: 1, $lt: 9, $lte: 9, $ne: 5 },
        d: { $eq: 1 },
      }
    }),
    offset: await probe({ options: { offset: 1_000_000 } }),
    fine: await probe({ filter: { n: { $gte: 0 }, ward: 'Phường Ba Đình' }, options: { offset: 10_000 } }),
  }))
  t.match(result.wide.body, { error: 'InvalidArgument', message: /at most 10 fields/ })
  t.match(result.conditions.body, { error: 'InvalidArgument', message: /at most 20 conditions/ })
  t.match(result.offset.body, { error: 'InvalidArgument', message: /offset is an integer from 0 to 10000/ })
  t.same(result.fine.body, { result: [] }, 'a filter within the bounds runs')
  t.ok(statuses.length > 0 && statuses.every((s) => s === 200), 'hcm\'s copy kept answering')
})

t.test('one request\'s parallel counts neither starve the worker\'s other tenants nor outlive the request', async (t) => {
  const p = await startPluginPlatform(t, { workers: 1 })
  await p.install('hn', 'probe', 'storage-probe')
  await p.install('hcm', 'probe', 'storage-probe')
  await seed(p, 'hn', 20_000)
  const filter = { n: { $gte: 0, $lt: 1e9 }, a: { $gte: 0, $lte: 6 }, ward: { $ne: 'x' } }
  const { statuses, result } = await whileStorageNeighbourServes(p, () => p.call('POST', '/t/hn/probe/counts', { body: { n: 60, filter } }))
  t.equal(result.status, 200, 'the plugin answers within its time')
  t.equal(result.body.length, 60)
  t.ok(result.body.every((r: unknown) => r === 20_000 || r === 'Timeout'), `each count came to 20,000 or ran out of the request's time (${result.body.filter((r: unknown) => r === 'Timeout').length} did)`)
  t.ok(statuses.length > 0 && statuses.every((s) => s === 200), `hcm kept answering 200 (${statuses.length} requests)`)
})

t.test('on PostgreSQL a storage statement is cut at the request\'s deadline', { skip: process.env.NENTANG_TEST_DATABASE !== 'postgres' && 'PostgreSQL only: SQLite statements cannot be interrupted (bounded by the caps above)' }, async (t) => {
  const p = await startPluginPlatform(t)
  await seed(p, 'hn', 20_000)
  const { db } = p.platform.services
  const storage = createStorage(db, { documents: defaults.sandboxQuotaDocuments, bytes: defaults.sandboxQuotaBytes })
  const hn = (await findTenant(db, 'hn'))!
  const spec = { key: 'hn/probe/@hn/storage-probe@1.0.0', tenant: 'hn', tenantId: hn.id, tenantPath: hn.path, mount: 'probe', name: '@hn/storage-probe', version: '1.0.0', dir: '', main: 'index.js', permissions: { storage: true }, limits: { timeoutMs: 1000, memoryMb: 64, hostCalls: 100 }, settings: {}, secrets: {} }
  const filter = { n: { $gte: 0, $lt: 1e9 }, a: { $gte: 0, $lte: 6 }, ward: { $ne: 'x' } }
  t.equal(await storage.later('count', spec, ['docs', filter], { bytes: 0 }, Date.now() + 5000), 20_000, 'with time, the count runs')
  await t.rejects(storage.later('count', spec, ['docs', filter], { bytes: 0 }, Date.now() + 2), { name: 'Timeout' }, 'with 2 ms left, the statement is cut')
})
