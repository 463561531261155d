// SQLite pass only: what is tested is the command line; the database behind it is the platform's, tested on both.
import { cpSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import t from 'tap'
import { createTestDatabase } from '../helpers/database.ts'
import { runCli } from '../helpers/cli.ts'
import { startNodeWith } from '../helpers/process.ts'

const hello = new URL('../../examples/hello', import.meta.url).pathname

t.test('nentang dev examples/hello: an edit changes the next response within 1 s, no restart', async (t) => {
  const database = await createTestDatabase()
  const work = mkdtempSync(join(tmpdir(), 'nentang-dev-'))
  t.teardown(async () => { rmSync(work, { recursive: true, force: true }); await database.drop() })
  const folder = join(work, 'hello')
  cpSync(hello, folder, { recursive: true })
  const node = await startNodeWith(t, ['dev', folder, '--port', '0', '--host', '127.0.0.1'], { NENTANG_DATABASE_URL: database.url, NENTANG_DATA_DIR: database.dir, NENTANG_ADMIN_PASSWORD: 'dev-admin-password' }, /nentang dev is listening on http:\/\/localhost:(\d+)/)
  const get = async () => {
    const response = await fetch(`${node.url}/t/dev/hello/hello`)
    const body = await response.json() as { message: string }
    // Every request answers while the plugin is reloaded: the old version finishes what it started.
    if (response.status !== 200) t.fail(`a request during the reload answered ${response.status} ${JSON.stringify(body)}`)
    return body
  }
  t.same(await get(), { message: 'Xin chào, thế giới!', tenant: 'dev' })
  const pid = node.child.pid

  const source = join(folder, 'index.js')
  writeFileSync(source, readFileSync(source, 'utf8').replace('Xin chào', 'Chào bạn'))
  const started = Date.now()
  let message = ''
  while (Date.now() - started < 1000) {
    message = (await get()).message ?? ''
    if (message.startsWith('Chào bạn')) break
    await new Promise((resolve) => setTimeout(resolve, 20))
  }
  const elapsed = Date.now() - started
  t.equal(message, 'Chào bạn, thế giới!', `the edit is served ${elapsed} ms after saving`)
  t.ok(elapsed < 1000)
  t.equal(node.child.pid, pid, 'by the same process')
  node.child.kill('SIGTERM')
  t.equal(await node.exited, 0)
})

t.test('nentang dev . keeps its data outside the plugin folder, says how to sign in, and plugin pack refuses keys and databases', async (t) => {
  const work = mkdtempSync(join(tmpdir(), 'nentang-dev-'))
  t.teardown(() => rmSync(work, { recursive: true, force: true }))
  const folder = join(work, 'hello')
  const home = join(work, 'home')
  cpSync(hello, folder, { recursive: true })
  const before = readdirSync(folder, { recursive: true }).map(String).sort()
  const clean = { ...process.env }
  for (const name of ['NENTANG_DATA_DIR', 'NENTANG_DATABASE_URL', 'NENTANG_ADMIN_PASSWORD']) delete clean[name]
  const node = await startNodeWith(t, ['dev', '.', '--port', '0', '--host', '127.0.0.1'], { ...clean, HOME: home }, /nentang dev is listening on http:\/\/localhost:(\d+)[\s\S]*sign in at .* as admin with the password (\S+)/, folder)
  const password = /as admin with the password (\S+)/.exec(node.stderr())![1]!
  t.match(node.stderr(), new RegExp(`its data: ${join(home, '.nentang', 'dev').replace(/[.]/g, '\\.')}`), 'its data under the home folder')
  t.equal((await fetch(`${node.url}/api/v1/auth/token`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ username: 'admin', password }) })).status, 200, 'the password it printed signs in')
  t.same((await (await fetch(`${node.url}/t/dev/hello/hello`)).json()), { message: 'Xin chào, thế giới!', tenant: 'dev' })
  t.same(readdirSync(folder, { recursive: true }).map(String).sort(), before, 'nothing was written into the plugin folder')
  node.child.kill('SIGTERM')
  t.equal(await node.exited, 0)
  const inside = await runCli(['dev', folder, '--data-dir', join(folder, 'data'), '--port', '0'], { ...clean, HOME: home })
  t.equal(inside.code, 2)
  t.match(inside.stderr, /is inside the plugin folder/)

  // A manifest with three mistakes: all three said at once.
  const manifestPath = join(folder, 'plugin.json')
  const original = readFileSync(manifestPath, 'utf8')
  const manifest = JSON.parse(original)
  writeFileSync(manifestPath, JSON.stringify({ ...manifest, version: 'mới', routes: [{ method: 'GET', path: 'no-slash', handler: 'hello' }], permissions: { ...manifest.permissions, bogus: 1 } }))
  const three = await runCli(['plugin', 'pack', folder, '--out', join(work, 'bad.tgz')])
  t.equal(three.code, 1)
  t.match(three.stderr, /REG_ERR_MANIFEST_INVALID: 3 problems\n {2}- version: .*\n {2}- permissions\/bogus: .*\n {2}- routes\/0\/path: /)
  writeFileSync(manifestPath, original)

  // A database and a key left in the folder by an earlier tool: plugin pack names both and packs nothing.
  writeFileSync(join(folder, 'nentang.db'), Buffer.concat([Buffer.from('SQLite format 3\0'), Buffer.alloc(100)]))
  writeFileSync(join(folder, 'notes.txt'), '-----BEGIN PRIVATE KEY-----\nMIIE...\n-----END PRIVATE KEY-----\n')
  const packed = await runCli(['plugin', 'pack', folder, '--out', join(work, 'hello.tgz')])
  t.equal(packed.code, 1)
  t.match(packed.stderr, /nentang\.db \(its name is that of a key, a certificate store, an environment file or a database\)/)
  t.match(packed.stderr, /notes\.txt \(it holds a private key\)/)
  t.notOk(readdirSync(work).includes('hello.tgz'), 'no package written')
  rmSync(join(folder, 'nentang.db'))
  rmSync(join(folder, 'notes.txt'))
  const good = await runCli(['plugin', 'pack', folder, '--out', join(work, 'hello.tgz')])
  t.equal(good.code, 0, good.stderr)
  t.match(good.stdout, /\+ index\.js[\s\S]*\+ plugin\.json/, 'it lists what it packed')
})
