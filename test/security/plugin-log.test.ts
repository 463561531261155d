// SQLite pass only: what is tested is the isolate, the worker process or the HTTP layer, not storage.
import t from 'tap'
import { whileNeighbourServes } from '../helpers/neighbour.ts'
import { startPluginPlatform } from '../helpers/plugins.ts'

t.test('log lines count against the request\'s host calls, and a huge argument is cut inside the isolate', async (t) => {
  const p = await startPluginPlatform(t)
  await p.install('hn', 'bad', 'misbehave')
  const { statuses, result } = await whileNeighbourServes(p, async () => ({
    within: await p.call('GET', '/t/hn/bad/log-flood/20'),
    over: await p.call('GET', '/t/hn/bad/log-flood/150'),
  }))
  t.same(result.within.body, { logged: 20 }, '20 lines, each with a 10 MB argument, within the budget of 100')
  t.equal(result.over.status, 503, '150 lines are over the budget')
  t.equal(result.over.body.error.code, 'SBX_ERR_HOST_CALL_LIMIT')
  t.ok(statuses.every((s) => s === 200), 'hcm kept answering')
})
