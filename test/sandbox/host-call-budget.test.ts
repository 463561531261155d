import t from 'tap'
import { startPluginPlatform } from '../helpers/plugins.ts'
import { whileNeighbourServes } from '../helpers/neighbour.ts'

t.test('10,000 host calls in one request: stopped at the budget, 503', async (t) => {
  const p = await startPluginPlatform(t)
  await p.install('hn', 'bad', 'misbehave')
  const { statuses, result } = await whileNeighbourServes(p, () => p.call('GET', '/t/hn/bad/host-calls?n=10000'))
  t.equal(result.status, 503)
  t.equal(result.body.error.code, 'SBX_ERR_HOST_CALL_LIMIT', 'even though the plugin caught the error')
  t.match(result.body.error.message, /more than 100 host calls/)
  t.ok(statuses.every((s) => s === 200), 'hcm kept answering')
  const within = await p.call('GET', '/t/hn/bad/host-calls?n=100')
  t.same(within.body, { done: 100 }, 'a request within the budget is served, and the budget is per request')
})
