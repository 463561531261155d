// SQLite pass only: what is tested is the isolate, the worker process or the HTTP layer, not storage.
import t from 'tap'
import { startPluginPlatform } from '../helpers/plugins.ts'
import { whileNeighbourServes } from '../helpers/neighbour.ts'

t.test("this.constructor.constructor('return process')() finds no process", async (t) => {
  const p = await startPluginPlatform(t)
  await p.install('hn', 'bad', 'misbehave')
  const { statuses, result } = await whileNeighbourServes(p, () => p.call('GET', '/t/hn/bad/escape'))
  t.equal(result.status, 200)
  t.same(result.body, {
    constructorProcess: 'undefined',
    functionProcess: 'undefined',
    require: 'undefined',
    globalProcess: 'undefined',
    viaError: 'undefined',
  }, 'every path to the host process comes back empty')
  t.ok(statuses.every((s) => s === 200), 'hcm kept answering')
})

t.test('the whole global graph holds no isolated-vm object, require or process', async (t) => {
  const p = await startPluginPlatform(t)
  await p.install('hn', 'bad', 'misbehave')
  const { statuses, result } = await whileNeighbourServes(p, () => p.call('GET', '/t/hn/bad/globals'))
  t.equal(result.status, 200)
  t.ok(result.body.visited > 500, `${result.body.visited} objects walked (globals, prototypes, getters)`)
  t.same(result.body.found, [], 'nothing found: no Reference, ExternalCopy, Callback, require, process or SDK internals')
  t.ok(statuses.every((s) => s === 200), 'hcm kept answering')
})
