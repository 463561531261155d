import t from 'tap'
import { whileNeighbourServes } from '../helpers/neighbour.ts'
import { startPluginPlatform, type PluginPlatform } from '../helpers/plugins.ts'
import { startTestPlatform } from '../helpers/platform.ts'
import { publishFixture } from '../helpers/registry.ts'
import { until } from '../helpers/wait.ts'

const testDialect = process.env.NENTANG_TEST_DATABASE ?? 'sqlite'

type Run = { handler: string, payload?: any, user?: unknown, at?: number, key?: string }

const runsAt = (p: PluginPlatform, tenant = 'hn') => async (): Promise<Run[]> => (await p.call('GET', `/t/${tenant}/rem/ran`)).body.runs

const publishReminder = (p: PluginPlatform, admin: string): Promise<void> => publishFixture(p, admin, 'reminder')

t.test('a timer runs its handler once, when it falls due, with its payload and no user', async (t) => {
  const p = await startPluginPlatform(t)
  await p.install('hn', 'rem', 'reminder')
  const setAt = Date.now()
  const set = await p.call('POST', '/t/hn/rem/set', { body: { inMs: 400, payload: { hồSơ: 'HS-2026-001', hạn: 'ngày 15' } } })
  t.match(set.body, { id: /^[0-9a-f-]{36}$/ })
  const { statuses, result: runs } = await whileNeighbourServes(p, () => until(runsAt(p), (r) => r.length > 0, 5000))
  t.ok(statuses.length > 0 && statuses.every((s) => s === 200), `a neighbour tenant was served while the timer waited and ran (${statuses.length} requests)`)
  t.equal(runs.length, 1)
  t.match(runs[0], { handler: 'remind', payload: { hồSơ: 'HS-2026-001', hạn: 'ngày 15' }, user: null })
  t.ok(runs[0]!.at! >= setAt + 400, `not before it was due (${runs[0]!.at! - setAt} ms after it was set)`)
  await new Promise((resolve) => setTimeout(resolve, 800))
  t.equal((await runsAt(p)()).length, 1, 'and only once')
})

t.test('a failing handler is tried again until it succeeds; a cancelled timer does not run; bad timers are refused', async (t) => {
  const p = await startPluginPlatform(t)
  await p.install('hn', 'rem', 'reminder')
  await p.call('POST', '/t/hn/rem/set', { body: { handler: 'flaky', payload: { key: 'k1', failures: 2 } } })
  const cancelled = (await p.call('POST', '/t/hn/rem/set', { body: { inMs: 600, payload: { never: true } } })).body.id
  t.same((await p.call('POST', '/t/hn/rem/cancel', { body: { id: cancelled } })).body, { cancelled: true })
  t.same((await p.call('POST', '/t/hn/rem/cancel', { body: { id: cancelled } })).body, { cancelled: false }, 'a second time: nothing to cancel')
  const runs = await until(runsAt(p), (r) => r.some((run) => run.handler === 'flaky'), 10_000)
  t.equal(runs.filter((run) => run.handler === 'flaky-try').length, 3, 'two failures, then a success')
  t.equal(runs.filter((run) => run.handler === 'flaky').length, 1)
  t.notOk(runs.some((run) => run.payload?.never === true), 'the cancelled timer did not run')
  const set = async (body: unknown): Promise<any> => (await p.call('POST', '/t/hn/rem/set', { body })).body
  t.match(await set({ handler: 'ran' }), { error: 'PermissionDenied', message: /permissions.timers/ }, 'a handler the manifest does not name for timers')
  t.match(await set({ when: 'sau ba ngày' }), { error: 'InvalidArgument', message: /ISO 8601/ })
  t.match(await set({ when: Date.now() + 400 * 24 * 3600_000 }), { error: 'InvalidArgument', message: /366 days/ })
  t.match(await set({ payload: { text: 'đ'.repeat(20_000) } }), { error: 'InvalidArgument', message: /16384/ })
})

