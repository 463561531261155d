import t from 'tap'
import { whileNeighbourServes } from '../helpers/neighbour.ts'
import { startPluginPlatform } from '../helpers/plugins.ts'

t.test('one anonymous request writes at most 4 MiB of documents', async (t) => {
  const p = await startPluginPlatform(t)
  await p.install('hn', 'probe', 'storage-probe')
  const { statuses, result: answer } = await whileNeighbourServes(p, () => p.call('POST', '/t/hn/probe/fill', { body: { n: 90, size: 250_000 } }))
  t.ok(statuses.every((s) => s === 200), 'hcm kept answering')
  t.equal(answer.status, 200)
  t.match(answer.body, { written: 16, error: 'QuotaExceeded', message: /at most 4194304 bytes/ })
  t.same((await p.call('POST', '/t/hn/probe/fill', { body: { n: 3, size: 1000 } })).body, { written: 3 }, 'the next request writes again')
  t.same((await p.call('POST', '/t/hn/probe/shout', { body: { n: 90, size: 60_000 } })).body, { published: 69, error: 'QuotaExceeded' }, 'events count against the same 4 MiB')
})

t.test('a plugin keeps at most its quota of documents at a unit; other units and plugins are not held', async (t) => {
  const p = await startPluginPlatform(t, { sandboxQuotaDocuments: 40 })
  await p.install('hn', 'probe', 'storage-probe')
  await p.install('hcm', 'probe', 'storage-probe')
  t.match((await p.call('POST', '/t/hn/probe/fill', { body: { n: 60, size: 100 } })).body, { written: 40, error: 'QuotaExceeded', message: /at most 40 documents/ })
  t.match((await p.call('POST', '/t/hn/probe/fill', { body: { n: 1, size: 100 } })).body, { written: 0, error: 'QuotaExceeded' }, 'and stays full')
  t.same((await p.call('POST', '/t/hcm/probe/fill', { body: { n: 5, size: 100 } })).body, { written: 5 }, 'hcm\'s installation has its own quota')
})
