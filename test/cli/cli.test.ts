import t from 'tap'
import { createDatabase } from '../../core/db/database.ts'
import { createTestDatabase } from '../helpers/database.ts'
import { runCli } from '../helpers/cli.ts'

t.test('help and unknown commands', async (t) => {
  const help = await runCli(['--help'])
  t.equal(help.code, 0)
  t.match(help.stdout, /usage: nentang <command>/)
  t.match(help.stdout, /NENTANG_DATABASE_URL/)
  const startHelp = await runCli(['start', '--help'])
  t.equal(startHelp.code, 0)
  t.match(startHelp.stdout, /nentang start: start a gateway node/)
  const unknown = await runCli(['frobnicate'])
  t.equal(unknown.code, 2)
  t.match(unknown.stderr, /unknown command 'frobnicate'/)
  // Each command tells how it is called; a group of commands lists its own.
  const devHelp = await runCli(['dev', '--help'])
  t.match(devHelp.stdout, /usage: nentang dev <plugin folder>\.\.\. \[options\]/)
  t.notMatch(devHelp.stdout, /usage: nentang <command>/, 'not the generic usage')
  const pluginHelp = await runCli(['plugin', '--help'])
  t.equal(pluginHelp.code, 0)
  t.match(pluginHelp.stdout, /plugin init .*\n.*plugin check .*\n.*plugin test .*\n.*plugin pack .*\n.*plugin publish/)
  const pluginAlone = await runCli(['plugin'])
  t.equal(pluginAlone.code, 2)
  t.match(pluginAlone.stderr, /'plugin' needs a command/)
  t.match((await runCli(['plugin', 'frob'])).stderr, /unknown command 'plugin frob'/)
})

t.test('a port already in use is said in a line, with what to do, not a stack trace', async (t) => {
  const { createServer } = await import('node:net')
  const taken = createServer()
  await new Promise<void>((resolve) => taken.listen(0, '127.0.0.1', resolve))
  t.teardown(() => taken.close())
  const port = (taken.address() as { port: number }).port
  const database = await createTestDatabase()
  t.teardown(() => database.drop())
  const result = await runCli(['start', '--host', '127.0.0.1', '--port', String(port), '--database-url', database.url, '--data-dir', database.dir, '--admin-password', 'mật-khẩu-quản-trị-dài'])
  t.equal(result.code, 1)
  t.match(result.stderr, new RegExp(`nentang: 127\\.0\\.0\\.1:${port} is already in use by another process \\(EADDRINUSE\\): stop it, or choose another --port`))
  t.notMatch(result.stderr, /\n\s+at /, 'no stack trace')
})

t.test('invalid configuration is refused at start with every problem named', async (t) => {
  const result = await runCli(['start', '--port', 'abc'], { NENTANG_WORKERS: '0', NENTANG_DATABASE_URL: 'mysql://x', NENTANG_SECRET_KEY: 'short' })
  t.equal(result.code, 2)
  t.match(result.stderr, /--port must be an integer from 0 to 65535 \(got "abc"\)/)
  t.match(result.stderr, /NENTANG_WORKERS must be an integer from 1 to 64 \(got 0\)/)
  t.match(result.stderr, /NENTANG_DATABASE_URL must be sqlite:<file> or postgres:/)
  t.match(result.stderr, /NENTANG_SECRET_KEY must have at least 32 characters/)
  const flag = await runCli(['start', '--no-such-flag'])
  t.equal(flag.code, 2)
  t.match(flag.stderr, /no-such-flag/)
})

t.test('migrate applies the migrations once', async (t) => {
  const database = await createTestDatabase()
  t.teardown(() => database.drop())
  const first = await runCli(['migrate', '--database-url', database.url])
  t.equal(first.code, 0, first.stderr)
  t.match(first.stdout, /applied 0001-core, 0002-plugin-storage, 0003-registry, 0004-installations, 0005-installation-secrets/)
  const second = await runCli(['migrate', '--database-url', database.url])
  t.match(second.stdout, /already up to date/)
})

t.test('audit verify on an unreachable database fails with a message', async (t) => {
  const result = await runCli(['audit', 'verify', '--database-url', 'postgres://nobody@127.0.0.1:1/none'])
  t.equal(result.code, 1)
  t.match(result.stderr, /nentang: .*ECONNREFUSED/)
})

t.test('demo prepares the demo tenants and users, and with --national the whole country', async (t) => {
  const database = await createTestDatabase()
  t.teardown(() => database.drop())
  const flags = ['--database-url', database.url, '--data-dir', database.dir, '--admin-password', 'demo-admin-password']
  const first = await runCli(['demo', '--national', ...flags], {}, 180_000)
  t.equal(first.code, 0, first.stderr)
  t.match(first.stdout, /hn-admin +\S{12,} +tenant-admin at hn/, 'the demo users are printed with their passwords')
  t.match(first.stdout, /national tree: 3350 tenant\(s\) created/, '34 provinces and 3,321 communes, less the 5 demo units')
  t.match(first.stderr, /national tree: 3355\/3355 units/, 'with progress')
  // What a first start installs, a database first made by `demo` has too: every unit inherits the procedures.
  const db = createDatabase(database.url)
  try {
    const installed = await db.knex('installations as i').join('tenants as t', 't.id', 'i.tenant_id').whereNull('t.parent_id').select('i.mount', 'i.name')
    t.same(installed.map((row) => `${row.mount} ${row.name}`), ['procedures @vn/procedures'], 'the procedures are installed at vn, for every unit below')
  } finally {
    await db.close()
  }
  const again = await runCli(['demo', ...flags])
  t.equal(again.code, 0)
  t.match(again.stdout, /demo tenants already exist/)
  const bad = await runCli(['demo', 'extra', ...flags])
  t.equal(bad.code, 2)
  t.match(bad.stderr, /unexpected argument 'extra'/)
})
