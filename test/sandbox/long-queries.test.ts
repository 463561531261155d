import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import t from 'tap'
import { fixtures, startPluginPlatform, type PluginPlatform } from '../helpers/plugins.ts'

const testDialect = process.env.NENTANG_TEST_DATABASE ?? 'sqlite'

/** Writes `count` documents of the reporter's register at `tenant` straight into the table. */
async function fill (p: PluginPlatform, tenant: string, count: number): Promise<void> {
  const { db } = p.platform.services
  const row = await db.knex('tenants').where({ code: tenant }).first('id', 'path')
  const now = new Date().toISOString()
  const communes = ['Phường Ba Đình', 'Xã Đông Anh', 'Phường Hoàn Kiếm', 'Xã Sóc Sơn']
  for (let from = 0; from < count; from += 4000) {
    const rows = Array.from({ length: Math.min(4000, count - from) }, (_, k) => {
      const i = from + k
      return { tenant_id: row.id, tenant_path: row.path, plugin: '@hn/reporter', collection: 'register', doc_id: `r${String(i).padStart(12, '0')}`, data: JSON.stringify({ name: `Nguyễn Văn Hộ ${i}`, commune: communes[i % 4], fee: i % 100 }), created_at: now, updated_at: now }
    })
    await db.knex.batchInsert('plugin_documents', rows, 400)
  }
}

t.test('a report over 100,000 documents is right, and a neighbour on the same worker is answered while it runs', async (t) => {
  const p = await startPluginPlatform(t)
  const { table, supervisor } = p.platform.services.plugins
  await p.install('hn', 'report', 'reporter')
  // A neighbour tenant's plugin on the very worker process that runs the report.
  let mount = 'ping'
  await p.install('hcm', mount, 'reporter')
  for (let i = 2; supervisor.workerIndex('tenant', table.get('hcm', mount)!.spec.key) !== supervisor.workerIndex('tenant', table.get('hn', 'report')!.spec.key); i++) {
    mount = `ping-${i}`
    await p.install('hcm', mount, 'reporter')
  }
  t.equal((await p.call('GET', `/t/hcm/${mount}/ping`)).status, 200)
  await fill(p, 'hn', 100_000)

  const report = await p.call('GET', '/t/hn/report/report')
  t.equal(report.status, 200, JSON.stringify(report.body).slice(0, 300))
  t.same(report.body.rows.map((r: { commune: string, n: number }) => [r.commune, r.n]), [['Phường Ba Đình', 25_000], ['Phường Hoàn Kiếm', 25_000], ['Xã Sóc Sơn', 25_000], ['Xã Đông Anh', 25_000]], 'ordered by code point, counted right')
  t.equal(report.body.rows.reduce((sum: number, r: { fees: number }) => sum + r.fees, 0), 1000 * 4950, 'and summed right')
  t.same((await p.call('GET', '/t/hn/report/count')).body, { n: 100_000 })

  // While a slow search (every name folded, 100,000 times) runs, the neighbour on the same worker answers first.
  const order: string[] = []
  const slow = p.call('GET', '/t/hn/report/search?q=nguyen%20van%20ho%2099999').then((r) => { order.push('search'); return r })
  await new Promise((resolve) => setTimeout(resolve, 20))
  const pings = await Promise.all(Array.from({ length: 5 }, () => p.call('GET', `/t/hcm/${mount}/ping`).then((r) => { order.push('ping'); return r.status })))
  const found = await slow
  t.same(pings, [200, 200, 200, 200, 200])
  t.match(found.body.items, [{ name: 'Nguyễn Văn Hộ 99999' }], `the search found the one: ${JSON.stringify(found.body).slice(0, 200)}`)
  if (testDialect === 'sqlite') t.equal(order.at(-1), 'search', `the pings did not wait for the search (${order.join(', ')})`)
})

t.test('a query past its request\'s time is stopped: Timeout, and the next query runs', async (t) => {
  const p = await startPluginPlatform(t)
  await p.install('hn', 'report', 'reporter')
  await fill(p, 'hn', 100_000)
  // The same plugin with a 50 ms limit: a search that folds 100,000 names cannot end in time.
  const hurried = mkdtempSync(join(tmpdir(), 'nentang-hurried-'))
  t.teardown(() => rmSync(hurried, { recursive: true, force: true }))
  cpSync(join(fixtures, 'reporter'), hurried, { recursive: true })
  const manifest = JSON.parse(readFileSync(join(hurried, 'plugin.json'), 'utf8'))
  writeFileSync(join(hurried, 'plugin.json'), JSON.stringify({ ...manifest, limits: { timeoutMs: 50 } }))
  await p.install('hn', 'hurried', hurried)
  const stopped = await p.call('GET', '/t/hn/hurried/search?q=khong%20co%20ai')
  t.equal(stopped.status, 504, `stopped: ${JSON.stringify(stopped.body).slice(0, 200)}`)
  const after = await p.call('GET', '/t/hn/report/search?q=nguyen%20van%20ho%2012345')
  t.equal(after.status, 200)
  t.match(after.body.items, [{ name: 'Nguyễn Văn Hộ 12345' }], 'the next query runs')
})
