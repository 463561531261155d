import t from 'tap'
import { startPluginPlatform, type PluginPlatform } from '../helpers/plugins.ts'
import { whileNeighbourServes } from '../helpers/neighbour.ts'

// A plugin proven quick runs on its worker's own thread (no hop to isolated-vm's pool). These are
// the failure modes again, met on that path: the caller gets the same codes, the neighbour (on
// another worker, so the counts below are the plugin's alone) keeps being served, and the plugin
// goes back to the pool's threads for good.

/** How many installations run on the thread of the worker that serves hn/`mount`. */
async function onThread (p: PluginPlatform, mount: string): Promise<number> {
  const { table, supervisor } = p.platform.services.plugins
  const index = supervisor.workerIndex('tenant', table.get('hn', mount)!.spec.key)!
  return (await supervisor.stats()).filter((s) => s.tier === 'tenant')[index]!.onThread
}

/**
 * Installs `folder` at hn/`mount` and calls its quick route until it runs on its worker's thread
 * (at most 40 times). Returns whether it got there and whether every answer was a 200.
 */
async function quick (p: PluginPlatform, mount: string, folder: string): Promise<{ promoted: boolean, allOk: boolean }> {
  await p.install('hn', mount, folder)
  let allOk = true
  for (let i = 0; i < 40; i++) {
    allOk &&= (await p.call('GET', `/t/hn/${mount}/ok`)).status === 200
    if (i >= 7 && await onThread(p, mount) === 1) return { promoted: true, allOk }
  }
  return { promoted: false, allOk }
}

const keyOf = (p: PluginPlatform, mount: string): string => p.platform.services.plugins.table.get('hn', mount)!.spec.key

t.test('on the worker thread: module state, results and errors are those of the pool path', async (t) => {
  const p = await startPluginPlatform(t)
  await p.install('hn', 'm', 'misbehave')
  let counter = 0
  while (await onThread(p, 'm') === 0 && counter < 40) t.same((await p.call('GET', '/t/hn/m/state')).body, { counter: ++counter })
  t.equal(await onThread(p, 'm'), 1, `on its worker's thread after ${counter} quick requests`)
  t.same((await p.call('GET', '/t/hn/m/host-calls?n=5')).body, { done: 5 }, 'an async handler awaiting host calls')
  const budget = await p.call('GET', '/t/hn/m/host-calls')
  t.equal(budget.status, 503)
  t.equal(budget.body.error.code, 'SBX_ERR_HOST_CALL_LIMIT')
  const thrown = await p.call('GET', '/t/hn/m/throw-getter')
  t.equal(thrown.status, 500, 'a thrown object with looping getters')
  t.equal(thrown.body.error.code, 'SBX_ERR_PLUGIN_FAILED')
  t.equal((await p.call('GET', '/t/hn/m/bad-status')).body.error.code, 'SBX_ERR_BAD_RESPONSE')
  t.same((await p.call('GET', '/t/hn/m/state')).body, { counter: counter + 1 }, 'the same isolate answers throughout')
  t.equal(await onThread(p, 'm'), 1, 'and it stays on the thread')
  const status = await p.call('GET', '/api/v1/platform/status', { token: p.admin })
  const running = (status.body.workers as Array<Record<string, unknown>>).filter((w) => w.isolates !== 0)
  t.same(running.map((w) => Object.keys(w).sort()), [['heapUsed', 'isolates', 'onThread', 'rss', 'tier']], 'the platform status says which worker runs it on its thread, in the documented fields only')
  t.equal(running[0]!.onThread, 1)
})

for (const route of ['spin', 'chain']) {
  t.test(`on the worker thread, /${route}: 504 SBX_ERR_TIMEOUT, the neighbour is served, the plugin leaves the thread`, async (t) => {
    const p = await startPluginPlatform(t)
    t.same(await quick(p, 'bad', 'misbehave'), { promoted: true, allOk: true }, 'bad runs on its worker\'s thread')
    const { statuses, result } = await whileNeighbourServes(p, () => p.call('GET', `/t/hn/bad/${route}`), { otherWorkerThan: keyOf(p, 'bad') })
    t.equal(result.status, 504)
    t.equal(result.body.error.code, 'SBX_ERR_TIMEOUT')
    t.ok(statuses.length > 1 && statuses.every((s) => s === 200), `hcm kept answering 200 (${statuses.length} requests)`)
    t.equal(await onThread(p, 'bad'), 0, 'bad runs on the pool threads from now on')
    t.equal((await p.call('GET', '/t/hn/bad/ok')).status, 200, 'and serves again from a fresh isolate')
  })
}

