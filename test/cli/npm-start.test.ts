// SQLite pass only: what is tested is the command line; the database behind it is the platform's, tested on both.
import { spawn } from 'node:child_process'
import { createServer } from 'node:net'
import t from 'tap'
import { totpCode } from '../helpers/factors.ts'
import { createTestDatabase } from '../helpers/database.ts'

const root = new URL('../../', import.meta.url).pathname

function portFree (port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer()
    server.once('error', () => resolve(false))
    server.listen(port, () => server.close(() => resolve(true)))
  })
}

// The README's first screen: `npm start` serves the platform with the demo tenants on port 3000.
t.test('npm start answers on port 3000 with the demo tenants', async (t) => {
  t.ok(await portFree(3000), 'port 3000 is free (stop any running nentang before the tests)')
  const database = await createTestDatabase()
  t.teardown(() => database.drop())
  const child = spawn('npm', ['start', '--silent'], {
    cwd: root,
    detached: true,
    env: { ...process.env, NENTANG_DATABASE_URL: database.url, NENTANG_DATA_DIR: database.dir, NENTANG_LOG_LEVEL: 'warn' },
    stdio: ['ignore', 'ignore', 'pipe'],
  })
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)))
  t.teardown(() => { try { process.kill(-child.pid!, 'SIGKILL') } catch {} })
  let stderr = ''
  child.stderr.on('data', (chunk: Buffer) => { stderr += chunk })

  const deadline = Date.now() + 30_000
  let health: Response | undefined
  while (Date.now() < deadline) {
    health = await fetch('http://127.0.0.1:3000/healthz').catch(() => undefined)
    // The banner reaches this process through a pipe, possibly after the first answer.
    if (health?.status === 200 && /is listening on/.test(stderr)) break
    await new Promise((resolve) => setTimeout(resolve, 100))
  }
  t.equal(health?.status, 200, 'GET /healthz is 200')
  t.match(stderr, /admin password: \S{20}/, 'the generated admin password is printed once')
  const password = /hn-admin\s+(\S+)/.exec(stderr)?.[1]
  t.ok(password, 'demo users are printed')
  // Level 3 out of the box: an administrator's first sign-in enrols a second factor (an authenticator app here).
  const post = async (path: string, body: unknown): Promise<any> => (await fetch(`http://127.0.0.1:3000${path}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) })).json()
  const first = await post('/api/v1/auth/token', { username: 'hn-admin', password })
  t.equal(first.next, 'enrol', 'the demo administrator is asked to enrol a second factor first')
  const { secret } = await post('/api/v1/auth/enrol/totp', { ticket: first.ticket })
  const { token } = await post('/api/v1/auth/enrol/totp/confirm', { ticket: first.ticket, code: totpCode(secret) }) as { token: string }
  const children = await (await fetch('http://127.0.0.1:3000/api/v1/tenants/hn/children', { headers: { authorization: `Bearer ${token}` } })).json() as { items: Array<{ code: string, name: string }> }
  t.same(children.items.map((c) => c.code), ['hn-ba-dinh', 'hn-hoan-kiem'], 'the demo tree is there')
  t.equal(children.items[0]!.name, 'Phường Ba Đình', 'named from the official list')
  // The demo's data exchange: the LGSP simulator beside it, Hà Nội's portal sync connected to it.
  const simulator = /LGSP simulator: (http:\/\/127\.0\.0\.1:\d+)/.exec(stderr)?.[1]
  t.ok(simulator, 'the banner names the LGSP simulator')
  const endpoints = await (await fetch('http://127.0.0.1:3000/api/v1/tenants/hn/plugins/portal-sync/endpoints', { headers: { authorization: `Bearer ${token}` } })).json() as { endpoints: Array<{ name: string, baseUrl: string, circuit: string }> }
  t.match(endpoints.endpoints, [{ name: 'portal', baseUrl: `${simulator}/portal`, circuit: 'closed' }], 'the portal connection points at it')
  t.match(stderr, /console: http:\/\/localhost:3000\/console\//, 'the banner points at the console')
  const console_ = await fetch('http://127.0.0.1:3000/', { redirect: 'follow' })
  t.match(await console_.text(), /<script type="module" src="\/console\/app\.js">/, 'and / opens it')

  // Ctrl-C reaches the whole process group; npm itself dies of the signal, nentang shuts down.
  process.kill(-child.pid!, 'SIGINT')
  await exited
  let free = false
  for (let i = 0; i < 50 && !free; i++) {
    free = await portFree(3000)
    if (!free) await new Promise((resolve) => setTimeout(resolve, 100))
  }
  t.ok(free, 'the platform stops and frees port 3000')
  let simulatorGone = false
  for (let i = 0; i < 50 && !simulatorGone; i++) {
    simulatorGone = await fetch(`${simulator}/echo/x`).then(() => false, () => true)
    if (!simulatorGone) await new Promise((resolve) => setTimeout(resolve, 100))
  }
  t.ok(simulatorGone, 'the simulator stopped with it')
})
