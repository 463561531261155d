import t from 'tap'
import { newDocumentId } from '../../sandbox/worker/host/document-id.ts'

const V7 = /^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/

t.test('document ids are UUID version 7: creation time first, then random bits', async (t) => {
  const at = Date.UTC(2026, 10, 28, 9, 30)
  const id = newDocumentId(at)
  t.match(id, V7)
  t.equal(parseInt(id.slice(0, 8) + id.slice(9, 13), 16), at, 'the first 48 bits are the Unix milliseconds')
  t.equal(newDocumentId(0).slice(0, 13), '00000000-0000')
  t.equal(newDocumentId(2 ** 48 - 1).slice(0, 13), 'ffffffff-ffff')
})

t.test('ids made later sort after, and none repeats', async (t) => {
  const ids: string[] = []
  const start = Date.now()
  for (let i = 0; i < 20_000; i++) ids.push(newDocumentId(start + Math.floor(i / 100)))
  t.equal(new Set(ids).size, ids.length, '20,000 distinct ids (the random pool refills many times)')
  const byTime = ids.filter((_, i) => i % 100 === 0)
  t.same([...byTime].sort(), byTime, 'one id per millisecond, in order, sorts as made')
  t.ok(ids.every((id) => V7.test(id)))
})
