// SQLite pass only: what is tested is the isolate, the worker process or the HTTP layer, not storage.
import t from 'tap'
import { startPluginPlatform } from '../helpers/plugins.ts'
import { whileNeighbourServes } from '../helpers/neighbour.ts'

t.test('a memory bomb: 503, the isolate is disposed, the worker and the neighbour live on', async (t) => {
  const p = await startPluginPlatform(t)
  await p.install('hn', 'bad', 'memory-bomb')
  await p.call('GET', '/t/hn/bad/ok')
  const pids = p.platform.services.plugins.supervisor.pids('tenant')
  const { statuses, result } = await whileNeighbourServes(p, () => p.call('GET', '/t/hn/bad/bomb'))
  t.equal(result.status, 503)
  t.equal(result.body.error.code, 'SBX_ERR_MEMORY_LIMIT')
  t.ok(statuses.every((s) => s === 200), `hcm kept answering 200 (${statuses.length} requests)`)
  t.same(p.platform.services.plugins.supervisor.pids('tenant').filter((pid) => pids.includes(pid)), pids, 'no worker died')
  t.equal((await p.call('GET', '/t/hn/bad/ok')).status, 200, 'the plugin serves again')
})

t.test('a plugin that keeps blowing its memory is quarantined', async (t) => {
  const p = await startPluginPlatform(t)
  await p.install('hn', 'bad', 'memory-bomb')
  for (let i = 0; i < 3; i++) t.equal((await p.call('GET', '/t/hn/bad/bomb')).body.error.code, 'SBX_ERR_MEMORY_LIMIT', `overrun ${i + 1}`)
  const refused = await p.call('GET', '/t/hn/bad/ok')
  t.equal(refused.status, 503, 'even its harmless routes are refused for a while')
  t.match(refused.body.error.message, /quarantined/)
})
