// SQLite pass only: what is tested is the command line; the database behind it is the platform's, tested on both.
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import t from 'tap'
import { createTestDatabase } from '../helpers/database.ts'
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
