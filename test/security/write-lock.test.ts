import t from 'tap'
import { ADMIN_PASSWORD } from '../helpers/platform.ts'
import { whileNeighbourServes } from '../helpers/neighbour.ts'
import { startPluginPlatform, type PluginPlatform } from '../helpers/plugins.ts'

/** How many installations run on the thread of the worker that serves tenant/`mount`. */
async function onThread (p: PluginPlatform, tenant: string, mount: string): Promise<number> {
  const { table, supervisor } = p.platform.services.plugins
  const index = supervisor.workerIndex('tenant', table.get(tenant, mount)!.spec.key)!
  return (await supervisor.stats()).filter((s) => s.tier === 'tenant')[index]!.onThread
}

async function promote (p: PluginPlatform, tenant: string, mount: string): Promise<boolean> {
  for (let i = 0; i < 40; i++) {
    await p.call('GET', `/t/${tenant}/${mount}/ok`)
    if (i >= 7 && await onThread(p, tenant, mount) === 1) return true
  }
  return false
}

t.test('a plugin that writes without awaiting and then loops holds the write lock and the worker\'s thread 250 ms at most', async (t) => {
  const p = await startPluginPlatform(t, { workers: 1 })
  await p.install('hn', 'lock', 'lock-holder')
  t.same((await p.call('GET', '/t/hn/lock/count')).body, { notes: 0 }, 'its worker has its database open')
  t.ok(await promote(p, 'hn', 'lock'), 'proven quick, it runs on its worker\'s thread')
  const started = performance.now()
  const { statuses, result: [answer, signIn, unit] } = await whileNeighbourServes(p, async () => {
    const attack = p.call('GET', '/t/hn/lock/hold/6000')
    await new Promise((resolve) => setTimeout(resolve, 50))
    // Writes of the gateway and of other plugins while the plugin loops: a sign-in (audited), a new unit.
    const signIn = await p.call('POST', '/api/v1/auth/token', { body: { username: 'admin', password: ADMIN_PASSWORD } })
    const unit = await p.call('POST', '/api/v1/tenants/hn/children', { token: p.admin, body: { code: 'hn-hoan-kiem', name: 'Phường Hoàn Kiếm' } })
    return [await attack, signIn, unit] as const
  })
  t.ok(statuses.every((s) => s === 200), 'hcm, on the same worker, kept answering')
  t.equal(signIn.status, 200, 'a sign-in during the loop')
  t.equal(unit.status, 201, 'a new commune during the loop')
  t.equal(answer.status, 504, 'the loop on the worker\'s thread is stopped')
  t.equal(answer.body.error.code, 'SBX_ERR_TIMEOUT')
  t.ok(performance.now() - started < 5000, 'long before its own 8 s time limit')
  // SQLite answers the write on the thread, committed before the loop; on PostgreSQL every write
  // waits for the host, so the write of a request stopped before the host got to it is refused.
  const expected = process.env.NENTANG_TEST_DATABASE === 'postgres' ? 0 : 1
  t.same((await p.call('GET', '/t/hn/lock/count')).body, { notes: expected }, 'the write is committed, or refused with its request: never left half done')
})

t.test('once a version has blocked the thread, no installation of it runs there again, not even after a restart', async (t) => {
  const p = await startPluginPlatform(t, { workers: 1 })
  await p.install('hn', 'lock', 'lock-holder')
  t.ok(await promote(p, 'hn', 'lock'))
  t.equal((await p.call('GET', '/t/hn/lock/hold/300')).status, 504)
  t.equal(await onThread(p, 'hn', 'lock'), 0, 'off the thread')
  await p.install('hcm', 'lock', 'lock-holder')
  t.notOk(await promote(p, 'hcm', 'lock'), 'another unit\'s installation of the same version stays off it')
  const { supervisor } = p.platform.services.plugins
  process.kill(supervisor.pids('tenant')[0]!, 'SIGKILL')
  await new Promise((resolve) => setTimeout(resolve, 300))
  t.notOk(await promote(p, 'hn', 'lock'), 'after the worker restarts, still off')
  const held = await p.call('GET', '/t/hn/lock/hold/300')
  t.equal(held.status, 200, 'off the thread it has its own time limit')
})
