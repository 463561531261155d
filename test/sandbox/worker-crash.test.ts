// SQLite pass only: what is tested is the isolate, the worker process or the HTTP layer, not storage.
import t from 'tap'
import { examples, startPluginPlatform, type PluginPlatform } from '../helpers/plugins.ts'
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

/**
 * The tenant tier's standby worker, once it has started (the supervisor forks it 2 s after the tier's first worker).
 */
async function standbyReady (p: PluginPlatform): Promise<number> {
  const { supervisor } = p.platform.services.plugins
  for (let i = 0; i < 200; i++) {
    const standby = supervisor.standby('tenant')
    if (standby !== undefined) {
      await standby.ready
      return standby.pid!
    }
    await new Promise((resolve) => setTimeout(resolve, 50))
  }
  throw new Error('no standby worker 10 s after the first tenant worker started')
}

// Two tenant workers, and hcm's plugin on the other one, so the crash of hn's worker costs hcm nothing.
// The platform has been up long enough to hold its standby worker, as one in service does.
async function setUp (t: { equal(a: unknown, b: unknown): void, teardown(fn: () => unknown): void }): Promise<PluginPlatform & { standbyPid: number }> {
  const p = await startPluginPlatform(t, { workers: 2 })
  await p.install('hn', 'bad', 'misbehave')
  t.equal((await p.call('GET', '/t/hn/bad/ok')).status, 200)
  // Both workers started (each on its first request), or the neighbour's would take the standby.
  for (let i = 0; p.platform.services.plugins.supervisor.pids('tenant').length < 2 && i < 50; i++) {
    await p.install('hcm', `start-${i}`, `${examples}hello`)
    await p.call('GET', `/t/hcm/start-${i}/hello`)
  }
  return Object.assign(p, { standbyPid: await standbyReady(p) })
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
  t.equal(supervisor.pidFor('tenant', key), p.standbyPid, 'the standby worker took its place')
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
  t.equal(supervisor.pidFor('tenant', key), p.standbyPid, 'the standby worker took its place')
  t.ok(statuses.length > 2 && statuses.every((s) => s === 200), `hcm, on the other worker, kept answering 200 (${statuses.length} requests)`)
})

t.test('killed again before the next standby is ready: a worker starts cold, serves again, and a standby follows', async (t) => {
  const p = await setUp(t)
  const { supervisor } = p.platform.services.plugins
  const key = p.platform.services.plugins.table.get('hn', 'bad')!.spec.key
  process.kill(supervisor.pidFor('tenant', key)!, 'SIGKILL')
  await restartedWithin(p, 2000)
  t.equal(supervisor.pidFor('tenant', key), p.standbyPid, 'the first restart took the standby')
  t.equal(supervisor.standby('tenant'), undefined, 'the next standby is not forked at once')
  t.same((await p.call('GET', '/api/v1/platform/status', { token: p.admin })).body.standby, { 'first-party': false, tenant: false }, 'the platform status says none waits')
  process.kill(p.standbyPid, 'SIGKILL')
  const coldMs = await restartedWithin(p, 15_000)
  const cold = supervisor.pidFor('tenant', key)
  t.ok(cold !== undefined && cold !== p.standbyPid, `a new worker started cold and served again after ${coldMs} ms`)
  const next = await standbyReady(p)
  t.ok(next !== cold && supervisor.pids('tenant').every((pid) => pid !== next), 'a new standby waits, serving nothing')
  t.same((await p.call('GET', '/api/v1/platform/status', { token: p.admin })).body.standby, { 'first-party': false, tenant: true }, 'the platform status says so')
  const pids = [...supervisor.pids('tenant'), next]
  await p.platform.close()
  t.same(pids.filter((pid) => { try { process.kill(pid, 0); return true } catch { return false } }), [], 'closing the platform stops the standby too')
})
