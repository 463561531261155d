// SQLite pass only: what is tested is the CLI package installed away from the source; the database is not its subject.
import { spawn } from 'node:child_process'
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { homedir, tmpdir } from 'node:os'
import { join } from 'node:path'
import t from 'tap'
import { ADMIN_PASSWORD, startTestPlatform } from '../helpers/platform.ts'
import { startNodeWith } from '../helpers/process.ts'

const repository = new URL('../../', import.meta.url).pathname
/** The machine's own programs, as a person at a terminal has them: the system's Node (20 here) and npm, no more. */
const SYSTEM_PATH = '/usr/local/bin:/usr/bin:/bin'
/** What the machine's network needs (its certificate authorities, a proxy), passed on as a terminal would have it. */
const NETWORK = Object.fromEntries(Object.entries(process.env).filter(([name]) => /^(NODE_EXTRA_CA_CERTS|SSL_CERT_FILE|SSL_CERT_DIR|(HTTPS?|NO)_PROXY)$/i.test(name)))

interface Ran { code: number | null, stdout: string, stderr: string }
function run (program: string, args: string[], options: { cwd: string, env: NodeJS.ProcessEnv, input?: string, timeoutMs?: number }): Promise<Ran> {
  return new Promise((resolve, reject) => {
    const child = spawn(program, args, { cwd: options.cwd, env: options.env, stdio: [options.input === undefined ? 'ignore' : 'pipe', 'pipe', 'pipe'], timeout: options.timeoutMs ?? 60_000 })
    let stdout = ''
    let stderr = ''
    child.stdout!.on('data', (chunk: Buffer) => { stdout += chunk })
    child.stderr!.on('data', (chunk: Buffer) => { stderr += chunk })
    child.stdin?.end(options.input)
    child.on('error', reject)
    child.on('close', (code) => resolve({ code, stdout, stderr }))
  })
}

