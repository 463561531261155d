import t from 'tap'
import { startPluginPlatform } from '../helpers/plugins.ts'

// First-party versions run each unit in a context of its own inside isolates the units share
// (sandbox/worker/plugin-isolate.ts, SharedIsolate); a tenant's plugin keeps isolates of its own.
const units = Array.from({ length: 24 }, (_, i) => `hn-xa-${i + 1}`)

t.test("units sharing a first-party plugin's isolates keep their state, settings, storage and failures to themselves", async (t) => {
  const p = await startPluginPlatform(t)
  for (const [index, code] of units.entries()) {
    t.equal((await p.call('POST', '/api/v1/tenants/hn/children', { token: p.admin, body: { code, name: `Xã Đông Hòa ${index + 1}` } })).status, 201)
    await p.install(code, 'state', 'unit-state', { settings: { greeting: `Chào xã ${index + 1}` } })
  }
  await p.install('hcm', 'hello', `${new URL('../../examples/hello', import.meta.url).pathname}`)
  await p.install('hn', 'hello', `${new URL('../../examples/hello', import.meta.url).pathname}`)

  // Each unit's first request, then its second: its own count, its own globals and builtins, its own settings.
  for (const round of [1, 2]) {
    for (const [index, code] of units.entries()) {
      const { status, body } = await p.call('GET', `/t/${code}/state/state`)
      t.equal(status, 200)
      t.same(body, { tenant: code, count: round, before: round === 1 ? null : code, prototype: code, settings: { greeting: `Chào xã ${index + 1}` } }, `${code}, request ${round}`)
    }
  }
  const stats = await p.platform.services.plugins.supervisor.stats()
  const firstParty = stats.filter((s) => s.tier === 'first-party').reduce((n, s) => n + s.isolates, 0)
  t.ok(firstParty >= 1 && firstParty <= 4, `24 units in ${firstParty} first-party isolate(s)`)
  await p.call('GET', '/t/hn/hello/hello')
  await p.call('GET', '/t/hcm/hello/hello')
  const tenant = (await p.platform.services.plugins.supervisor.stats()).filter((s) => s.tier === 'tenant').reduce((n, s) => n + s.isolates, 0)
  t.ok(tenant >= 2, `a tenant plugin's two installations: ${tenant} isolates of their own`)

  // Many units' requests under way at once, each awaiting host calls between its steps: every write is its own unit's.
  const answers = await Promise.all(units.flatMap((code) => [1, 2, 3].map(() => p.call('POST', `/t/${code}/state/notes`, { body: {} }))))
  t.ok(answers.every((a) => a.status === 200), 'all answered')
  t.ok(answers.every((a, i) => a.body.tenant === units[Math.floor(i / 3)] && a.body.stored === a.body.tenant), 'each read back its own unit')
  for (const code of units) {
    const { body } = await p.call('GET', `/t/${code}/state/notes`)
    t.same(body, [code, code, code], `${code} holds its three notes and no other unit's`)
  }

  // One unit's request that never ends: it alone fails; the units beside it go on (their contexts made again).
  const spun = await p.call('GET', `/t/${units[0]}/state/spin`)
  t.equal(spun.status, 504)
  t.equal(spun.body.error.code, 'SBX_ERR_TIMEOUT')
  for (const code of units.slice(1, 6)) {
    const { status, body } = await p.call('GET', `/t/${code}/state/state`)
    t.equal(status, 200, `${code} still served`)
    t.equal(body.tenant, code)
  }
  t.equal((await p.call('GET', `/t/${units[0]}/state/state`)).body.tenant, units[0], 'and the unit that spun serves again')
})
