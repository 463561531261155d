import { spawn } from 'node:child_process'
import t from 'tap'
import { createDatabase } from '../../core/db/database.ts'
import { createTestDatabase, testDialect } from '../helpers/database.ts'
import { until } from '../helpers/wait.ts'

// The sandbox's storage writes on SQLite go through `db.now()`: answered on the calling thread and
// grouped into one transaction per turn of the event loop. What the callers rely on is tested here.

const SQLITE_ONLY = { skip: testDialect === 'postgres' ? 'SQLite only: PostgreSQL locks rows, not the file' : false }

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

t.test("a write waiting for another process's lock leaves the event loop serving; it lands once the lock is free", SQLITE_ONLY, async (t) => {
  // Another process takes the write lock, holds it 1.5 s, and says when it let go.
  const { db, out, closed } = await withOtherProcess(t, `
    db.pragma('journal_mode = WAL')
    db.prepare('BEGIN IMMEDIATE').run()
    db.prepare("insert into notes (text) values ('worker')").run()
    console.log('held')
    setTimeout(() => { db.prepare('COMMIT').run(); console.log('released ' + Date.now()) }, 1500)
  `, 'held')
  const started = Date.now()
  const writing = db.knex('notes').insert({ text: 'gateway' })
  // The event loop keeps turning while the write waits: timers fire every few milliseconds.
  let ticks = 0
  let lastTick = 0
  const ticker = setInterval(() => { ticks++; lastTick = Date.now() }, 10)
  await writing
  clearInterval(ticker)
  await closed
  const released = Number(/released (\d+)/.exec(out())?.[1])
  t.ok(Date.now() >= released, 'the write landed after the lock was let go')
  t.ok(ticks >= 10 && lastTick >= started && lastTick < released + 1000, `the event loop turned ${ticks} times while the write waited ${released - started} ms (it slept in SQLite's busy handler before)`)
  t.same((await db.knex('notes').orderBy('id').select('text')).map((row) => row.text), ['worker', 'gateway'], 'both writes are kept, in order')
})

t.test("gateway writes and transactions all go through beside a worker's steady writes, and the worker keeps its pace", SQLITE_ONLY, async (t) => {
  // A worker's place: a write transaction every turn of its event loop for two seconds, checkpointing every few pages.
  const { db, out, closed } = await withOtherProcess(t, `
    db.pragma('journal_mode = WAL'); db.pragma('busy_timeout = 5000'); db.pragma('wal_autocheckpoint = 4')
    const insert = db.prepare("insert into notes (text) values (?)")
    console.log('writing')
    const started = Date.now()
    let n = 0
    let longest = 0
    const turn = () => {
      const asked = Date.now()
      db.prepare('BEGIN IMMEDIATE').run()
      longest = Math.max(longest, Date.now() - asked)
      for (let i = 0; i < 20; i++) insert.run('worker ' + n++)
      db.prepare('COMMIT').run()
      if (Date.now() < started + 2000) setImmediate(turn); else console.log('wrote ' + n + ', waited at most ' + longest + ' ms')
    }
    turn()
  `, 'writing')
  // The gateway meanwhile: audit entries, sign-ins, a new unit: a write or a transaction every few milliseconds.
  const failures: string[] = []
  for (let k = 0; k < 100; k++) {
    try {
      if (k % 2 === 0) await db.knex('notes').insert({ text: `gateway ${k}` })
      else await db.knex.transaction(async (trx) => { await trx('notes').count({ n: '*' }); await trx('notes').insert({ text: `gateway ${k}` }) })
    } catch (error) {
      failures.push(`${(error as { code?: string }).code}: ${(error as Error).message}`)
    }
    await new Promise((resolve) => setTimeout(resolve, 10))
  }
  await closed
  t.same(failures.slice(0, 3), [], `${100 - failures.length} of 100 gateway writes went through`)
  const longest = Number(/at most (\d+) ms/.exec(out())?.[1])
  t.ok(longest < 1000, `the worker wrote ${/wrote (\d+)/.exec(out())?.[1]} rows in its two seconds, waiting for the lock ${longest} ms at most`)
  t.equal(Number((await db.knex('notes').where('text', 'like', 'gateway %').count({ n: '*' }))[0]!.n), 100, 'all the gateway\'s rows are there')
})

/**
 * A new SQLite database with a `notes` table, and another process (a sandbox worker's place) running `script` on it
 * with `db` open; resolves once it printed `ready`, with what it prints and its end.
 */
async function withOtherProcess (t: { teardown(fn: () => unknown): void }, script: string, ready: string) {
  const database = await createTestDatabase()
  const db = createDatabase(database.url)
  t.teardown(async () => { await db.close(); await database.drop() })
  await db.knex.raw('create table notes (id integer primary key, text varchar(40) not null)')
  const other = spawn(process.execPath, ['-e', `const db = new (require('better-sqlite3'))(${JSON.stringify(database.url.slice('sqlite:'.length))})\n${script}`], {
    cwd: new URL('../../', import.meta.url).pathname, stdio: ['ignore', 'pipe', 'inherit'],
  })
  const closed = new Promise((resolve) => other.on('close', resolve))
  let out = ''
  other.stdout.on('data', (chunk: Buffer) => { out += chunk })
  await until(async () => out, (text) => text.includes(ready), 10_000)
  return { db, out: () => out, closed }
}
