import { spawn } from 'node:child_process'
import t from 'tap'
import { createDatabase } from '../../core/db/database.ts'
import { createTestDatabase, testDialect } from '../helpers/database.ts'
import { until } from '../helpers/wait.ts'

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

t.test("a write waiting for another process's lock leaves the event loop serving; it lands once the lock is free", { skip: testDialect === 'postgres' ? 'SQLite only: PostgreSQL locks rows, not the file' : false }, async (t) => {
  const database = await createTestDatabase()
  const db = createDatabase(database.url)
  t.teardown(async () => { await db.close(); await database.drop() })
  await db.knex.raw('create table notes (id integer primary key, text varchar(20) not null)')
  // Another process (a sandbox worker's place) takes the write lock, holds it 1.5 s, and says when it let go.
  const holder = spawn(process.execPath, ['-e', `
    const db = new (require('better-sqlite3'))(${JSON.stringify(database.url.slice('sqlite:'.length))})
    db.pragma('journal_mode = WAL')
    db.prepare('BEGIN IMMEDIATE').run()
    db.prepare("insert into notes (text) values ('worker')").run()
    console.log('held')
    setTimeout(() => { db.prepare('COMMIT').run(); console.log('released ' + Date.now()) }, 1500)
  `], { cwd: new URL('../../', import.meta.url).pathname, stdio: ['ignore', 'pipe', 'inherit'] })
  let out = ''
  holder.stdout.on('data', (chunk: Buffer) => { out += chunk })
  await until(async () => out, (text) => text.includes('held'), 10_000)
  const started = Date.now()
  const writing = db.knex('notes').insert({ text: 'gateway' })
  // The event loop keeps turning while the write waits: timers fire every few milliseconds.
  let ticks = 0
  let lastTick = 0
  const ticker = setInterval(() => { ticks++; lastTick = Date.now() }, 10)
  await writing
  clearInterval(ticker)
  await new Promise((resolve) => holder.on('close', resolve))
  const released = Number(/released (\d+)/.exec(out)?.[1])
  t.ok(Date.now() >= released, 'the write landed after the lock was let go')
  t.ok(ticks >= 10 && lastTick >= started && lastTick < released + 1000, `the event loop turned ${ticks} times while the write waited ${released - started} ms (it slept in SQLite's busy handler before)`)
  t.same((await db.knex('notes').orderBy('id').select('text')).map((row) => row.text), ['worker', 'gateway'], 'both writes are kept, in order')
})
