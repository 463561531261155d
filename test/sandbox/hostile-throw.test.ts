// SQLite pass only: what is tested is the isolate, the worker process or the HTTP layer, not storage.
import t from 'tap'
import { startPluginPlatform } from '../helpers/plugins.ts'
import { whileNeighbourServes } from '../helpers/neighbour.ts'

t.test('a thrown object with looping getters: the sandbox never reads them, 500', async (t) => {
  const p = await startPluginPlatform(t)
  await p.install('hn', 'bad', 'misbehave')
  const { statuses, result } = await whileNeighbourServes(p, () => p.call('GET', '/t/hn/bad/throw-getter'))
  t.equal(result.status, 500)
  t.equal(result.body.error.code, 'SBX_ERR_PLUGIN_FAILED')
  t.equal(result.body.error.message, 'the plugin threw', 'no plugin stack, nothing read from the thrown value')
  t.ok(statuses.every((s) => s === 200), `hcm kept answering 200 (${statuses.length} requests)`)
})

t.test('a thrown Proxy whose traps loop: stopped by the time limit, 504', async (t) => {
  const p = await startPluginPlatform(t)
  await p.install('hn', 'bad', 'misbehave')
  const { statuses, result } = await whileNeighbourServes(p, () => p.call('GET', '/t/hn/bad/throw-proxy'))
  t.equal(result.status, 504)
  t.equal(result.body.error.code, 'SBX_ERR_TIMEOUT')
  t.ok(statuses.every((s) => s === 200), `hcm kept answering 200 (${statuses.length} requests)`)
  t.equal((await p.call('GET', '/t/hn/bad/ok')).status, 200)
})
