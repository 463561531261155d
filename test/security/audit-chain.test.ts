import { createHash } from 'node:crypto'
import { appendFileSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import canonicalize from 'canonicalize'
import t from 'tap'
import { recordAudit, toEntry } from '../../core/audit/audit-log.ts'
import { CHECKPOINT_FILE } from '../../core/audit/checkpoints.ts'
import { deriveKey } from '../../core/auth/secret-key.ts'
import { createDatabase } from '../../core/db/database.ts'
import { workerRoleName } from '../../core/db/worker-role.ts'
import { runCli } from '../helpers/cli.ts'
import { startPluginPlatform } from '../helpers/plugins.ts'
import { ADMIN_PASSWORD, startTestPlatform, type TestPlatform } from '../helpers/platform.ts'

/**
 * Someone with write access to the database but not the platform's secret: the append-only triggers are no obstacle
 * to them.
 */
async function dropTriggers (p: TestPlatform): Promise<void> {
  const { db } = p.platform.services
  if (db.dialect === 'postgres') await db.knex.raw('alter table audit_log disable trigger user')
  else for (const trigger of ['audit_log_no_update', 'audit_log_no_delete']) await db.knex.raw(`drop trigger ${trigger}`)
}

/** What such a person can compute: the old, unkeyed SHA-256 chain. */
function sha (entry: ReturnType<typeof toEntry>): string {
  const body = canonicalize({ seq: entry.seq, at: entry.at, actor: entry.actor, action: entry.action, tenant: entry.tenant, target: entry.target, details: entry.details, requestId: entry.requestId }) ?? ''
  return createHash('sha256').update(entry.prevHash).update('\n').update(body).digest('hex')
}

async function verify (p: TestPlatform): Promise<{ code: number | null, stdout: string, stderr: string }> {
  return runCli(['audit', 'verify', '--database-url', p.config.databaseUrl, '--data-dir', p.config.dataDir, '--secret-key', p.config.secretKey!])
}

async function withEntries (t: { teardown(fn: () => unknown): void }, count: number): Promise<TestPlatform> {
  const p = await startTestPlatform(t)
  for (let i = 0; i < count; i++) await recordAudit(p.platform.services.db, { actor: 'cán-bộ', action: 'test.event', details: { i, ghiChú: 'Hồ sơ số ' + i } })
  // The node writes a checkpoint every second while the chain grows.
  await new Promise((resolve) => setTimeout(resolve, 1300))
  return p
}

t.test('the chain verifies with its key, and the checkpoint file and the log carry signed heads', async (t) => {
  const p = await withEntries(t, 5)
  const good = await verify(p)
  t.equal(good.code, 0, good.stderr)
  t.match(good.stdout, /reaches its checkpoint at entry 10/)
  const lines = readFileSync(join(p.config.dataDir, CHECKPOINT_FILE), 'utf8').trim().split('\n').map((line) => JSON.parse(line))
  t.match(lines.at(-1), { seq: 10, hash: /^[0-9a-f]{64}$/, mac: /^[0-9a-f]{64}$/ })
  const answer = await p.call('GET', '/api/v1/audit/verification', { token: await p.signIn('admin', ADMIN_PASSWORD) })
  t.match(answer.body, { ok: true })
  // The first start wrote 5 entries (bootstrap, three first-party plugins, the procedures' install), then these 5; the
  // sign-in is entry 11, and the node's next checkpoint may record it before the verification runs.
  t.ok([10, 11].includes(answer.body.checkpoint), `the newest checkpoint, before or after the sign-in's own entry (${answer.body.checkpoint})`)
})

t.test('deleting the newest entries is detected: the chain no longer reaches its checkpoint', async (t) => {
  const p = await withEntries(t, 5)
  await dropTriggers(p)
  await p.platform.services.db.knex('audit_log').where('seq', '>', 2).delete()
  const bad = await verify(p)
  t.equal(bad.code, 1)
  t.match(bad.stderr, /BROKEN at entry 3: the chain ends at entry 2, but a checkpoint .* records entry 10: entries were deleted/)
})

t.test('rewriting an entry and hashing the rest again, without the key, is detected at that entry', async (t) => {
  const p = await withEntries(t, 5)
  await dropTriggers(p)
  const { knex } = p.platform.services.db
  const rows = await knex('audit_log').orderBy('seq')
  let previous = String(rows[2].hash)
  for (const row of rows.slice(3)) {
    const entry = toEntry(row)
    entry.prevHash = previous
    if (entry.seq === 4) entry.details = { i: 1, ghiChú: 'đã sửa' }
    entry.hash = sha(entry)
    previous = entry.hash
    await knex('audit_log').where({ seq: entry.seq }).update({ details: JSON.stringify(entry.details), prev_hash: entry.prevHash, hash: entry.hash })
  }
  const bad = await verify(p)
  t.equal(bad.code, 1)
  t.match(bad.stderr, /BROKEN at entry 4: its content does not match its hash/)
})

t.test('a forged checkpoint line is itself a finding', async (t) => {
  const p = await withEntries(t, 2)
  appendFileSync(join(p.config.dataDir, CHECKPOINT_FILE), JSON.stringify({ seq: 1, hash: '0'.repeat(64), at: new Date().toISOString(), mac: 'f'.repeat(64) }) + '\n')
  const bad = await verify(p)
  t.equal(bad.code, 1)
  t.match(bad.stderr, /checkpoint file has lines whose signature does not hold/)
})

t.test('an odd value in the table is named with its entry, not a crash', async (t) => {
  const p = await withEntries(t, 3)
  await dropTriggers(p)
  await p.platform.services.db.knex('audit_log').where({ seq: 3 }).update({ details: '{not json', actor: null })
  const bad = await verify(p)
  t.equal(bad.code, 1)
  t.match(bad.stderr, /BROKEN at entry 3:/)
})

t.test('TRUNCATE is refused on PostgreSQL; sandbox workers never see the secret or the admin password', async (t) => {
  process.env.NENTANG_SECRET_KEY = 'x'.repeat(40)
  process.env.NENTANG_ADMIN_PASSWORD = 'an-admin-password-in-the-environment'
  t.teardown(() => { delete process.env.NENTANG_SECRET_KEY; delete process.env.NENTANG_ADMIN_PASSWORD })
  const p = await startTestPlatform(t)
  const { db, plugins } = p.platform.services
  if (db.dialect === 'postgres') {
    await t.rejects(db.knex.raw('truncate audit_log'), /append-only/, 'TRUNCATE is refused')
  }
  const admin = await p.signIn('admin', ADMIN_PASSWORD)
  t.equal((await p.call('PUT', '/api/v1/tenants/vn/plugins/notices', { token: admin, body: { package: '@vn/notices', version: '1.0.0' } })).status, 200)
  t.equal((await p.call('GET', '/t/vn/notices/notices')).status, 200, 'a first-party worker serves')
  const pid = plugins.supervisor.pids('first-party')[0]
  t.ok(pid !== undefined, 'a worker runs')
  const environment = readFileSync(`/proc/${pid}/environ`, 'utf8').split('\0')
  t.notOk(environment.some((line) => line.startsWith('NENTANG_SECRET_KEY=') || line.startsWith('NENTANG_ADMIN_PASSWORD=')), 'neither is in the worker\'s environment')
  t.notOk(environment.some((line) => line.startsWith('NENTANG_')), 'nor any setting of the platform: its settings come as its first message')
  t.ok(environment.some((line) => line.startsWith('PATH=')), 'what Node needs is there')
})

t.test('on PostgreSQL a sandbox worker logs in as a role that reaches the plugin tables only', { skip: process.env.NENTANG_TEST_DATABASE !== 'postgres' && 'PostgreSQL only (SQLite has no roles)' }, async (t) => {
  const p = await startPluginPlatform(t)
  await p.install('hn', 'probe', 'storage-probe')
  t.equal((await p.call('POST', '/t/hn/probe/docs', { body: { n: 1, tên: 'Nguyễn Văn An' } })).status, 200, 'storage works as the worker\'s role')
  t.equal((await p.call('POST', '/t/hn/probe/shout', { body: { n: 1, size: 10 } })).body.published, 1, 'and the event outbox')
  const role = workerRoleName(p.config.databaseUrl)
  t.match(role, /^nentang_worker_[0-9a-f]{16}$/)
  const sessions = await p.platform.services.db.knex('pg_stat_activity').where({ datname: new URL(p.config.databaseUrl).pathname.slice(1) }).pluck('usename')
  t.ok(sessions.includes(role), 'the worker is connected as its role, not the gateway\'s')
  // The same role, logged in with the password the platform gives it.
  const url = new URL(p.config.databaseUrl)
  url.username = role
  url.password = Buffer.from(deriveKey(p.config.secretKey!, 'worker-database')).toString('hex')
  const worker = createDatabase(url.toString())
  t.teardown(() => worker.close())
  for (const table of ['users', 'audit_log', 'installation_secrets', 'registry_blobs', 'grants', 'exchange_endpoints', 'exchange_log', 'machine_clients']) {
    await t.rejects(worker.knex(table).select().limit(1), /permission denied/, `it cannot read ${table}`)
  }
  await t.rejects(worker.knex('audit_log').insert({ seq: 999, at: 'x', action: 'forged', details: '{}', prev_hash: 'x', hash: 'x' }), /permission denied/, 'nor write the audit log')
})
