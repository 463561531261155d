import t from 'tap'
import { startPluginPlatform, type PluginPlatform } from '../helpers/plugins.ts'
import { whileNeighbourServes } from '../helpers/neighbour.ts'

async function restartedWithin (p: PluginPlatform, ms: number): Promise<number> {
  const started = Date.now()
  for (;;) {
    const response = await p.call('GET', '/t/hn/bad/ok')
    if (response.status === 200) return Date.now() - started
    if (Date.now() - started > ms) throw new Error(`not serving ${ms} ms after the crash: ${response.status}`)
    await new Promise((resolve) => setTimeout(resolve, 20))
  }
}

// Two tenant workers, and hcm's plugin on the other one, so the crash of hn's worker costs hcm nothing.
async function setUp (t: { equal(a: unknown, b: unknown): void, teardown(fn: () => unknown): void }): Promise<PluginPlatform> {
  const p = await startPluginPlatform(t, { workers: 2 })
  await p.install('hn', 'bad', 'misbehave')
  t.equal((await p.call('GET', '/t/hn/bad/ok')).status, 200)
  return p
}

t.test('an allocation that aborts V8 kills only its worker: 503, restarted, serving within 2 s', async (t) => {
  const p = await setUp(t)
  const { supervisor } = p.platform.services.plugins
  const before = supervisor.pids('tenant')
  const key = p.platform.services.plugins.table.get('hn', 'bad')!.spec.key
  const { statuses, result } = await whileNeighbourServes(p, async () => {
    const crashed = await p.call('GET', '/t/hn/bad/abort')
    return { crashed, restartMs: await restartedWithin(p, 2000) }
  }, { otherWorkerThan: key })
  t.equal(result.crashed.status, 503)
  t.equal(result.crashed.body.error.code, 'SBX_ERR_WORKER_CRASHED')
  t.ok(result.restartMs < 2000, `serving again ${result.restartMs} ms after the crash`)
  t.notSame(supervisor.pids('tenant'), before, 'a new worker process replaced the dead one')
  t.ok(statuses.length > 2 && statuses.every((s) => s === 200), `hcm, on the other worker, kept answering 200 (${statuses.length} requests)`)
  t.equal((await p.call('GET', '/healthz')).status, 200, 'the gateway lives')
})

t.test('SIGKILL to the worker mid-request: 503, restarted, serving within 2 s', async (t) => {
  const p = await setUp(t)
  const { supervisor } = p.platform.services.plugins
  const key = p.platform.services.plugins.table.get('hn', 'bad')!.spec.key
  const { statuses, result } = await whileNeighbourServes(p, async () => {
    const inFlight = p.call('GET', '/t/hn/bad/busy/250')
    await new Promise((resolve) => setTimeout(resolve, 100))
    process.kill(supervisor.pidFor('tenant', key)!, 'SIGKILL')
    const killed = await inFlight
    return { killed, restartMs: await restartedWithin(p, 2000) }
  }, { otherWorkerThan: key })
  t.equal(result.killed.status, 503)
  t.equal(result.killed.body.error.code, 'SBX_ERR_WORKER_CRASHED')
  t.ok(result.restartMs < 2000, `serving again ${result.restartMs} ms after SIGKILL`)
  t.ok(statuses.length > 2 && statuses.every((s) => s === 200), `hcm, on the other worker, kept answering 200 (${statuses.length} requests)`)
})