t.test('an installation keeps at most 100,000 timers waiting: the next is refused, a neighbour installation is not', async (t) => {
  const p = await startPluginPlatform(t)
  await p.install('hn', 'rem', 'reminder')
  await p.install('hn', 'rem2', 'reminder')
  const { db } = p.platform.services
  const hn = await db.knex('tenants').where({ code: 'hn' }).first()
  // A province's open dossiers, each with its deadline (set straight in the table: 99,999 of them).
  const now = new Date().toISOString()
  const rows = Array.from({ length: 99_999 }, (_, i) => ({ timer_id: `bulk-${i}`, tenant_id: hn.id, mount: 'rem', plugin: '@hn/reminder', handler: 'remind', payload: '{}', due_at: '2027-06-30T00:00:00.000Z', attempts: 0, created_at: now }))
  await db.knex.batchInsert('plugin_timers', rows, 400)
  const set = async (mount: string): Promise<any> => (await p.call('POST', `/t/hn/${mount}/set`, { body: { inMs: 3600_000 } })).body
  t.match(await set('rem'), { id: /^[0-9a-f-]{36}$/ }, 'the 100,000th is set')
  t.match(await set('rem'), { error: 'QuotaExceeded', message: /at most 100000 timers waiting/ }, 'the next is refused')
  t.match(await set('rem2'), { id: /^[0-9a-f-]{36}$/ }, 'another installation of the unit still sets its own')
  t.equal(Number((await db.knex('plugin_timers').where({ mount: 'rem' }).count({ n: '*' }))[0]!.n), 100_000, 'nothing past the limit was written')
})

t.test('a timer of a version revoked before it falls due does not run', async (t) => {
  const p = await startPluginPlatform(t)
  await publishReminder(p, p.admin)
  t.equal((await p.call('PUT', '/api/v1/tenants/hn/plugins/rem', { token: p.admin, body: { package: '@hn/reminder', version: '1.0.0' } })).status, 200)
  t.match((await p.call('POST', '/t/hn/rem/set', { body: { inMs: 1200 } })).body, { id: /./ })
  t.equal((await p.call('POST', '/api/v1/registry/packages/hn/reminder/versions/1.0.0/revoke', { token: p.admin, body: { reason: 'gửi nhắc nhở sai người' } })).status, 200)
  const { db } = p.platform.services
  const waiting = await until(async () => Number((await db.knex('plugin_timers').count({ n: '*' }))[0]!.n), (n) => n === 0, 5000)
  t.equal(waiting, 0, 'the timer was dropped')
  t.equal(Number((await db.knex('plugin_documents').where({ plugin: '@hn/reminder' }).count({ n: '*' }))[0]!.n), 0, 'without running')
})

t.test('two gateway nodes never run one timer twice', { skip: testDialect === 'postgres' ? false : 'several gateway nodes share a PostgreSQL database; this runs in the PostgreSQL pass' }, async (t) => {
  const a = await startPluginPlatform(t)
  const b = await startTestPlatform(t, {}, a)
  await publishReminder(a, a.admin)
  t.equal((await a.call('PUT', '/api/v1/tenants/hn/plugins/rem', { token: a.admin, body: { package: '@hn/reminder', version: '1.0.0' } })).status, 200)
  const due = Date.now() + 1000
  await Promise.all(Array.from({ length: 60 }, (_, i) => (i % 2 === 0 ? a : b).call('POST', '/t/hn/rem/set', { body: { when: due, payload: { n: i } } })))
  // Sixty handlers on two nodes beside the rest of the suite: generous time, an exact check (none twice, none lost).
  const runs = await until(runsAt(a), (r) => r.length >= 60, 30_000)
  const ran = runs.map((run) => run.payload.n as number)
  t.same(ran.filter((n, i) => ran.indexOf(n) !== i), [], 'none ran twice')
  t.same(Array.from({ length: 60 }, (_, i) => i).filter((n) => !ran.includes(n)), [], 'none was lost')
})
