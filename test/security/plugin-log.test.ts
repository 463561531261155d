// SQLite pass only: what is tested is the isolate, the worker process or the HTTP layer, not storage.
import t from 'tap'
import { captureLog } from '../helpers/log-capture.ts'
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

t.test('every line a plugin logs names its request, before an await and after it, the last just before the answer, on and off the worker\'s thread', async (t) => {
  const log = captureLog()
  const p = await startPluginPlatform(t, {}, { logger: log.logger })
  await p.install('hn', 'bad', 'misbehave')
  // Off the worker's thread at first, on it once proven quick (isolate-pool.ts): both paths.
  for (let i = 0; i < 12; i++) {
    const answer = await p.call('GET', '/t/hn/bad/log-after-await')
    t.same(answer.body, { logged: 2 })
    const id = answer.headers.get('x-request-id')
    await new Promise((resolve) => setTimeout(resolve, 50))
    const logged = log.entries().filter((line) => line.source === 'plugin' && (line.msg === 'trước khi chờ' || line.msg === 'sau khi chờ') && line.requestId === id)
    t.same(logged.map((line) => line.msg), ['trước khi chờ', 'sau khi chờ'], `request ${i + 1}: both lines carry its id`)
  }
})
