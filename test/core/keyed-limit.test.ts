// SQLite pass only: no database is involved.
import t from 'tap'
import { createKeyedLimit } from '../../core/keyed-limit.ts'

t.test('per key: so many run, so many wait in order, the rest are refused; a wait ends at its deadline', async (t) => {
  const limit = createKeyedLimit({ running: 2, queued: 1 })
  const a1 = await limit.acquire('a')
  const a2 = await limit.acquire('a')
  t.ok(a1 !== undefined && a2 !== undefined, 'two run')
  const order: string[] = []
  const third = limit.acquire('a').then((release) => { order.push('third'); return release })
  t.equal(await limit.acquire('a'), undefined, 'a fourth is refused at once: one waits already')
  t.ok(await limit.acquire('b'), 'another key has room of its own')
  a1!()
  a1!()
  const release3 = await third
  t.same(order, ['third'], 'the waiting one runs when one gives room back')
  // Giving room back twice gives it once: two still run, so the next waits, and its wait ends at its deadline.
  const late = limit.acquire('a', Date.now() + 30, () => new Error('quá hạn'))
  await t.rejects(late, { message: 'quá hạn' }, 'a wait past its deadline stops with the caller\'s error')
  a2!()
  release3!()
  t.equal(await limit.run('a', async () => 'xong'), 'xong', 'and the key is free again')
})
