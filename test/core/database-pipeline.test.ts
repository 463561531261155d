import t from 'tap'
import { createDatabase } from '../../core/db/database.ts'
import { migrateToLatest } from '../../core/db/migrate.ts'
import { createTestDatabase, testDialect } from '../helpers/database.ts'

// The sandbox's storage calls on PostgreSQL send their row-level-security settings and their statement together
// (core/db/pipeline.ts). What the storage relies on is tested here: one transaction, settings that end with it,
// nothing kept of a pipeline that failed, a connection still good after, and no setting crossing between calls
// running at once on the pool.

const SETTINGS = "select set_config('nentang.tenant_id', $1, true), set_config('statement_timeout', $2, true)"

t.test('PostgreSQL pipelines: one round trip, one transaction', { skip: testDialect === 'sqlite' ? 'PostgreSQL only; SQLite answers storage on the calling thread (database-immediate.test.ts)' : false }, async (t) => {
  const database = await createTestDatabase()
  const db = createDatabase(database.url)
  t.teardown(async () => { await db.close(); await database.drop() })
  await db.knex.raw('create table notes (id serial primary key, tenant int not null, text varchar(40) not null unique)')

  const [, read] = await db.pipeline!([{ sql: SETTINGS, params: ['7', '5000'] }, { sql: "select current_setting('nentang.tenant_id', true) as tenant", params: [] }])
  t.same(read!.rows, [{ tenant: '7' }], 'a setting made first holds for the statement after it')
  const [after] = await db.pipeline!([{ sql: "select coalesce(current_setting('nentang.tenant_id', true), '') as tenant", params: [] }])
  t.same(after!.rows, [{ tenant: '' }], 'and ends with the pipeline: the next one on the pool starts clean')

  const [, inserted] = await db.pipeline!([{ sql: SETTINGS, params: ['7', '5000'] }, { sql: 'insert into notes (tenant, text) values ($1, $2)', params: [7, 'Nguyễn Văn Đức'] }])
  t.equal(inserted!.rowCount, 1, 'a write answers the rows it changed')

  await t.rejects(db.pipeline!([
    { sql: 'insert into notes (tenant, text) values ($1, $2)', params: [7, 'kept?'] },
    { sql: 'insert into notes (tenant, text) values ($1, $2)', params: [7, 'Nguyễn Văn Đức'] },
  ]), { code: '23505' }, 'a statement that fails rejects with its code')
  t.same((await db.read('select text from notes order by id')).map((row) => row.text), ['Nguyễn Văn Đức'], 'and nothing of its pipeline is kept')

  await t.rejects(db.pipeline!([{ sql: SETTINGS, params: ['7', '50'] }, { sql: 'select pg_sleep(2)', params: [] }]), { code: '57014' }, 'the statement_timeout set first cuts the statement after it')

  const circular: Record<string, unknown> = {}
  circular.self = circular
  await t.rejects(db.pipeline!([{ sql: 'insert into notes (tenant, text) values ($1, $2)', params: [7, circular] }]), 'a value that cannot be sent rejects')
  const [still] = await db.pipeline!([{ sql: 'select count(*)::int as n from notes', params: [] }])
  t.same(still!.rows, [{ n: 1 }], 'the connections stay good after both failures')

  // Sixty calls at once on a pool of ten, each with its own tenant: every one reads back its own.
  const answers = await Promise.all(Array.from({ length: 60 }, (_, i) => db.pipeline!([
    { sql: SETTINGS, params: [String(i), '5000'] },
    { sql: "select current_setting('nentang.tenant_id', true) as tenant, pg_sleep(0.001)::text as slept", params: [] },
  ])))
  t.same(answers.map(([, result]) => result!.rows[0]!.tenant), Array.from({ length: 60 }, (_, i) => String(i)), 'no setting crosses between pipelines running at once')
})

t.test('a document read by id uses the unique index, whatever the statistics say of its collection', { skip: testDialect === 'sqlite' ? 'PostgreSQL only (its planner weighs statistics; SQLite takes the unique index for equal keys)' : false }, async (t) => {
  const database = await createTestDatabase()
  const db = createDatabase(database.url)
  t.teardown(async () => { await db.close(); await database.drop() })
  await migrateToLatest(db)
  const [tenant] = await db.knex('tenants').insert({ code: 'vn', name: 'Việt Nam', path: 'vn', created_at: new Date().toISOString() }).returning(['id', 'path'])
  const row = (collection: string, i: number) => ({ tenant_id: tenant!.id, tenant_path: tenant!.path, plugin: '@vn/x', collection, doc_id: `d${i}`, data: '{}', created_at: 'x', updated_at: 'x' })
  // Statistics taken before the collection existed, as on a live platform where a new collection grows.
  await db.knex.batchInsert('plugin_documents', Array.from({ length: 2000 }, (_, i) => row('old', i)), 500)
  await db.knex.raw('analyze plugin_documents')
  await db.knex.batchInsert('plugin_documents', Array.from({ length: 3000 }, (_, i) => row('hits', i)), 500)
  const plan = (await db.knex.raw("explain select doc_id, data from plugin_documents where tenant_id = ? and plugin = '@vn/x' and collection = 'hits' and doc_id = 'd5' limit 1", [tenant!.id])).rows.map((r: Record<string, string>) => r['QUERY PLAN']).join('\n')
  t.match(plan, /plugin_documents_tenant_id_plugin_collection_doc_id_unique/, 'the unique index, not a scan of the collection')
})

t.test('SQLite has no pipeline', { skip: testDialect === 'postgres' ? 'SQLite only' : false }, async (t) => {
  const database = await createTestDatabase()
  const db = createDatabase(database.url)
  t.teardown(async () => { await db.close(); await database.drop() })
  t.equal(db.pipeline, undefined)
})
