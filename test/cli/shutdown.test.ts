// SQLite pass only: what is tested is the command line; the database behind it is the platform's, tested on both.
import { request as httpRequest } from 'node:http'
import { connect } from 'node:net'
import t from 'tap'
import { createDatabase } from '../../core/db/database.ts'
import { createTestDatabase } from '../helpers/database.ts'
import { startNode } from '../helpers/process.ts'

const PASSWORD = 'shutdown-test-password'

/** Signs in as `username` from `address` (through the trusted proxy's X-Forwarded-For). */
function signIn (url: string, username: string, address: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const body = JSON.stringify({ username, password: PASSWORD })
    const headers = { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body), 'x-forwarded-for': address }
    const req = httpRequest(`${url}/api/v1/auth/token`, { method: 'POST', agent: false, headers }, (res) => {
      res.resume()
      res.on('end', () => resolve(res.statusCode ?? 0))
    })
    req.on('error', reject)
    req.end(body)
  })
}

async function inFlight (url: string): Promise<number> {
  const text = await (await fetch(`${url}/metrics`)).text()
  return Number(/^nentang_http_requests_in_flight (\d+)/m.exec(text)?.[1] ?? 0)
}

t.test('SIGTERM with 50 sign-ins in flight: all complete, new connections are refused, exit 0', async (t) => {
  const database = await createTestDatabase()
  t.teardown(() => database.drop())
  // One scrypt thread makes the 50 sign-ins queue up, so they are all in flight at once. On a loaded
  // machine they take longer than the default 10 s drain bound, which this test is not about.
  const node = await startNode(t, ['--trust-proxy'], { NENTANG_DATABASE_URL: database.url, NENTANG_DATA_DIR: database.dir, NENTANG_ADMIN_PASSWORD: PASSWORD, UV_THREADPOOL_SIZE: '1', NENTANG_SHUTDOWN_TIMEOUT: '30000' })

  // Fifty people at fifty desks, each signing in once (one check per username, and at most eight per address, run at
  // a time), with admin's password.
  const db = createDatabase(database.url)
  const [admin] = await db.knex('users').where({ username: 'admin' }).select('password_hash', 'home_tenant_id')
  const now = new Date().toISOString()
  await db.knex('users').insert(Array.from({ length: 50 }, (_, i) => ({ username: `officer-${i}`, display_name: `Cán bộ ${i}`, password_hash: admin.password_hash, home_tenant_id: admin.home_tenant_id, created_at: now, updated_at: now })))
  await db.close()
  const signIns = Array.from({ length: 50 }, (_, i) => signIn(node.url, `officer-${i}`, `10.0.${i}.1`))
  const deadline = Date.now() + 10_000
  // The metrics request counts itself, hence 51.
  while (await inFlight(node.url) < 51) {
    if (Date.now() > deadline) throw new Error('the 50 sign-ins never were in flight together')
    await new Promise((resolve) => setTimeout(resolve, 5))
  }
  node.child.kill('SIGTERM')
  await new Promise((resolve) => setTimeout(resolve, 100))

  const port = Number(new URL(node.url).port)
  const refused = await new Promise<string>((resolve) => {
    const socket = connect(port, '127.0.0.1')
    socket.on('connect', () => { socket.destroy(); resolve('connected') })
    socket.on('error', (error: NodeJS.ErrnoException) => resolve(error.code ?? 'error'))
  })
  t.equal(refused, 'ECONNREFUSED', 'a new connection is refused while draining')

  const statuses = await Promise.all(signIns).catch((error) => { t.comment(node.stderr()); throw error })
  t.same(statuses, Array(50).fill(200), 'every in-flight sign-in completes with 200')
  t.equal(await node.exited, 0, 'the process exits 0')
})
