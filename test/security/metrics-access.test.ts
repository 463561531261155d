import t from 'tap'
import { whileNeighbourServes } from '../helpers/neighbour.ts'
import { examples, startPluginPlatform } from '../helpers/plugins.ts'

const TOKEN = 'a-metrics-token-of-at-least-32-characters'

t.test('with a metrics token set, /metrics answers to that token only; plugin routes are counted without their tenant', async (t) => {
  const p = await startPluginPlatform(t, { metricsToken: TOKEN })
  await p.install('hn', 'hello', `${examples}hello`)
  t.equal((await p.call('GET', '/t/hn/hello/hello')).status, 200)
  const { statuses, result: anonymous } = await whileNeighbourServes(p, () => p.call('GET', '/metrics'))
  t.ok(statuses.every((s) => s === 200), 'hcm kept answering')
  t.equal(anonymous.status, 403)
  t.equal(anonymous.body.error.code, 'CORE_ERR_FORBIDDEN')
  t.equal((await p.call('GET', '/metrics', { token: p.admin })).status, 403, 'a user\'s token is not the metrics token')
  t.equal((await p.call('GET', '/metrics', { token: TOKEN.slice(0, -1) + 'x' })).status, 403, 'nor is a near miss')
  const scraped = await p.call('GET', '/metrics', { token: TOKEN })
  t.equal(scraped.status, 200)
  t.match(scraped.body, /route="\/t\/\{tenant\}\/hello\/hello"/, 'the route without its tenant')
  t.notMatch(scraped.body, /route="\/t\/hn\//, 'no series per tenant')
})

t.test('without a token, /metrics answers on this host only', async (t) => {
  const p = await startPluginPlatform(t, { trustProxy: true })
  const local = await p.call('GET', '/metrics', { headers: { 'x-forwarded-for': '203.0.113.5' } })
  t.equal(local.status, 200, 'the socket is loopback; a forwarded address does not change that')
})
