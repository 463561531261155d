import t from 'tap'
import { startPluginPlatform } from '../helpers/plugins.ts'

// One body for both databases (the suite runs on SQLite, then on PostgreSQL): what a plugin gets
// back must not depend on which one the platform runs on.
const values: Array<{ label: string, v?: unknown }> = [
  { label: 'ten', v: 10 },
  { label: 'nine', v: 9 },
  { label: 'text ten', v: '10' },
  { label: 'text nine', v: '9' },
  { label: 'true', v: true },
  { label: 'false', v: false },
  { label: 'null', v: null },
  { label: 'missing' },
  { label: 'two and a half', v: 2.5 },
  { label: 'minus one', v: -1 },
  { label: 'Đà Nẵng', v: 'Đà Nẵng' },
  { label: 'an', v: 'an' },
  { label: 'Ấp', v: 'Ấp' },
  { label: 'array', v: [1] },
  { label: 'object', v: { a: 1 } },
]

t.test('sort orders JSON by type, then by value: numbers as numbers, strings by code point, the same on both databases', async (t) => {
  const p = await startPluginPlatform(t)
  await p.install('hn', 'probe', 'storage-probe')
  for (const doc of values) t.equal((await p.call('POST', '/t/hn/probe/docs', { body: doc })).status, 200)
  const sorted = async (sort: unknown): Promise<string[]> => {
    const answer = await p.call('POST', '/t/hn/probe/probe', { body: { options: { sort } } })
    t.equal(answer.status, 200, JSON.stringify(answer.body))
    return answer.body.result.map((doc: { label: string }) => doc.label)
  }
  const ascending = ['null', 'missing', 'false', 'true', 'minus one', 'two and a half', 'nine', 'ten', 'text ten', 'text nine', 'an', 'Đà Nẵng', 'Ấp', 'array', 'object']
  t.same(await sorted('v'), ascending, '10 after 9, "10" before "9", ties in the order they were made')
  t.same(await sorted(['v']), ascending, 'an array of one field is the same')
  t.same(await sorted('-v'), ['array', 'object', 'Ấp', 'Đà Nẵng', 'an', 'text nine', 'text ten', 'ten', 'nine', 'two and a half', 'minus one', 'true', 'false', 'null', 'missing'])
})

t.test('group keys come back as the JSON they are, and sums take numbers only, the same on both databases', async (t) => {
  const p = await startPluginPlatform(t)
  await p.install('hn', 'probe', 'storage-probe')
  const docs = [
    { kind: 1, amount: 10 }, { kind: 1, amount: 5 }, { kind: '1', amount: 7 }, { kind: true, amount: 1 },
    { kind: 'hộ kinh doanh', amount: '1000' }, { kind: 'hộ kinh doanh', amount: 2.5 }, { amount: 3 }, { kind: null, amount: 4 },
  ]
  for (const doc of docs) t.equal((await p.call('POST', '/t/hn/probe/docs', { body: doc })).status, 200)
  const answer = await p.call('POST', '/t/hn/probe/report', { body: { groupBy: ['kind'], metrics: { n: { op: 'count' }, total: { op: 'sum', field: 'amount' }, biggest: { op: 'max', field: 'amount' } } } })
  t.equal(answer.status, 200)
  t.same(answer.body.result, [
    { kind: null, n: 2, total: 7, biggest: 4 },
    { kind: true, n: 1, total: 1, biggest: 1 },
    { kind: 1, n: 2, total: 15, biggest: 10 },
    { kind: '1', n: 1, total: 7, biggest: 7 },
    { kind: 'hộ kinh doanh', n: 2, total: 2.5, biggest: 2.5 },
  ], 'a missing kind and a null one are one group; "1" is not 1; the text "1000" is not summed')
  const whole = await p.call('POST', '/t/hn/probe/report', { body: { metrics: { average: { op: 'avg', field: 'amount' } } } })
  t.equal(whole.body.result.length, 1)
  t.ok(Math.abs(whole.body.result[0].average - 32.5 / 7) < 1e-9, `the average of the seven numbers (${whole.body.result[0].average})`)
})
