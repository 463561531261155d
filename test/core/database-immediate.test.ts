import t from 'tap'
import { createDatabase } from '../../core/db/database.ts'
import { createTestDatabase, testDialect } from '../helpers/database.ts'

// The sandbox's storage writes on SQLite go through `db.now()`: answered on the calling thread and
// grouped into one transaction per turn of the event loop. What the callers rely on is tested here.

t.test('SQLite writes on the calling thread: one transaction a turn, committed before an answer leaves', { skip: testDialect === 'postgres' ? 'SQLite only; PostgreSQL has no calling-thread path (now() is undefined)' : false }, async (t) => {
  const database = await createTestDatabase()
  const db = createDatabase(database.url)
  const other = createDatabase(database.url)
  t.teardown(async () => { await db.close(); await other.close(); await database.drop() })
  await db.knex.raw('create table notes (id integer primary key, text varchar(20) not null unique)')
  t.equal(db.now(), undefined, 'not before its connections are open')
  await db.read('select 1')
  await db.write('insert into notes (text) values (?)', ['opened'])
  const now = db.now()!
  t.ok(now, 'available once they are')

  t.equal(now.write('insert into notes (text) values (?)', ['first']), 1)
  t.same(now.read('select text from notes order by id'), [{ text: 'opened' }, { text: 'first' }], 'a read in the same turn sees the write')
  t.same(await other.read('select text from notes order by id'), [{ text: 'opened' }], 'another connection does not, yet')
  t.throws(() => now.write('insert into notes (text) values (?)', ['first']), /UNIQUE/, 'a failing write throws')
  now.commit()
  t.same(await other.read('select text from notes order by id'), [{ text: 'opened' }, { text: 'first' }], 'commit(): the earlier write of the turn survives the failed one')

  now.write('insert into notes (text) values (?)', ['second'])
  await new Promise((resolve) => setImmediate(resolve))
  t.same((await other.read('select text from notes order by id')).map((row) => row.text), ['opened', 'first', 'second'], 'uncommitted at the end of the turn: committed then')
})
