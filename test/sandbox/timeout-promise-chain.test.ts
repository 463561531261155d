// SQLite pass only: what is tested is the isolate, the worker process or the HTTP layer, not storage.
import t from 'tap'
import { startPluginPlatform } from '../helpers/plugins.ts'
import { whileNeighbourServes } from '../helpers/neighbour.ts'

t.test('an endless promise chain: 504 although every step returns at once', async (t) => {
  const p = await startPluginPlatform(t)
  await p.install('hn', 'bad', 'misbehave')
  const { statuses, result } = await whileNeighbourServes(p, () => p.call('GET', '/t/hn/bad/chain'))
  t.equal(result.status, 504)
  t.equal(result.body.error.code, 'SBX_ERR_TIMEOUT')
  t.ok(statuses.length > 2 && statuses.every((s) => s === 200), `hcm kept answering 200 (${statuses.length} requests)`)
  t.equal((await p.call('GET', '/t/hn/bad/ok')).status, 200, 'the plugin serves again from a fresh isolate')
})

t.test('work left running after the answer is stopped', async (t) => {
  const p = await startPluginPlatform(t)
  await p.install('hn', 'bad', 'misbehave')
  t.same((await p.call('GET', '/t/hn/bad/state')).body, { counter: 1 })
  const { statuses, result } = await whileNeighbourServes(p, async () => {
    const answered = await p.call('GET', '/t/hn/bad/leave-running')
    await new Promise((resolve) => setTimeout(resolve, 1000))
    return answered
  })
  t.same(result.body, { answered: true }, 'the handler answered')
  t.ok(statuses.every((s) => s === 200), 'hcm kept answering')
  const after = await p.call('GET', '/t/hn/bad/state')
  t.same(after.body, { counter: 1 }, 'the isolate that kept burning CPU was disposed; a fresh one answers')
})
