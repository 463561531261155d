import t from 'tap'
import { createDatabase } from '../../core/db/database.ts'
import { signInAdmin, startCluster } from '../helpers/cluster.ts'
import { testDialect } from '../helpers/database.ts'
import { request } from '../helpers/http.ts'
import { publishFixture } from '../helpers/registry.ts'
import { until } from '../helpers/wait.ts'

const POSTGRES_ONLY = testDialect !== 'postgres' && 'several nodes share PostgreSQL; SQLite is one node'
const TIMERS = 600
const JOBS = ['audit-retention', 'event-retention', 'file-sweep', 'inactive-accounts', 'session-sweep']

/**
 * Three nodes on one database; timers set through all of them and the cluster's sweeps made due again and again; one
 * node SIGKILLed midway. Every timer runs (none lost); a timer runs twice only if the killed node held it when it
 * died (its lease runs out and another node runs it); each sweep runs once per period, by one node.
 */
t.test('scheduled work runs once across three nodes, one of them killed midway', { skip: POSTGRES_ONLY }, async (t) => {
  const cluster = await startCluster(t)
  const [a, b, c] = cluster.nodes as [typeof cluster.nodes[0], typeof cluster.nodes[0], typeof cluster.nodes[0]]
  const db = createDatabase(cluster.env.NENTANG_DATABASE_URL!)
  t.teardown(() => db.close())
  const admin = await signInAdmin(a.url)
  const at = (url: string) => ({
    url,
    call: (method: string, path: string, options = {}) => request(url, method, path, options),
    async signIn (username: string, password: string) {
      return (await request(url, 'POST', '/api/v1/auth/token', { body: { username, password } })).body.token as string
    },
  })
  t.equal((await request(a.url, 'POST', '/api/v1/tenants/vn/children', { token: admin, body: { code: 'hn', name: 'Thành phố Hà Nội' } })).status, 201)
  await publishFixture(at(a.url), admin, 'reminder')
  t.equal((await request(b.url, 'PUT', '/api/v1/tenants/hn/plugins/rem', { token: admin, body: { package: '@hn/reminder', version: '1.0.0' } })).status, 200)

  // 600 timers set through the three nodes, due in an hour; made due all at one moment below, when each node claims
  // them twenty at a time.
  const due = Date.now() + 3600_000
  const refused: unknown[] = []
  let next = 0
  await Promise.all(Array.from({ length: 12 }, async () => {
    for (let n = next++; n < TIMERS; n = next++) {
      const set = await request([a, b, c][n % 3]!.url, 'POST', '/t/hn/rem/set', { body: { when: due, payload: { n } } })
      if (set.status !== 200 || set.body.id === undefined) refused.push(set.body)
    }
  }))
  t.same(refused, [], 'every timer was set (twelve clients at a time)')

  // The sweeps, made due again and again: three periods before the kill, three after it.
  const periods = async (rounds: number): Promise<void> => {
    for (let round = 0; round < rounds; round++) {
      const past = new Date(Date.now() - 1000).toISOString()
      await db.knex('scheduled_jobs').update({ due_at: past })
      await until(() => db.knex('scheduled_jobs').where('due_at', '<=', new Date().toISOString()).count({ n: '*' }).then((rows) => Number(rows[0]!.n)), (n) => n === 0, 10_000)
    }
  }
  const before = Object.fromEntries((await db.knex('scheduled_jobs').select('name', 'runs')).map((row) => [row.name, Number(row.runs)]))
  t.same(Object.keys(before).sort(), JOBS, 'every node knows the same jobs')
  await periods(3)

  // All due now; SIGKILL to node c the moment it holds some (a node's id names its process: host-pid-random).
  await db.knex('plugin_timers').update({ due_at: new Date(Date.now() - 1000).toISOString() })
  const mine = `%-${c.child.pid}-%`
  let held: number[] = []
  const deadline = Date.now() + 20_000
  while (held.length === 0 && Date.now() < deadline) {
    held = (await db.knex('plugin_timers').where('claimed_by', 'like', mine).pluck('payload')).map((p: string) => JSON.parse(p).n as number)
    if (held.length === 0) await new Promise((resolve) => setTimeout(resolve, 5))
  }
  c.child.kill('SIGKILL')
  await c.exited
  // What it held when it died: those rows, with their leases not run out (read again: it may have claimed more).
  held = (await db.knex('plugin_timers').where('claimed_by', 'like', mine).pluck('payload')).map((p: string) => JSON.parse(p).n as number)
  t.ok(held.length > 0, `node c was killed holding ${held.length} timers`)
  await periods(3)

  // Run by the living nodes, those the dead node held once their leases ran out (15 s).
  const runs = await until(async () => (await request(a.url, 'GET', '/t/hn/rem/ran')).body.runs as Array<{ payload: { n: number } }>,
    (r) => new Set(r.map((run) => run.payload.n)).size >= TIMERS, 40_000)
  const ran = runs.map((run) => run.payload.n)
  t.same(Array.from({ length: TIMERS }, (_, n) => n).filter((n) => !ran.includes(n)), [], 'no timer was lost, those the killed node held included')
  const twice = ran.filter((n, i) => ran.indexOf(n) !== i)
  t.same(twice.filter((n) => !held.includes(n)), [], `a timer ran twice only if the killed node held it (${twice.length} did, of ${held.length} held)`)
  t.equal(Number((await db.knex('plugin_timers').count({ n: '*' }))[0]!.n), 0, 'none is left waiting')

  const after = await db.knex('scheduled_jobs').select('name', 'runs', 'node')
  for (const job of after) t.equal(Number(job.runs) - before[job.name]!, 6, `${job.name} ran once in each of the six periods`)
  t.ok(after.every((job) => !String(job.node).includes(`-${c.child.pid}-`)), 'the killed node took none of the last period\'s jobs')
})
