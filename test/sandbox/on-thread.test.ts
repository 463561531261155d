import t from 'tap'
import { startPluginPlatform, type PluginPlatform } from '../helpers/plugins.ts'
import { whileNeighbourServes } from '../helpers/neighbour.ts'

// A plugin proven quick runs on its worker's own thread (no hop to isolated-vm's pool). These are
// the failure modes again, met on that path: the caller gets the same codes, the neighbour keeps
// being served, and the plugin goes back to the pool's threads for good.

const onThread = async (p: PluginPlatform): Promise<number> =>
  (await p.platform.services.plugins.supervisor.stats()).filter((s) => s.tier === 'tenant').reduce((n, s) => n + s.onThread, 0)

/**
 * Installs `folder` at hn/`mount` and calls its quick route ten times, which should move it onto
 * the worker's thread; also calls the neighbour as often, so it is there too before the test.
 * Returns the statuses and how many installations the workers run on their thread before and after.
 */
async function quick (p: PluginPlatform, mount: string, folder: string): Promise<{ statuses: number[], before: number, after: number }> {
  await p.install('hn', mount, folder)
  const before = await onThread(p)
  const statuses: number[] = []
  for (let i = 0; i < 10; i++) statuses.push((await p.call('GET', `/t/hn/${mount}/ok`)).status)
  return { statuses, before, after: await onThread(p) }
}

t.test('on the worker thread: module state, results and errors are those of the pool path', async (t) => {
  const p = await startPluginPlatform(t)
  await p.install('hn', 'm', 'misbehave')
  for (let i = 1; i <= 12; i++) t.same((await p.call('GET', '/t/hn/m/state')).body, { counter: i }, `request ${i}`)
  t.equal(await onThread(p), 1)
  t.same((await p.call('GET', '/t/hn/m/host-calls?n=5')).body, { done: 5 }, 'an async handler awaiting host calls')
  const budget = await p.call('GET', '/t/hn/m/host-calls')
  t.equal(budget.status, 503)
  t.equal(budget.body.error.code, 'SBX_ERR_HOST_CALL_LIMIT')
  const thrown = await p.call('GET', '/t/hn/m/throw-getter')
  t.equal(thrown.status, 500, 'a thrown object with looping getters')
  t.equal(thrown.body.error.code, 'SBX_ERR_PLUGIN_FAILED')
  t.equal((await p.call('GET', '/t/hn/m/bad-status')).body.error.code, 'SBX_ERR_BAD_RESPONSE')
  t.same((await p.call('GET', '/t/hn/m/state')).body, { counter: 13 }, 'the same isolate answers throughout')
})

for (const [route, status, code] of [['spin', 504, 'SBX_ERR_TIMEOUT'], ['chain', 504, 'SBX_ERR_TIMEOUT']] as const) {
  t.test(`on the worker thread, /${route}: ${status} ${code}, the neighbour is served, the plugin leaves the thread`, async (t) => {
    const p = await startPluginPlatform(t)
    const promoted = await quick(p, 'bad', 'misbehave')
    t.same(promoted, { statuses: Array(10).fill(200), before: 0, after: 1 }, 'bad runs on its worker\'s thread after ten quick requests')
    const { statuses, result } = await whileNeighbourServes(p, () => p.call('GET', `/t/hn/bad/${route}`))
    t.equal(result.status, status)
    t.equal(result.body.error.code, code)
    t.ok(statuses.length > 1 && statuses.every((s) => s === 200), `hcm kept answering 200 (${statuses.length} requests)`)
    for (let i = 0; i < 10; i++) await p.call('GET', '/t/hcm/hello/hello')
    t.equal(await onThread(p), 1, 'bad runs on the pool threads from now on (only the neighbour is on a thread)')
    t.equal((await p.call('GET', '/t/hn/bad/ok')).status, 200, 'and serves again from a fresh isolate')
  })
}

t.test('on the worker thread, a memory bomb: 503, the worker lives, the plugin leaves the thread', async (t) => {
  const p = await startPluginPlatform(t)
  t.same(await quick(p, 'bomb', 'memory-bomb'), { statuses: Array(10).fill(200), before: 0, after: 1 })
  const pids = p.platform.services.plugins.supervisor.pids('tenant')
  const { statuses, result } = await whileNeighbourServes(p, () => p.call('GET', '/t/hn/bomb/bomb'))
  t.equal(result.status, 503)
  t.equal(result.body.error.code, 'SBX_ERR_MEMORY_LIMIT')
  t.ok(statuses.every((s) => s === 200), `hcm kept answering 200 (${statuses.length} requests)`)
  t.same(p.platform.services.plugins.supervisor.pids('tenant'), pids, 'no worker died')
  for (let i = 0; i < 10; i++) await p.call('GET', '/t/hcm/hello/hello')
  t.equal(await onThread(p), 1, 'only the neighbour runs on a thread')
})

t.test('on the worker thread, work left running after the answer is stopped', async (t) => {
  const p = await startPluginPlatform(t)
  t.same(await quick(p, 'bad', 'misbehave'), { statuses: Array(10).fill(200), before: 0, after: 1 })
  t.same((await p.call('GET', '/t/hn/bad/state')).body, { counter: 1 })
  const { statuses, result } = await whileNeighbourServes(p, async () => {
    const answered = await p.call('GET', '/t/hn/bad/leave-running')
    await new Promise((resolve) => setTimeout(resolve, 1000))
    return answered
  })
  t.same(result.body, { answered: true }, 'the handler answered')
  t.ok(statuses.every((s) => s === 200), `hcm kept answering (${statuses.length} requests)`)
  t.same((await p.call('GET', '/t/hn/bad/state')).body, { counter: 1 }, 'the isolate that kept burning CPU was disposed; a fresh one answers')
})

t.test('a slow request takes a plugin off the worker thread', async (t) => {
  const p = await startPluginPlatform(t)
  t.same(await quick(p, 'slow', 'misbehave'), { statuses: Array(10).fill(200), before: 0, after: 1 })
  t.same((await p.call('GET', '/t/hn/slow/busy/50')).body, { waited: 50 }, 'it answers')
  t.equal(await onThread(p), 0, 'but runs on the pool threads from now on')
  for (let i = 0; i < 10; i++) await p.call('GET', '/t/hn/slow/ok')
  t.equal(await onThread(p), 0, 'for good, however quick it is again')
})
