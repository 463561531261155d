import t from 'tap'
import { startExchangePlatform } from '../helpers/exchange.ts'
import { testDialect } from '../helpers/database.ts'
import { whileNeighbourServes } from '../helpers/neighbour.ts'
import { startTestPlatform } from '../helpers/platform.ts'
import { within } from '../helpers/wait.ts'

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms))

t.test('retries only idempotent calls; the breaker opens after N failures, answers 503 at once, and closes when the system recovers', async (t) => {
  const p = await startExchangePlatform(t)
  const { sim } = p
  await p.endpoint('echo', { baseUrl: sim.url, auth: { kind: 'none' }, allowPrivate: true, retries: 2, breaker: { failures: 3, openMs: 1000 } })
  const log = async (): Promise<Array<Record<string, any>>> => (await p.call('GET', '/api/v1/tenants/hn/exchange-log', { token: p.admin })).body.items

  const { statuses } = await whileNeighbourServes(p, async () => {
    sim.behave({ failNext: 2 })
    const read = await p.exchange('echo', { path: '/echo/tra-cuu' })
    t.equal(read.body.status, 200, 'a GET that failed twice succeeded on its third try')
    t.equal(sim.seen.length, 3)
    t.match((await log())[0], { attempts: 3, status: 200, outcome: 'ok' })

    sim.behave({ failNext: 1 })
    const write = await p.exchange('echo', { method: 'POST', path: '/echo/nop-ho-so', json: { maHoSo: 'HS-002' } })
    t.equal(write.body.status, 503, 'a POST is sent once: its 503 comes back to the plugin')
    t.equal(sim.seen.filter((one) => one.method === 'POST').length, 1, 'the simulator saw it once')
    t.match((await log())[0], { attempts: 1, status: 503 })

    // The breaker counted that 503; two more failures (each GET tried three times) open it.
    sim.behave({ failAll: true })
    for (let i = 0; i < 2; i++) t.equal((await p.exchange('echo', { path: '/echo/x' })).body.status, 503)
    const before = sim.seen.length
    const started = Date.now()
    const open = await p.exchange('echo', { path: '/echo/x' }, { raw: true })
    t.equal(open.status, 503)
    t.equal(open.body.error.code, 'EXCH_ERR_CIRCUIT_OPEN')
    t.ok(Date.now() - started < 500, `answered at once (${Date.now() - started} ms)`)
    t.equal(sim.seen.length, before, 'the open circuit sent nothing')
    const status = (await p.call('GET', '/api/v1/platform/status', { token: p.admin })).body
    t.match(status.circuits, [{ tenant: 'hn', mount: 'x', endpoint: 'echo', state: 'open' }], 'platform status shows it')
    const metrics = (await p.call('GET', '/metrics')).body as string
    t.match(metrics, /nentang_exchange_circuit_open\{[^}]*endpoint="echo"[^}]*\} 1/, 'and /metrics')
    t.match(metrics, /nentang_exchange_calls_total\{tenant="hn",endpoint="echo",outcome="EXCH_ERR_CIRCUIT_OPEN"\} 1/)

    sim.behave({ failAll: false })
    await sleep(1100)
    t.equal((await p.exchange('echo', { path: '/echo/x' })).body.status, 200, 'after openMs one trial call goes, and succeeds')
    t.match((await p.call('GET', '/api/v1/platform/status', { token: p.admin })).body.circuits, [{ state: 'closed' }], 'closed again')
    t.equal((await p.exchange('echo', { path: '/echo/y' })).body.status, 200)
  })
  t.ok(statuses.every((s) => s === 200), `hcm kept answering (${statuses.length} requests)`)
  t.same((await p.call('GET', '/api/v1/tenants/hn/exchange-log/verification', { token: p.admin })).body.ok, true)
})

