// SQLite pass only: what is tested is the isolate, the worker process or the HTTP layer, not storage.
import t from 'tap'
import { startPluginPlatform } from '../helpers/plugins.ts'
import { whileNeighbourServes } from '../helpers/neighbour.ts'

t.test('an endless synchronous loop: 504, the isolate is replaced, the neighbour never notices', async (t) => {
  const p = await startPluginPlatform(t)
  await p.install('hn', 'bad', 'misbehave')
  t.same((await p.call('GET', '/t/hn/bad/state')).body, { counter: 1 })
  const { statuses, result } = await whileNeighbourServes(p, () => p.call('GET', '/t/hn/bad/spin'))
  t.equal(result.status, 504)
  t.equal(result.body.error.code, 'SBX_ERR_TIMEOUT')
  t.match(result.body.error.message, /300 ms/)
  t.ok(statuses.length > 2 && statuses.every((s) => s === 200), `hcm kept answering 200 (${statuses.length} requests)`)
  t.same((await p.call('GET', '/t/hn/bad/state')).body, { counter: 1 }, 'the next request gets a fresh isolate (module state starts over)')
})