t.test('the CLI package, packed and installed with the system\'s Node in a folder far from the source, takes a plugin from init to publish', { timeout: 900_000 }, async (t) => {
  const work = mkdtempSync(join(tmpdir(), 'nentang-cli-package-'))
  t.teardown(() => rmSync(work, { recursive: true, force: true }))
  const system = (await run('node', ['--version'], { cwd: work, env: { PATH: SYSTEM_PATH } })).stdout.trim()

  // npm pack, as a release is made (the platform's sources built into the package's dist/).
  const packed = await run('npm', ['pack', '-w', 'packages/cli', '--pack-destination', work], { cwd: repository, env: process.env, timeoutMs: 120_000 })
  t.equal(packed.code, 0, packed.stderr.slice(-2000))
  const tarball = readdirSync(work).find((name) => /^nentang-cli-\d+\.\d+\.\d+\.tgz$/.test(name))
  t.ok(tarball, `packed ${tarball}`)

  // npm i -g on the machine's own Node and npm, into a prefix of its own; npm's cache is the machine's.
  const prefix = join(work, 'prefix')
  const installEnv = {
    ...NETWORK,
    PATH: SYSTEM_PATH,
    HOME: homedir(),
    npm_config_cache: join(homedir(), '.npm'),
    npm_config_prefer_offline: 'true',
    npm_config_audit: 'false',
    npm_config_fund: 'false',
  }
  const installed = await run('npm', ['install', '-g', join(work, tarball!), '--prefix', prefix], { cwd: work, env: installEnv, timeoutMs: 600_000 })
  t.equal(installed.code, 0, installed.stderr.slice(-3000))
  const nentang = join(prefix, 'bin', 'nentang')
  t.ok(existsSync(nentang), 'the nentang command is installed')

  // From here on a person at a terminal: the system's Node on the path, a home of their own, no repository anywhere.
  const home = join(work, 'home')
  const project = join(work, 'projects', 'so-tay')
  mkdirSync(join(work, 'projects'), { recursive: true })
  mkdirSync(home)
  const env = { ...NETWORK, PATH: `${join(prefix, 'bin')}:${SYSTEM_PATH}`, HOME: home, NENTANG_LOG_LEVEL: 'warn' }
  const cli = (args: string[], options: { cwd?: string, input?: string, timeoutMs?: number } = {}): Promise<Ran> =>
    run(nentang, args, { ...options, cwd: options.cwd ?? project, env, timeoutMs: options.timeoutMs ?? 120_000 })

  const help = await cli(['--help'], { cwd: work })
  t.equal(help.code, 0, help.stderr)
  t.match(help.stdout, /plugin init[\s\S]*plugin check[\s\S]*plugin publish/, `it runs although the system's Node is ${system}`)

  const init = await cli(['plugin', 'init', '@hn/so-tay', '--description', 'Sổ tay công dân phường'], { cwd: join(work, 'projects') })
  t.equal(init.code, 0, init.stderr)
  t.ok(existsSync(join(project, 'types', 'nentang-sdk.d.ts')), 'the SDK\'s types come with the project')

  const checked = await cli(['plugin', 'check'])
  t.equal(checked.code, 0, checked.stdout + checked.stderr)
  writeFileSync(join(project, 'broken.js'), "// @ts-check\nimport { storage } from 'nentang:sdk'\nstorage.collection(42)\n")
  const broken = await cli(['plugin', 'check'])
  t.not(broken.code, 0, 'a wrong SDK call fails the check')
  t.match(broken.stdout + broken.stderr, /broken\.js\(3,/, 'naming the file and line')
  rmSync(join(project, 'broken.js'))

  const tested = await cli(['plugin', 'test'], { timeoutMs: 180_000 })
  t.equal(tested.code, 0, tested.stdout + tested.stderr)
  t.match(tested.stdout, /pass 4/, 'the scaffold\'s tests pass against real sandboxes, on the package\'s Node')

  const before = readdirSync(project, { recursive: true }).map(String).sort()
  const dev = await startNodeWith(t, ['dev', '.', '--port', '0', '--host', '127.0.0.1'], env, /nentang dev is listening on http:\/\/localhost:(\d+)[\s\S]*as admin with the password (\S+)/, project, [nentang])
  t.match(dev.stderr(), new RegExp(`its data: ${join(home, '.nentang', 'dev').replace(/[.]/g, '\\.')}`), 'dev keeps its data in the home folder')
  t.equal((await fetch(`${dev.url}/t/dev/so-tay/hello`)).status, 200, 'and serves the plugin')
  dev.child.kill('SIGTERM')
  t.equal(await dev.exited, 0)
  t.same(readdirSync(project, { recursive: true }).map(String).sort(), before, 'nothing was written into the project folder')

  const pack = await cli(['plugin', 'pack', '--out', join(work, 'so-tay.tgz')])
  t.equal(pack.code, 0, pack.stderr)
  t.notMatch(pack.stdout, /\.db\b|secret|\.key\b/, 'no database or key packed')

  const p = await startTestPlatform(t)
  const admin = await p.signIn('admin', ADMIN_PASSWORD)
  t.equal((await p.call('POST', '/api/v1/tenants/vn/children', { token: admin, body: { code: 'hn', name: 'Thành phố Hà Nội' } })).status, 201)
  t.equal((await p.call('POST', '/api/v1/tenants/hn/users', { token: admin, body: { username: 'hn-dev', password: 'developer-password-1', roles: ['developer'] } })).status, 201)
  const login = await cli(['login', '--url', p.url, '--username', 'hn-dev', '--password-stdin'], { input: 'developer-password-1\n' })
  t.equal(login.code, 0, login.stderr)
  const published = await cli(['plugin', 'publish', join(work, 'so-tay.tgz')])
  t.equal(published.code, 0, published.stderr)
  t.match(published.stdout, /published @hn\/so-tay@0\.1\.0: pending/)
  t.equal((await p.call('GET', '/api/v1/registry/packages/hn/so-tay/versions/0.1.0', { token: admin })).body.status, 'pending', 'the registry has it, waiting for review')
  t.notOk(readFileSync(join(home, '.nentang', 'credentials.json'), 'utf8').includes('developer-password-1'), 'the password is not kept')
})

t.test('the CLI package depends on what the platform runs with, at the same versions, and brings Node 24 and TypeScript', async (t) => {
  const platform = JSON.parse(readFileSync(join(repository, 'package.json'), 'utf8'))
  const cli = JSON.parse(readFileSync(join(repository, 'packages/cli/package.json'), 'utf8'))
  for (const [name, range] of Object.entries(platform.dependencies as Record<string, string>)) t.equal(cli.dependencies[name], range, name)
  t.equal(cli.dependencies.node, platform.devDependencies.node, 'the Node the platform runs on')
  t.equal(cli.dependencies.typescript, platform.devDependencies.typescript, 'the TypeScript plugin check uses')
  t.same(platform.workspaces, ['packages/cli'], 'a workspace of this repository')
})
