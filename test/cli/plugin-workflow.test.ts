// SQLite pass only: what is tested is the command line; the database behind it is the platform's, tested on both.
import { spawnSync } from 'node:child_process'
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import t from 'tap'
import { runCli } from '../helpers/cli.ts'
import { ADMIN_PASSWORD, startTestPlatform } from '../helpers/platform.ts'

const PASSWORD = 'developer-password-1'
const tsc = new URL('../../node_modules/typescript/bin/tsc', import.meta.url).pathname

t.test('plugin init, test, pack, publish against a running platform; approved and installed, the route answers', async (t) => {
  const home = mkdtempSync(join(tmpdir(), 'nentang-cli-'))
  t.teardown(() => rmSync(home, { recursive: true, force: true }))
  const env = { NENTANG_HOME: join(home, '.nentang') }
  const project = join(home, 'todo')

  const init = await runCli(['plugin', 'init', '@hn/todo', '--dir', project, '--description', 'Việc cần làm của phường'], env)
  t.equal(init.code, 0, init.stderr)
  t.match(init.stdout, /created @hn\/todo/)
  const manifest = JSON.parse(readFileSync(join(project, 'plugin.json'), 'utf8'))
  t.match(manifest, { name: '@hn/todo', version: '0.1.0', description: 'Việc cần làm của phường' })
  t.match(readFileSync(join(project, 'README.md'), 'utf8'), /# todo/)
  const again = await runCli(['plugin', 'init', '@hn/todo', '--dir', project], env)
  t.equal(again.code, 1, 'an existing project is never overwritten')
  t.match(again.stderr, /exists and is not empty/)
  t.equal((await runCli(['plugin', 'init', '@HN/Bad Name'], env)).code, 2, 'a bad name is refused')

  const typed = spawnSync(process.execPath, [tsc, '-p', join(project, 'jsconfig.json')], { encoding: 'utf8' })
  t.equal(typed.status, 0, `the scaffold type-checks against the SDK types: ${typed.stdout}`)
  writeFileSync(join(project, 'broken.js'), "// @ts-check\nimport { storage } from 'nentang:sdk'\nstorage.collection(42)\n")
  t.not(spawnSync(process.execPath, [tsc, '-p', join(project, 'jsconfig.json')]).status, 0, 'and the types catch a mistake')
  rmSync(join(project, 'broken.js'))

  const tested = await runCli(['plugin', 'test', project], env, 120_000)
  t.equal(tested.code, 0, tested.stdout + tested.stderr)
  t.match(tested.stdout, /pass 4/, 'the scaffold\'s tests pass against real sandboxes')
  t.match(tested.stderr, /starting a platform with real sandboxes/, 'progress is shown')
  const failing = await runCli(['plugin', 'test', project, '--settings', '{"greeting":"Chào"}'], env, 120_000)
  t.equal(failing.code, 1, 'a failing test fails the command')
  t.match(failing.stdout, /fail 1/)
  const badSettings = await runCli(['plugin', 'test', project, '--settings', '{"greeting":5}'], env, 120_000)
  t.equal(badSettings.code, 1)
  t.match(badSettings.stderr, /does not install: CORE_ERR_INVALID_FIELD/, 'settings are checked against the schema')

  const out = join(home, 'todo.tgz')
  const packed = await runCli(['plugin', 'pack', project, '--out', out], env)
  t.equal(packed.code, 0, packed.stderr)
  t.match(packed.stdout, /packed @hn\/todo@0\.1\.0: 3 file\(s\)/, 'plugin.json, index.js and the README; no tests or types')
  const repacked = await runCli(['plugin', 'pack', project, '--out', join(home, 'again.tgz')], env)
  t.equal(repacked.code, 0)
  t.same(readFileSync(join(home, 'again.tgz')), readFileSync(out), 'packing is reproducible')

  const p = await startTestPlatform(t)
  const admin = await p.signIn('admin', ADMIN_PASSWORD)
  t.equal((await p.call('POST', '/api/v1/tenants/vn/children', { token: admin, body: { code: 'hn', name: 'Hà Nội' } })).status, 201)
  t.equal((await p.call('POST', '/api/v1/tenants/hn/users', { token: admin, body: { username: 'hn-dev', password: PASSWORD, roles: ['developer'] } })).status, 201)

  const anonymous = await runCli(['plugin', 'publish', out], env)
  t.equal(anonymous.code, 1)
  t.match(anonymous.stderr, /not signed in; run `nentang login` first/)
  const wrong = await runCli(['login', '--url', p.url, '--username', 'hn-dev', '--password-stdin'], env, 30_000, 'not-the-password\n')
  t.equal(wrong.code, 1)
  t.match(wrong.stderr, /CORE_ERR_BAD_CREDENTIALS/)
  const login = await runCli(['login', '--url', p.url, '--username', 'hn-dev', '--password-stdin'], env, 30_000, `${PASSWORD}\n`)
  t.equal(login.code, 0, login.stderr)
  t.equal(statSync(join(home, '.nentang', 'credentials.json')).mode & 0o777, 0o600, 'the token is readable by its owner only')

  // An hour later the bearer token has run out: publish renews it with the kept refresh token, quietly.
  const credentials = join(home, '.nentang', 'credentials.json')
  const kept = JSON.parse(readFileSync(credentials, 'utf8'))
  const signedIn = kept.platforms[kept.current]
  t.match(signedIn, { refreshToken: /^[A-Za-z0-9_-]{43}$/ }, 'login keeps a refresh token')
  writeFileSync(credentials, JSON.stringify({ ...kept, platforms: { [kept.current]: { ...signedIn, token: 'het.han.roi', expiresAt: new Date(Date.now() - 60_000).toISOString() } } }))
  const published = await runCli(['plugin', 'publish', project], env)
  t.equal(published.code, 0, published.stderr)
  t.match(published.stdout, /published @hn\/todo@0\.1\.0: pending/)
  const renewed = JSON.parse(readFileSync(credentials, 'utf8')).platforms[kept.current]
  t.not(renewed.refreshToken, signedIn.refreshToken, 'the renewal used the refresh token up and kept the next')
  t.ok(Date.parse(renewed.expiresAt) > Date.now(), 'with a bearer token good for the next hour')
  t.match(published.stdout, /ok {3}handlers: main loads and exports 3 handler\(s\)/)
  const duplicate = await runCli(['plugin', 'publish', out], env)
  t.equal(duplicate.code, 1)
  t.match(duplicate.stderr, /REG_ERR_VERSION_EXISTS/)

  t.equal((await p.call('POST', '/api/v1/registry/packages/hn/todo/versions/0.1.0/approve', { token: admin, body: { comment: 'ok' } })).status, 200)
  t.equal((await p.call('PUT', '/api/v1/tenants/hn/plugins/todo', { token: admin, body: { package: '@hn/todo', version: '0.1.0', settings: { greeting: 'Chào mừng' } } })).status, 200)
  const answer = await p.call('GET', '/t/hn/todo/hello')
  t.equal(answer.status, 200)
  t.same(answer.body, { message: 'Chào mừng, hn!' }, 'the new route answers')
})

t.test('every new command has --help', async (t) => {
  for (const command of [['login'], ['demo'], ['plugin', 'init'], ['plugin', 'test'], ['plugin', 'pack'], ['plugin', 'publish']]) {
    const help = await runCli([...command, '--help'])
    t.equal(help.code, 0, command.join(' '))
    t.match(help.stdout, new RegExp(`nentang ${command.join(' ')}:`))
  }
  const bad = await runCli(['plugin', 'pack', '--frobnicate', 'x'])
  t.equal(bad.code, 2)
  t.match(bad.stderr, /unknown option --frobnicate/)
})