t.test('on the worker thread, a memory bomb: 503, the worker lives, the plugin leaves the thread', async (t) => {
  const p = await startPluginPlatform(t)
  t.same(await quick(p, 'bomb', 'memory-bomb'), { promoted: true, allOk: true })
  const pids = p.platform.services.plugins.supervisor.pids('tenant')
  const { statuses, result } = await whileNeighbourServes(p, () => p.call('GET', '/t/hn/bomb/bomb'), { otherWorkerThan: keyOf(p, 'bomb') })
  t.equal(result.status, 503)
  t.equal(result.body.error.code, 'SBX_ERR_MEMORY_LIMIT')
  t.ok(statuses.every((s) => s === 200), `hcm kept answering 200 (${statuses.length} requests)`)
  t.same(p.platform.services.plugins.supervisor.pids('tenant').filter((pid) => pids.includes(pid)), pids, 'no worker died')
  t.equal(await onThread(p, 'bomb'), 0)
})

t.test('on the worker thread, work left running after the answer is stopped', async (t) => {
  const p = await startPluginPlatform(t)
  t.same(await quick(p, 'bad', 'misbehave'), { promoted: true, allOk: true })
  t.same((await p.call('GET', '/t/hn/bad/state')).body, { counter: 1 })
  const { statuses, result } = await whileNeighbourServes(p, async () => {
    const answered = await p.call('GET', '/t/hn/bad/leave-running')
    await new Promise((resolve) => setTimeout(resolve, 1000))
    return answered
  }, { otherWorkerThan: keyOf(p, 'bad') })
  t.same(result.body, { answered: true }, 'the handler answered')
  t.ok(statuses.every((s) => s === 200), `hcm kept answering (${statuses.length} requests)`)
  t.same((await p.call('GET', '/t/hn/bad/state')).body, { counter: 1 }, 'the isolate that kept burning CPU was disposed; a fresh one answers')
})

t.test('a slow request takes a plugin off the worker thread', async (t) => {
  const p = await startPluginPlatform(t)
  t.same(await quick(p, 'slow', 'misbehave'), { promoted: true, allOk: true })
  t.same((await p.call('GET', '/t/hn/slow/busy/50')).body, { waited: 50 }, 'it answers')
  t.equal(await onThread(p, 'slow'), 0, 'but runs on the pool threads from now on')
  for (let i = 0; i < 10; i++) await p.call('GET', '/t/hn/slow/ok')
  t.equal(await onThread(p, 'slow'), 0, 'for good, however quick it is again')
})

t.test('a stall now and then costs a plugin the thread for a moment; stalls that keep coming, for good', async (t) => {
  const p = await startPluginPlatform(t)
  t.same(await quick(p, 'spiky', 'misbehave'), { promoted: true, allOk: true })
  t.same((await p.call('GET', '/t/hn/spiky/busy/8')).body, { waited: 8 })
  // Eight quick requests in a row bring it back; on a loaded machine a collection in the isolate can
  // make one of them count as slow and start the eight again, so it gets up to three rounds.
  for (let i = 0; i < 24 && (i < 8 || await onThread(p, 'spiky') === 0); i++) await p.call('GET', '/t/hn/spiky/ok')
  t.equal(await onThread(p, 'spiky'), 1, 'after one 8 ms stall (as a preemption or a collection can cause) and quick requests, it is back on the thread')
  let stalls = 1
  while (await onThread(p, 'spiky') === 1 && stalls < 12) {
    t.same((await p.call('GET', '/t/hn/spiky/busy/15')).body, { waited: 15 })
    for (let i = 0; i < 8; i++) await p.call('GET', '/t/hn/spiky/ok')
    stalls++
  }
  t.equal(await onThread(p, 'spiky'), 0, `a plugin that keeps stalling the thread for 15 ms loses it for good (after ${stalls} stalls)`)
  t.ok(stalls >= 2 && stalls <= 5, 'after a few stalls (three of 15 ms after that one), not the first')
  for (let i = 0; i < 10; i++) await p.call('GET', '/t/hn/spiky/ok')
  t.equal(await onThread(p, 'spiky'), 0, 'for good')
})

t.test('a storage write is committed before its answer leaves, on either path', async (t) => {
  const p = await startPluginPlatform(t)
  await p.install('hn', 'rw', new URL('../../bench/plugins/storage-rw', import.meta.url).pathname)
  const counts: number[] = []
  for (let i = 1; i <= 16; i++) {
    t.same((await p.call('GET', '/t/hn/rw/rw')).body, { n: i })
    const [row] = await p.platform.services.db.read<{ n: number | string }>("select count(*) as n from plugin_documents where plugin = '@hn/storage-rw'")
    counts.push(Number(row!.n))
  }
  t.same(counts, Array.from({ length: 16 }, (_, i) => i + 1), 'the gateway\'s own connection sees each write as soon as the plugin has answered')
  t.equal(await onThread(p, 'rw'), 1, 'the later ones on the worker\'s thread')
})
