import { spawnSync } from 'node:child_process'
import { cpSync, mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import pg from 'pg'
import t from 'tap'
import { workerRoleName } from '../../core/db/worker-role.ts'
import { cliPath } from '../helpers/cli.ts'
import { CLUSTER_PASSWORD, signInAdmin, startCluster } from '../helpers/cluster.ts'
import { createTestDatabase, testDialect } from '../helpers/database.ts'
import { request } from '../helpers/http.ts'
import { startNode } from '../helpers/process.ts'
import { publishFixture } from '../helpers/registry.ts'
import { until } from '../helpers/wait.ts'

const POSTGRES_ONLY = testDialect !== 'postgres' && 'pg_dump and pg_restore are PostgreSQL\'s'

function run (program: string, args: string[], env: Record<string, string> = {}): { status: number | null, out: string } {
  const result = spawnSync(program, args, { env: { ...process.env, ...env }, encoding: 'utf8', timeout: 60_000 })
  return { status: result.status, out: `${result.stdout}${result.stderr}`.trim() }
}

/**
 * The procedure docs/deploy.md gives: the data folder copied, then `pg_dump`; later `pg_restore` into an empty
 * database, the folder put back, `nentang audit verify`, and a node started on them.
 */
t.test('a backup restored into an empty database: the audit chain verifies and the plugins serve what they had', { skip: POSTGRES_ONLY }, async (t) => {
  const cluster = await startCluster(t, 1)
  const [node] = cluster.nodes
  const admin = await signInAdmin(node!.url)
  const at = {
    url: node!.url,
    call: (method: string, path: string, options = {}) => request(node!.url, method, path, options),
    async signIn (username: string, password: string) { return (await request(node!.url, 'POST', '/api/v1/auth/token', { body: { username, password } })).body.token as string },
  }
  t.equal((await at.call('POST', '/api/v1/tenants/vn/children', { token: admin, body: { code: 'hn', name: 'Thành phố Hà Nội' } })).status, 201)
  await publishFixture(at, admin, 'reminder')
  t.equal((await at.call('PUT', '/api/v1/tenants/hn/plugins/rem', { token: admin, body: { package: '@hn/reminder', version: '1.0.0' } })).status, 200)
  await at.call('POST', '/t/hn/rem/set', { body: { inMs: 100, payload: { hồSơ: 'HS-2026-0042', ngườiNộp: 'Nguyễn Thị Hoà' } } })
  const before = await until(async () => (await at.call('GET', '/t/hn/rem/ran')).body.runs as unknown[], (runs) => runs.length === 1, 10_000)
  t.equal(before.length, 1, 'the plugin stored what its timer did')
  // Let the node write an audit checkpoint (every second or so) so that the copy holds one.
  await new Promise((resolve) => setTimeout(resolve, 1500))

  const backup = mkdtempSync(join(tmpdir(), 'nentang-backup-'))
  cpSync(cluster.env.NENTANG_DATA_DIR!, join(backup, 'data'), { recursive: true })
  const dumped = run('pg_dump', ['--format=custom', `--file=${join(backup, 'nentang.dump')}`, cluster.env.NENTANG_DATABASE_URL!])
  t.equal(dumped.status, 0, `pg_dump ${dumped.out}`)
  // After the backup: a change the restore does not have.
  t.equal((await at.call('POST', '/api/v1/tenants/vn/children', { token: admin, body: { code: 'hcm', name: 'Thành phố Hồ Chí Minh' } })).status, 201)

  const restored = await createTestDatabase()
  t.teardown(() => restored.drop())
  const loaded = run('pg_restore', ['--no-owner', `--dbname=${restored.url}`, join(backup, 'nentang.dump')])
  t.equal(loaded.status, 0, `pg_restore ${loaded.out}`)
  cpSync(join(backup, 'data'), restored.dir, { recursive: true })
  const env = { ...cluster.env, NENTANG_DATABASE_URL: restored.url, NENTANG_DATA_DIR: restored.dir }
  const verified = run(process.execPath, ['--no-node-snapshot', cliPath, 'audit', 'verify'], env)
  t.equal(verified.status, 0, `nentang audit verify on the restored database: ${verified.out}`)
  t.match(verified.out, /reaches its checkpoint/, 'up to the checkpoint the copied folder holds')

  const again = await startNode(t, [], env)
  const token = (await request(again.url, 'POST', '/api/v1/auth/token', { body: { username: 'admin', password: CLUSTER_PASSWORD } })).body.token as string
  t.ok(token, 'the administrator signs in on the restored node')
  t.equal((await request(again.url, 'GET', '/api/v1/tenants/hn', { token })).body.name, 'Thành phố Hà Nội', 'units are there, with their Vietnamese names')
  t.equal((await request(again.url, 'GET', '/api/v1/tenants/hcm', { token })).status, 404, 'what came after the backup is not')
  const runs = (await request(again.url, 'GET', '/t/hn/rem/ran')).body.runs as Array<{ payload: unknown }>
  t.same(runs.map((r) => r.payload), [{ hồSơ: 'HS-2026-0042', ngườiNộp: 'Nguyễn Thị Hoà' }], 'the plugin serves the documents it had, from its signed package')
  const set = await request(again.url, 'POST', '/t/hn/rem/set', { body: { inMs: 100, payload: { hồSơ: 'HS-2026-0043' } } })
  t.equal(set.status, 200, 'and writes new ones')
  t.equal((await until(async () => (await request(again.url, 'GET', '/t/hn/rem/ran')).body.runs as unknown[], (r) => r.length === 2, 10_000)).length, 2, 'its timers run')

  // The dump granted the first database's worker role its privileges here too: revoked, so both roles can be dropped.
  again.child.kill('SIGTERM')
  await again.exited
  const client = new pg.Client({ connectionString: restored.url })
  await client.connect()
  await client.query(`drop owned by ${workerRoleName(cluster.env.NENTANG_DATABASE_URL!)}`)
  await client.end()
})
