// SQLite pass only: what is tested is the isolate, the worker process or the HTTP layer, not storage.
import t from 'tap'
import { whileNeighbourServes } from '../helpers/neighbour.ts'
import { startPluginPlatform } from '../helpers/plugins.ts'

t.test('a plugin has no WebAssembly, so no memory outside its memoryMb', async (t) => {
  const p = await startPluginPlatform(t)
  await p.install('hn', 'bad', 'misbehave')
  const { statuses, result } = await whileNeighbourServes(p, () => p.call('GET', '/t/hn/bad/wasm'))
  t.equal(result.status, 500)
  t.equal(result.body.error.code, 'SBX_ERR_PLUGIN_FAILED')
  t.match(result.body.error.message, /WebAssembly is not defined/)
  t.ok(statuses.every((s) => s === 200), 'hcm kept answering')
  const stats = await p.platform.services.plugins.supervisor.stats()
  const tenantRss = Math.max(...stats.filter((s) => s.tier === 'tenant').map((s) => s.rss))
  t.ok(tenantRss < 400 * 1024 * 1024, `the tenant worker holds ${Math.round(tenantRss / 1048576)} MB, not 768 MB more`)
})
