// SQLite pass only: what is tested is the isolate, the worker process or the HTTP layer, not storage.
import { connect } from 'node:net'
import t from 'tap'
import { ADMIN_PASSWORD, startTestPlatform } from '../helpers/platform.ts'

/**
 * Opens a connection that sends `start`, then one byte every 200 ms; resolves with how long the server kept it open.
 */
function trickle (port: number, start: string, giveUpMs: number): Promise<number> {
  return new Promise((resolve) => {
    const began = performance.now()
    const socket = connect(port, '127.0.0.1', () => socket.write(start))
    const timer = setInterval(() => socket.write('x'), 200)
    const end = (): void => { clearInterval(timer); clearTimeout(limit); socket.destroy(); resolve(performance.now() - began) }
    const limit = setTimeout(end, giveUpMs)
    socket.on('close', end)
    socket.on('error', end)
  })
}

t.test('a client that trickles its headers or its body is cut off when the timeout says, not up to 30 s later', async (t) => {
  const p = await startTestPlatform(t)
  const { server } = p.platform
  // The settings under test, shortened so the test is quick (20 s and 60 s in service).
  server.headersTimeout = 1000
  server.requestTimeout = 2000
  const port = Number(new URL(p.url).port)
  const [headers, body, signIn] = await Promise.all([
    trickle(port, 'GET /healthz HTTP/1.1\r\nHost: x\r\nX-Slow: ', 15_000),
    trickle(port, 'POST /api/v1/auth/token HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 100000\r\n\r\n{"username":"', 15_000),
    (async () => {
      await new Promise((resolve) => setTimeout(resolve, 300))
      return (await p.call('POST', '/api/v1/auth/token', { body: { username: 'admin', password: ADMIN_PASSWORD } })).status
    })(),
  ])
  t.ok(headers < 6000, `slow headers cut after ${Math.round(headers)} ms (timeout 1 s, checked every second)`)
  t.ok(body < 7000, `a slow body cut after ${Math.round(body)} ms (timeout 2 s)`)
  t.equal(signIn, 200, 'others are served meanwhile')
})
