import t from 'tap'
import { appendAudit, recordAudit, verifyAudit } from '../../core/audit/audit-log.ts'
import { ADMIN_PASSWORD, startTestPlatform } from '../helpers/platform.ts'
import { runCli } from '../helpers/cli.ts'

t.test('security-relevant actions are chained, and one changed row breaks the chain at that entry', async (t) => {
  const p = await startTestPlatform(t)
  const admin = await p.signIn('admin', ADMIN_PASSWORD)
  await p.call('POST', '/api/v1/tenants/vn/children', { token: admin, body: { code: 'hn', name: 'Hà Nội' } })
  await p.call('POST', '/api/v1/tenants/hn/users', { token: admin, body: { username: 'clerk', password: 'clerk-password', roles: ['officer'] } })
  await p.call('POST', '/api/v1/auth/token', { body: { username: 'clerk', password: 'not-the-password' } })
  const { knex } = p.platform.services.db

  const actions = (await knex('audit_log').orderBy('seq').select('action')).map((r) => r.action)
  t.same(actions, ['platform.bootstrap', 'registry.first-party', 'registry.first-party', 'registry.first-party', 'plugin.install', 'auth.sign-in', 'tenant.create', 'user.create', 'grant.create', 'auth.sign-in-failed'])
  const created = await knex('audit_log').where({ action: 'tenant.create' }).first()
  t.match(created, { actor: 'admin', tenant: 'vn', target: 'hn' })

  const url = p.config.databaseUrl
  const where = ['--database-url', url, '--data-dir', p.config.dataDir, '--secret-key', p.config.secretKey!]
  const good = await runCli(['audit', 'verify', ...where])
  t.equal(good.code, 0, good.stderr)
  t.match(good.stdout, /audit log verified: 10 entries/)

  await t.rejects(knex('audit_log').where({ seq: 3 }).update({ target: 'hcm' }), 'the table refuses updates')
  await t.rejects(knex('audit_log').where({ seq: 3 }).delete(), 'and deletes')

  // Someone with direct database access goes around the trigger and edits entry 3.
  if (p.platform.services.db.dialect === 'postgres') {
    await knex.raw('alter table audit_log disable trigger audit_log_append_only')
  } else {
    await knex.raw('drop trigger audit_log_no_update')
  }
  await knex('audit_log').where({ seq: 3 }).update({ details: JSON.stringify({ name: 'Hồ Chí Minh' }) })

  const bad = await runCli(['audit', 'verify', ...where])
  t.equal(bad.code, 1, 'verification fails')
  t.match(bad.stderr, /BROKEN at entry 3: its content does not match its hash/, 'and names the changed entry')
})

t.test('a deleted entry and a rewritten chain are both detected', async (t) => {
  const p = await startTestPlatform(t)
  const { db } = p.platform.services
  for (let i = 0; i < 5; i++) await recordAudit(db, { actor: 'tester', action: 'test.event', details: { i } })
  t.equal((await verifyAudit(db, { key: p.platform.services.auditKey })).ok, true)
  if (db.dialect === 'postgres') await db.knex.raw('alter table audit_log disable trigger audit_log_append_only')
  else await db.knex.raw('drop trigger audit_log_no_delete')
  await db.knex('audit_log').where({ seq: 4 }).delete()
  t.match(await verifyAudit(db, { key: p.platform.services.auditKey }), { ok: false, seq: 5, reason: 'entries 4–4 are missing' })
})

t.test('concurrent appends keep one unbroken chain', async (t) => {
  const p = await startTestPlatform(t)
  const { db } = p.platform.services
  await Promise.all(Array.from({ length: 40 }, (_, i) => db.knex.transaction((trx) => appendAudit(trx, { actor: `user-${i}`, action: 'test.concurrent' }))))
  const result = await verifyAudit(db, { key: p.platform.services.auditKey, pageSize: 7 })
  t.match(result, { ok: true, entries: 45 }, 'the bootstrap, three first-party publications and the procedures\' install, plus 40, verified across pages')
})

t.test('a burst of 300 entries recorded at once: every one kept in one unbroken chain; an entry that cannot be written fails alone', async (t) => {
  const p = await startTestPlatform(t)
  const { db } = p.platform.services
  const cyclic: Record<string, unknown> = {}
  cyclic.self = cyclic
  const outcomes = await Promise.allSettled(Array.from({ length: 300 }, (_, i) =>
    recordAudit(db, { actor: `cán-bộ-${i}`, action: 'test.burst', target: String(i), details: i === 150 ? cyclic : { i } })))
  t.same(outcomes.map((one, i) => one.status === 'fulfilled' ? i : -1).filter((i) => i < 0).length, 1, 'only the entry that cannot be written failed')
  t.equal(outcomes[150]!.status, 'rejected')
  const kept = await db.knex('audit_log').where({ action: 'test.burst' }).orderBy('seq').select('target')
  t.equal(kept.length, 299)
  t.same(new Set(kept.map((row) => row.target)).size, 299, 'none twice')
  t.match(await verifyAudit(db, { key: p.platform.services.auditKey }), { ok: true, entries: 304 })
})
