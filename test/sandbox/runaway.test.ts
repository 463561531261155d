import t from 'tap'
import { captureLog } from '../helpers/log-capture.ts'
import { startPluginPlatform } from '../helpers/plugins.ts'
import { until } from '../helpers/wait.ts'

/** A platform whose log lines the test reads (the pool reports each isolate it ends as runaway). */
async function withLog (t: Parameters<typeof startPluginPlatform>[0]) {
  const log = captureLog()
  const p = await startPluginPlatform(t, {}, { logger: log.logger })
  const runaways = (): Array<Record<string, any>> => log.entries().filter((entry) => entry.event === 'runaway')
  return { p, runaways }
}

// An isolate that burns CPU with no request running (code a finished request left behind) is ended by its pool
// (sandbox/worker/isolate-pool.ts): the next request gets a fresh one at once instead of waiting on the spinning one.
// Ten times the pool's threshold (100 ms) is the most it may take to be seen.
t.test("code left running after a tenant plugin's answer is ended, and the plugin serves again at once", async (t) => {
  const { p, runaways } = await withLog(t)
  await p.install('hn', 'runaway', 'runaway')
  t.same((await p.call('GET', '/t/hn/runaway/runaway')).body, { answered: true })
  await new Promise((resolve) => setTimeout(resolve, 1000))
  const started = Date.now()
  const ping = await p.call('GET', '/t/hn/runaway/ping')
  t.equal(ping.status, 200)
  t.same(ping.body, { pong: 'hn' })
  t.ok(Date.now() - started < 1000, `answered in ${Date.now() - started} ms, not after the 5 s spin`)
  t.same((await until(async () => runaways(), (found) => found.length > 0, 3000)).map((entry) => entry.tenant), ['hn'], 'and the spinning isolate was ended')
})

t.test('in an isolate units share, one unit left spinning does not hold the others', async (t) => {
  const { p, runaways } = await withLog(t)
  const units = ['hn-xa-a', 'hn-xa-b', 'hn-xa-c']
  for (const code of units) {
    await p.call('POST', '/api/v1/tenants/hn/children', { token: p.admin, body: { code, name: `Xã ${code.slice(-1).toUpperCase()}` } })
    await p.install(code, 'state', 'unit-state')
    t.equal((await p.call('GET', `/t/${code}/state/state`)).status, 200)
  }
  t.same((await p.call('GET', `/t/${units[0]}/state/runaway`)).body, { answered: true })
  // Not one of the pool's runaway checks may count another unit's requests as CPU burnt while idle.
  for (let i = 0; i < 20; i++) { const r = await p.call('GET', `/t/${units[1 + (i % 2)]}/state/state`); t.equal(r.status, 200, JSON.stringify(r.body)) }
  await new Promise((resolve) => setTimeout(resolve, 1000))
  const started = Date.now()
  for (const code of units) {
    const { status, body } = await p.call('GET', `/t/${code}/state/state`)
    t.equal(status, 200, `${code} served`)
    t.equal(body.tenant, code)
  }
  t.ok(Date.now() - started < 1500, `three units answered in ${Date.now() - started} ms, not after the 5 s spin`)
  t.ok((await until(async () => runaways(), (found) => found.length > 0, 3000)).length > 0, 'and the shared isolate left spinning was ended')
})
