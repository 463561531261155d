// SQLite pass only: what is tested is the isolate, the worker process or the HTTP layer, not storage.
import t from 'tap'
import { createBatcher, type Batch } from '../../sandbox/protocol.ts'
import { whileNeighbourServes } from '../helpers/neighbour.ts'
import { startPluginPlatform } from '../helpers/plugins.ts'

/** `{"title":"x","extra":[[[…]]]}` nested `depth` levels: 24 KB at 12,000 once killed the gateway. */
function nested (depth: number): string {
  return `{"title":"Đơn đề nghị","extra":${'['.repeat(depth)}${']'.repeat(depth)}}`
}

t.test('a body nested 12,000 deep is refused on a public plugin route, and the gateway serves on', async (t) => {
  const p = await startPluginPlatform(t)
  await p.install('hn', 'notes', 'loose-body')
  const { statuses, result } = await whileNeighbourServes(p, async () => {
    const answers = []
    for (const depth of [12_000, 100_000, 65]) {
      answers.push(await p.call('POST', '/t/hn/notes/notes', { raw: nested(depth), headers: { 'content-type': 'application/json' } }))
    }
    return answers
  })
  for (const answer of result) {
    t.equal(answer.status, 413)
    t.equal(answer.body.error.code, 'CORE_ERR_BODY_TOO_COMPLEX')
    t.equal(answer.body.error.field, '(body)')
  }
  t.ok(statuses.every((s) => s === 200), 'hcm kept answering')
  const health = await p.call('GET', '/healthz')
  t.equal(health.status, 200, 'the gateway is alive')
})

t.test('a citizen\'s ordinary nested form still goes through, up to 64 levels', async (t) => {
  const p = await startPluginPlatform(t)
  await p.install('hn', 'notes', 'loose-body')
  const answer = await p.call('POST', '/t/hn/notes/notes', { raw: nested(63), headers: { 'content-type': 'application/json' } })
  t.equal(answer.status, 200)
  t.same(answer.body, { title: 'Đơn đề nghị', name: null, keys: 2 })
  const brackets = await p.call('POST', '/t/hn/notes/notes', { body: { title: '[[[[{{{{ ngoặc trong chuỗi ]]]]', extra: '['.repeat(5000) } })
  t.equal(brackets.status, 200, 'brackets inside strings do not count')
})

t.test('too many values, and deep bodies on the core API, are refused the same way', async (t) => {
  const p = await startPluginPlatform(t)
  await p.install('hn', 'notes', 'loose-body')
  const many = await p.call('POST', '/t/hn/notes/notes', { body: { title: 'x', extra: Array.from({ length: 100_001 }, () => 0) } })
  t.equal(many.status, 413)
  t.equal(many.body.error.code, 'CORE_ERR_BODY_TOO_COMPLEX')
  const signIn = await p.call('POST', '/api/v1/auth/token', { raw: `{"username":"admin","password":"x","x":${'{"a":'.repeat(20_000)}1${'}'.repeat(20_000)}}`, headers: { 'content-type': 'application/json' } })
  t.equal(signIn.status, 413)
  t.equal(signIn.body.error.code, 'CORE_ERR_BODY_TOO_COMPLEX')
  const deepObjects = await p.call('POST', '/t/hn/notes/notes', { raw: `{"a":${'{"a":'.repeat(12_000)}1${'}'.repeat(12_000)}}`, headers: { 'content-type': 'application/json' } })
  t.equal(deepObjects.status, 413, 'nested objects as well as arrays')
  t.equal((await p.call('GET', '/healthz')).status, 200)
})

t.test('one message that cannot be serialised fails alone; the rest of its batch is delivered', async (t) => {
  const sent: unknown[] = []
  const failed: unknown[] = []
  const send = createBatcher<{ id: number, value: unknown }>((batch: Batch<{ id: number, value: unknown }>) => {
    sent.push(...JSON.parse(JSON.stringify(batch)).m)
  }, (message) => failed.push(message.id))
  let deep: unknown = 1
  for (let i = 0; i < 100_000; i++) deep = [deep]
  send({ id: 1, value: 'a' })
  send({ id: 2, value: deep })
  send({ id: 3, value: 'c' })
  await new Promise((resolve) => setImmediate(resolve))
  await new Promise((resolve) => setImmediate(resolve))
  t.same(sent, [{ id: 1, value: 'a' }, { id: 3, value: 'c' }])
  t.same(failed, [2])
})