t.test('a slow system times out within the plugin\'s time; a wrong request hash and a burst over the rate are refused with their codes', async (t) => {
  const p = await startExchangePlatform(t)
  const { sim } = p
  await p.endpoint('echo', { baseUrl: sim.url, auth: { kind: 'none' }, allowPrivate: true, timeoutMs: 400, retries: 0 })
  // Warm first: the time measured below is the call's, not the worker's start.
  t.equal((await p.exchange('echo', { path: '/echo/warm' })).body.status, 200)
  sim.behave({ slowMs: 3000 })
  const started = Date.now()
  const slow = await p.exchange('echo', { path: '/echo/cham' }, { raw: true })
  t.equal(slow.status, 504)
  t.equal(slow.body.error.code, 'EXCH_ERR_TIMEOUT')
  t.ok(Date.now() - started < 1400, `within the plugin's 1500 ms (${Date.now() - started} ms)`)
  sim.behave({ slowMs: 0, wrongHash: true })
  const forged = await p.exchange('echo', { path: '/echo/gia-mao' })
  t.equal(forged.body.code, 'EXCH_ERR_HASH_MISMATCH')
  const entry = (await p.call('GET', '/api/v1/tenants/hn/exchange-log?outcome=EXCH_ERR_HASH_MISMATCH', { token: p.admin })).body.items[0]
  t.match(entry, { status: 200, outcome: 'EXCH_ERR_HASH_MISMATCH', responseHash: /^[0-9a-f]{128}$/ }, 'logged with the answer\'s hash')
  sim.behave({ wrongHash: false })
  const big = await p.exchange('echo', { path: '/big/6000000' })
  t.equal(big.body.code, 'EXCH_ERR_RESPONSE_TOO_LARGE', 'an answer over 5 MiB is cut off, not held')
  t.equal((await p.exchange('echo', { path: '/big/1000' })).body.status, 200, 'and the next one goes through')

  await p.endpoint('echo', { baseUrl: sim.url, auth: { kind: 'none' }, allowPrivate: true, ratePerMinute: 2 })
  const burst = await Promise.all(Array.from({ length: 5 }, () => p.exchange('echo', { path: '/echo/dot' })))
  t.equal(burst.filter((one) => one.body.status === 200).length, 2, 'two a minute')
  t.equal(burst.filter((one) => one.body.code === 'EXCH_ERR_RATE_LIMITED').length, 3)
})

t.test('thirty calls at once with no token yet ask the token endpoint once', async (t) => {
  const p = await startExchangePlatform(t)
  const { sim } = p
  await p.endpoint('oauth', {
    baseUrl: `${sim.url}/oauth-api`,
    auth: { kind: 'oauth2', tokenUrl: `${sim.url}/oauth/token`, clientId: sim.credentials.oauth.clientId, clientSecret: sim.credentials.oauth.clientSecret },
    allowPrivate: true,
  })
  const answers = await Promise.all(Array.from({ length: 30 }, (_, i) => p.exchange('oauth', { path: `/ho-so/${i}` })))
  t.same(answers.map((one) => one.body.status), Array(30).fill(200))
  t.equal(sim.issued.tokens, 1)
})

t.test('two nodes on one database: an endpoint set on A serves calls on B at once, and the calls of both keep one chain', { skip: testDialect === 'postgres' ? false : 'several gateway nodes share a PostgreSQL database; this runs in the PostgreSQL pass' }, async (t) => {
  const a = await startExchangePlatform(t)
  const b = await startTestPlatform(t, {}, a)
  await a.endpoint('echo', { baseUrl: a.sim.url, auth: { kind: 'none' }, allowPrivate: true, timeoutMs: 2000 })
  const onB = (path: string): Promise<{ status: number, body: any }> => b.call('POST', '/t/hn/x/call/echo', { body: { path } })
  t.equal((await onB('/echo/b')).body.status, 200, 'B calls through the endpoint A set')
  await a.endpoint('echo', { baseUrl: `${a.sim.url}/echo`, auth: { kind: 'none' }, allowPrivate: true })
  const moved = await within(5000, async () => (await onB('/moi')).body.json?.target === '/echo/moi')
  t.pass(`B used A's change after ${moved} ms`)
  // Both nodes append to hn's chain at once.
  const calls = await Promise.all(Array.from({ length: 40 }, (_, i) => i % 2 === 0 ? a.exchange('echo', { path: `/a${i}` }) : onB(`/b${i}`)))
  t.same(calls.map((call) => call.body.status), Array(40).fill(200))
  const verified = (await a.call('GET', '/api/v1/tenants/hn/exchange-log/verification', { token: a.admin })).body
  t.equal(verified.ok, true, JSON.stringify(verified))
  t.ok(verified.entries >= 42, `${verified.entries} entries in one chain`)
})
