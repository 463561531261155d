import { readFileSync } from 'node:fs'
import t from 'tap'
import { declaredIndexes, indexStatement } from '../../registry/indexes.ts'
import { parseManifest } from '../../registry/manifest.ts'
import { fixtures, startPluginPlatform } from '../helpers/plugins.ts'
import { publishFixture } from '../helpers/registry.ts'

const testDialect = process.env.NENTANG_TEST_DATABASE ?? 'sqlite'

t.test('indexes a version declares are created when it is approved, partial, on the expressions filters use', async (t) => {
  const p = await startPluginPlatform(t)
  const { db } = p.platform.services
  const names = async (): Promise<string[]> => testDialect === 'postgres'
    ? (await db.knex.raw("select indexname as name from pg_indexes where tablename = 'plugin_documents' and indexname like 'pdx_%'")).rows.map((r: { name: string }) => r.name)
    : (await db.knex.raw("select name from sqlite_master where type = 'index' and name like 'pdx_%'")).map((r: { name: string }) => r.name)
  const before = await names()
  await publishFixture(p, p.admin, 'clerk')
  const created = (await names()).filter((name) => !before.includes(name))
  t.equal(created.length, 2, 'the two indexes plugin.json declares')
  t.equal((await p.call('PUT', '/api/v1/tenants/hn/plugins/clerk', { token: p.admin, body: { package: '@hn/clerk', version: '1.0.0' } })).status, 200)
  await p.call('POST', '/t/hn/clerk/seed', { token: p.admin, body: { count: 200 } })
  const byCommune = { commune: 'Xã Đông Anh', fee: { $gte: 100_000 } }
  t.equal((await p.call('POST', '/t/hn/clerk/exports', { token: p.admin, body: { collection: 'register', columns: ['no'], format: 'csv', filter: byCommune } })).status, 202)
  // The plan for the query storage makes for that filter.
  const tenant = await db.knex('tenants').where({ code: 'hn' }).first('id')
  const commune = testDialect === 'postgres' ? "(data #> '{commune}')" : "json_extract(data, '$.commune')"
  const fee = testDialect === 'postgres' ? "(data #> '{fee}')" : "json_extract(data, '$.fee')"
  const where = `tenant_id = ${tenant.id} and plugin = '@hn/clerk' and collection = 'register' and ${commune} = ${testDialect === 'postgres' ? "'\"Xã Đông Anh\"'::jsonb" : "'Xã Đông Anh'"} and ${fee} >= ${testDialect === 'postgres' ? "'100000'::jsonb" : '100000'}`
  if (testDialect === 'postgres') {
    // On a table this small PostgreSQL may prefer another index; with those out of the way (rolled back), it must
    // be able to take the declared one.
    const plan = await db.knex.transaction(async (trx) => {
      await trx.raw('drop index plugin_documents_scope')
      await trx.raw('alter table plugin_documents drop constraint plugin_documents_tenant_id_plugin_collection_doc_id_unique')
      await trx.raw('set local enable_seqscan = off')
      const rows = (await trx.raw(`explain select doc_id from plugin_documents where ${where} order by id limit 20`)).rows
      throw Object.assign(new Error('rolled back'), { rows })
    }).catch((error: { rows?: unknown }) => { if (error.rows !== undefined) return error.rows; throw error })
    const text = (plan as Array<Record<string, string>>).map((r) => r['QUERY PLAN']).join('\n')
    t.match(text, /pdx_/, `the planner can use it:\n${text}`)
    // As a sandbox worker reads: its role, its unit, through the view (migration 0016). Through the table, under the
    // row-level policy, no JSON expression may be an index condition (not leakproof), and the index serves nobody.
    const { path } = await db.knex('tenants').where({ id: tenant.id }).first('path')
    const asWorker = async (from: string): Promise<string> => db.knex.transaction(async (trx) => {
      await trx.raw("select set_config('role', 'nentang_sandbox', true), set_config('nentang.tenant_id', ?, true), set_config('nentang.tenant_path', ?, true), set_config('nentang.read_scope', 'tenant', true)", [String(tenant.id), path])
      await trx.raw('set local enable_seqscan = off')
      return (await trx.raw(`explain select doc_id from ${from} where ${where} order by id limit 20`)).rows.map((r: Record<string, string>) => r['QUERY PLAN']).join('\n')
    })
    const read = await asWorker('plugin_documents_read')
    t.match(read, /Index Cond: .*data #> '\{commune\}'/, `a worker's read finds the rows in the declared index:\n${read}`)
    t.notMatch(await asWorker('plugin_documents'), /Index Cond: .*data #> '\{commune\}'/, 'through the table, under the policy, it could not')
  } else {
    const plan = (await db.knex.raw(`explain query plan select doc_id from plugin_documents where ${where} order by id limit 20`)).map((r: { detail: string }) => r.detail).join('\n')
    t.match(plan, /USING INDEX pdx_/, `the planner uses it:\n${plan}`)
  }
})

t.test('a declaration is bounded and only field names reach SQL', async (t) => {
  const manifest = { name: '@hn/x', version: '1.0.0', engine: '^1.0.0', main: 'index.js' }
  t.throws(() => parseManifest({ ...manifest, collections: { items: { indexes: Array.from({ length: 9 }, (_, i) => [`f${i}`]) } } }), { code: 'REG_ERR_MANIFEST_INVALID' }, 'nine indexes')
  t.throws(() => parseManifest({ ...manifest, collections: { items: { indexes: [['a', 'b', 'c', 'd']] } } }), { code: 'REG_ERR_MANIFEST_INVALID' }, 'four fields')
  t.throws(() => parseManifest({ ...manifest, collections: { items: { indexes: [["a') or 1=1 --"]] } } }), { code: 'REG_ERR_MANIFEST_INVALID' }, 'not a field name')
  t.throws(() => parseManifest({ ...manifest, collections: { "x'; drop table users; --": { indexes: [['a']] } } }), { code: 'REG_ERR_MANIFEST_INVALID' }, 'not a collection name')
  const [index] = declaredIndexes(parseManifest({ ...manifest, collections: { items: { indexes: [['owner.name', 'state']] } } }))
  t.match(indexStatement(false, index!), /^create index if not exists pdx_[0-9a-f]{24} on plugin_documents \(tenant_id, json_extract\(data, '\$\.owner\.name'\), json_extract\(data, '\$\.state'\)\) where plugin = '@hn\/x' and collection = 'items'$/)
  t.match(indexStatement(true, index!), /^create index concurrently if not exists pdx_[0-9a-f]{24} on plugin_documents \(tenant_id, \(data #> '\{owner,name\}'\), \(data #> '\{state\}'\), id\)/)
})

t.test('an index of the first form (before indexes ended with the row id) is dropped once its successor exists', async (t) => {
  const p = await startPluginPlatform(t)
  const { db } = p.platform.services
  const postgres = testDialect === 'postgres'
  const manifest = parseManifest(JSON.parse(readFileSync(`${fixtures}clerk/plugin.json`, 'utf8')))
  const declared = declaredIndexes(manifest)
  // A platform from before: the first form of each declared index, under its first name.
  for (const index of declared) await db.knex.raw(indexStatement(postgres, { ...index, name: index.formerName }))
  const names = async (): Promise<string[]> => postgres
    ? (await db.knex.raw("select indexname as name from pg_indexes where tablename = 'plugin_documents' and indexname like 'pdx_%'")).rows.map((r: { name: string }) => r.name)
    : (await db.knex.raw("select name from sqlite_master where type = 'index' and name like 'pdx_%'")).map((r: { name: string }) => r.name)
  const before = await names()
  t.ok(declared.every((index) => before.includes(index.formerName)), 'the first form is there')
  await publishFixture(p, p.admin, 'clerk')
  const after = await names()
  t.ok(declared.every((index) => after.includes(index.name)), 'each declaration has its index of the second form')
  t.notOk(declared.some((index) => after.includes(index.formerName)), 'and none of the first: one index per declaration, so writes pay once')
})
