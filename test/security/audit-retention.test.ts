import { readdirSync, readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import t from 'tap'
import { recordAudit } from '../../core/audit/audit-log.ts'
import { ARCHIVE_FOLDER, archiveAudit } from '../../core/audit/retention.ts'
import { loadConfig } from '../../core/config.ts'
import { runCli } from '../helpers/cli.ts'
import { startTestPlatform, type TestPlatform } from '../helpers/platform.ts'

const DAY = 24 * 3600_000

async function verify (p: TestPlatform) {
  return runCli(['audit', 'verify', '--database-url', p.config.databaseUrl, '--data-dir', p.config.dataDir, '--secret-key', p.config.secretKey!])
}
const sweep = (p: TestPlatform, days: number, laterDays: number) =>
  archiveAudit({ db: p.platform.services.db, key: p.platform.services.auditKey, dataDir: p.config.dataDir, days, now: Date.now() + laterDays * DAY })

t.test('a retention under three months is refused at start, naming the setting and why', async (t) => {
  for (const days of ['60', '89']) {
    t.throws(() => loadConfig([], { NENTANG_AUDIT_RETENTION_DAYS: days }), { code: 'CORE_ERR_CONFIG', message: /NENTANG_AUDIT_RETENTION_DAYS must be at least 90 days: a Level-3 system keeps its logs 3 months/ })
  }
  t.equal(loadConfig([], { NENTANG_AUDIT_RETENTION_DAYS: '90' }).auditRetentionDays, 90)
  t.equal(loadConfig([]).auditRetentionDays, 365, '12 months by default')
  const started = await runCli(['start', '--audit-retention-days', '30', '--port', '0', '--data-dir', '/tmp/nentang-never-made'], {}, 20_000)
  t.not(started.code, 0, 'the platform does not start')
  t.match(started.stderr, /--audit-retention-days must be at least 90 days/)
})

t.test('the retention sweep archives old entries and `audit verify` still passes, through two sweeps and new entries', async (t) => {
  const p = await startTestPlatform(t)
  const { db } = p.platform.services
  for (let i = 0; i < 30; i++) await recordAudit(db, { actor: 'cán-bộ', action: 'test.event', details: { i, ghiChú: `Hồ sơ số ${i}` } })
  await new Promise((resolve) => setTimeout(resolve, 1300)) // a checkpoint is written
  t.equal(await sweep(p, 365, 0), 0, 'nothing is a year old yet')

  const total = Number((await db.knex('audit_log').count({ n: '*' }).first())!.n)
  const archived = await sweep(p, 365, 400)
  t.equal(archived, total - 1, 'a year and more later, all but the newest entry are archived')
  t.equal(Number((await db.knex('audit_log').count({ n: '*' }).first())!.n), 1, 'one entry stays for the next to link to')
  const files = readdirSync(join(p.config.dataDir, ARCHIVE_FOLDER))
  t.equal(files.length, 1)
  t.ok(readFileSync(join(p.config.dataDir, ARCHIVE_FOLDER, files[0]!), 'utf8').includes('"ghiChú":"Hồ sơ số 28"'), 'the archive keeps the entries as written')
  let result = await verify(p)
  t.equal(result.code, 0, result.stderr)
  t.match(result.stdout, new RegExp(`${total} entries`), 'verify counts the archived entries with the rest')

  for (let i = 0; i < 5; i++) await recordAudit(db, { actor: 'cán-bộ', action: 'test.later', details: { i } })
  t.equal(await sweep(p, 365, 800), 5, 'a later sweep archives what came after, chained to the first archive')
  result = await verify(p)
  t.equal(result.code, 0, result.stderr)

  // The entries left are still append-only: only archived entries may be deleted.
  await recordAudit(db, { actor: 'cán-bộ', action: 'test.kept' })
  await t.rejects(db.knex('audit_log').where('action', 'test.kept').delete(), /append-only/, 'an entry not archived cannot be deleted')
})

t.test('a changed archive file or a forged cut is found by `audit verify`', async (t) => {
  const p = await startTestPlatform(t)
  const { db } = p.platform.services
  for (let i = 0; i < 10; i++) await recordAudit(db, { actor: 'cán-bộ', action: 'test.event', details: { i } })
  await sweep(p, 365, 400)
  const folder = join(p.config.dataDir, ARCHIVE_FOLDER)
  const file = join(folder, readdirSync(folder)[0]!)
  const original = readFileSync(file, 'utf8')
  writeFileSync(file, original.replace('"i":3', '"i":33'))
  let result = await verify(p)
  t.equal(result.code, 1)
  t.match(result.stderr, /was changed/)
  writeFileSync(file, original)
  t.equal((await verify(p)).code, 0, 'put back, it verifies')

  // Someone deletes entries and records a cut to cover them, without the key.
  const head = await db.knex('audit_log').max({ seq: 'seq' }).first()
  await db.knex('audit_archives').insert({ from_seq: 1, to_seq: Number(head!.seq) - 1, last_hash: 'f'.repeat(64), file: 'none.jsonl', file_sha256: '0'.repeat(64), at: new Date().toISOString(), mac: '0'.repeat(64) })
  result = await verify(p)
  t.equal(result.code, 1)
  t.match(result.stderr, /signature\s+(that\s+)?does\s+not\s+hold/)
})
