// SQLite pass only: what is tested is the isolate, the worker process or the HTTP layer, not storage.
import t from 'tap'
import { startPluginPlatform } from '../helpers/plugins.ts'
import { whileNeighbourServes } from '../helpers/neighbour.ts'

t.test('a 50 MB response: 502, nothing of it reaches the gateway', async (t) => {
  const p = await startPluginPlatform(t)
  await p.install('hn', 'big', 'big-response')
  const { statuses, result } = await whileNeighbourServes(p, () => p.call('GET', '/t/hn/big/big'))
  t.equal(result.status, 502)
  t.equal(result.body.error.code, 'SBX_ERR_BAD_RESPONSE')
  t.match(result.body.error.message, /larger than 5242880/)
  t.ok(statuses.every((s) => s === 200), `hcm kept answering 200 (${statuses.length} requests)`)
})

t.test('a status outside 200–599 is a bad response', async (t) => {
  const p = await startPluginPlatform(t)
  await p.install('hn', 'bad', 'misbehave')
  const response = await p.call('GET', '/t/hn/bad/bad-status')
  t.equal(response.status, 502)
  t.equal(response.body.error.code, 'SBX_ERR_BAD_RESPONSE')
})

t.test('a plugin sets its own headers, but never cookies, framing or the request id', async (t) => {
  const p = await startPluginPlatform(t)
  await p.install('hn', 'bad', 'misbehave')
  const response = await p.call('GET', '/t/hn/bad/headers', { headers: { 'x-request-id': 'mine-1' } })
  t.equal(response.status, 200)
  t.equal(response.headers.get('x-plugin'), 'yes')
  t.equal(response.headers.get('set-cookie'), null, 'no cookie on the shared origin')
  t.equal(response.headers.get('x-request-id'), 'mine-1', 'the request id stays the platform\'s')
})

t.test('a header value Node cannot send is a bad response naming the header, not a dropped connection', async (t) => {
  const p = await startPluginPlatform(t)
  await p.install('hn', 'bad', 'misbehave')
  const response = await p.call('GET', '/t/hn/bad/unsendable-header')
  t.equal(response.status, 502)
  t.equal(response.body.error.code, 'SBX_ERR_BAD_RESPONSE')
  t.match(response.body.error.message, /header 'x-place' is invalid/)
  t.equal(response.headers.get('access-control-allow-origin'), '*', 'an error from a plugin route is readable cross-origin like its answers')
})
