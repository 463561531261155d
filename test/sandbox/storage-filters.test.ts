import t from 'tap'
import { startPluginPlatform } from '../helpers/plugins.ts'

const people = [
  { name: 'Nguyễn Văn An', ward: 'Ba Đình', fee: 10 },
  { name: 'Trần Thị Bình', ward: 'Hoàn Kiếm', fee: 20 },
  { name: 'Lê Văn Cường', ward: 'Ba Đình' },
  { name: 'NGUYỄN THỊ ĐÀO', note: null, fee: 5 },
  { name: 'nguyen van an (không dấu)', fee: '10' },
  { name: 'Mã hồ sơ', code: 'HS_100%' },
  { name: 'Mã khác', code: 'HSX1000' },
]

t.test('$search, $exists, $nin and $or: what an officer types finds the same documents on both databases', async (t) => {
  const p = await startPluginPlatform(t)
  await p.install('hn', 'probe', 'storage-probe')
  for (const person of people) t.equal((await p.call('POST', '/t/hn/probe/docs', { body: person })).status, 200)
  const names = async (filter: unknown): Promise<string[]> => {
    const answer = await p.call('POST', '/t/hn/probe/probe', { body: { filter } })
    t.ok(Array.isArray(answer.body.result), JSON.stringify(answer.body))
    return answer.body.result.map((doc: { name: string }) => doc.name).sort()
  }
  t.same(await names({ name: { $search: 'nguyen van' } }), ['Nguyễn Văn An', 'nguyen van an (không dấu)'], 'without marks, any case')
  t.same(await names({ name: { $search: 'Đào  nguyễn' } }), ['NGUYỄN THỊ ĐÀO'], 'every word, in any order; đ is d')
  t.same(await names({ name: { $search: 'văn' }, ward: 'Ba Đình' }), ['Lê Văn Cường', 'Nguyễn Văn An'])
  t.same(await names({ code: { $search: '_100%' } }), ['Mã hồ sơ'], '_ and % are letters, not wildcards')
  t.same(await names({ fee: { $search: '10' } }), ['nguyen van an (không dấu)'], 'the text "10" is found; the number 10 is not text')
  t.same(await names({ note: { $exists: true } }), ['NGUYỄN THỊ ĐÀO'], 'a field set to null exists')
  t.same(await names({ fee: { $exists: false } }), ['Lê Văn Cường', 'Mã hồ sơ', 'Mã khác'])
  t.same(await names({ ward: { $nin: ['Ba Đình'] } }), ['Mã hồ sơ', 'Mã khác', 'NGUYỄN THỊ ĐÀO', 'Trần Thị Bình', 'nguyen van an (không dấu)'], 'a missing ward is none of those')
  t.same(await names({ $or: [{ ward: 'Hoàn Kiếm' }, { fee: { $gte: 10 }, ward: 'Ba Đình' }] }), ['Nguyễn Văn An', 'Trần Thị Bình'])
  t.same(await names({ $or: [{ name: { $search: 'dao' } }, { code: { $exists: true } }], fee: { $exists: true } }), ['NGUYỄN THỊ ĐÀO'])
  const refused = async (filter: unknown): Promise<string> => (await p.call('POST', '/t/hn/probe/probe', { body: { filter } })).body.message
  t.match(await refused({ $or: [{ $or: [{ a: 1 }] }] }), /not nested/)
  t.match(await refused({ $or: Array.from({ length: 11 }, (_, i) => ({ i })) }), /1 to 10 filters/)
  t.match(await refused({ $or: [] }), /1 to 10 filters/)
  t.match(await refused({ name: { $search: 'a '.repeat(11) } }), /1 to 10 words/)
  t.match(await refused({ name: { $search: 'x'.repeat(201) } }), /1 to 200/)
  t.match(await refused({ name: { $exists: 'yes' } }), /true or false/)
  t.match(await refused({ $or: Array.from({ length: 10 }, () => ({ a: 1, b: 2, c: 3 })) }), /at most 20 conditions/, 'conditions inside $or count too')
})

t.test('keyset paging: `after` a document gives the next page, however deep, without gaps or repeats', async (t) => {
  const p = await startPluginPlatform(t)
  await p.install('hn', 'probe', 'storage-probe')
  for (let i = 0; i < 25; i++) await p.call('POST', '/t/hn/probe/docs', { body: { i, kind: i % 2 === 0 ? 'chẵn' : 'lẻ' } })
  const page = async (options: Record<string, unknown>, filter = {}): Promise<any> => (await p.call('POST', '/t/hn/probe/probe', { body: { filter, options } })).body
  const seen: number[] = []
  let after: string | undefined
  for (;;) {
    const { result } = await page({ limit: 10, ...(after === undefined ? {} : { after }) })
    seen.push(...result.map((doc: { i: number }) => doc.i))
    if (result.length < 10) break
    after = result.at(-1)._id
  }
  t.same(seen, Array.from({ length: 25 }, (_, i) => i), 'three pages: 10, 10 and 5')
  const evens = await page({ limit: 5, after: (await page({ limit: 1 }, { kind: 'chẵn' })).result[0]._id }, { kind: 'chẵn' })
  t.same(evens.result.map((doc: { i: number }) => doc.i), [2, 4, 6, 8, 10], 'with a filter too')
  t.match(await page({ after, sort: '-i' }), { error: 'InvalidArgument', message: /not with sort/ })
  t.match(await page({ after, offset: 10 }), { error: 'InvalidArgument', message: /offset/ })
  t.same((await page({ after: '0192d0c4-0000-7000-8000-000000000000' })).result, [], 'after a document that is not there: nothing')
})

t.test('a page in creation order over a list of values ($in) is the same page, however it is read, and pages on with after', async (t) => {
  const p = await startPluginPlatform(t)
  await p.install('hn', 'probe', 'storage-probe')
  const wards = ['Ba Đình', 'Hoàn Kiếm', 'Đống Đa', 'Tây Hồ']
  for (let i = 0; i < 30; i++) {
    const doc = { n: i, ward: wards[i % 4], state: i % 3 === 0 ? 'done' : 'waiting', ...(i % 5 === 0 ? { flag: true } : {}) }
    t.equal((await p.call('POST', '/t/hn/probe/docs', { body: doc })).status, 200)
  }
  const find = async (filter: unknown, options: Record<string, unknown> = {}): Promise<any[]> => {
    const answer = await p.call('POST', '/t/hn/probe/probe', { body: { filter, options } })
    t.ok(Array.isArray(answer.body.result), JSON.stringify(answer.body))
    return answer.body.result
  }
  const expected = Array.from({ length: 30 }, (_, i) => i).filter((i) => i % 4 !== 1 && i % 3 !== 0)
  const filter = { ward: { $in: ['Ba Đình', 'Đống Đa', 'Tây Hồ', 'Ba Đình'] }, state: 'waiting' }
  t.same((await find(filter, { limit: 100 })).map((doc) => doc.n), expected, 'in creation order, each once (a value named twice counts once)')
  const first = await find(filter, { limit: 5 })
  t.same(first.map((doc) => doc.n), expected.slice(0, 5))
  const second = await find(filter, { limit: 5, after: first.at(-1)._id })
  t.same(second.map((doc) => doc.n), expected.slice(5, 10), 'the next page starts after the last one read')
  t.same((await find({ flag: { $in: [true, false] } })).map((doc) => doc.n), [0, 5, 10, 15, 20, 25], 'booleans too')
  t.same((await find({ n: { $in: [3, '3', 4] } })).map((doc) => doc.n), [3, 4], 'a number is not its text')
  t.same((await find({ ward: { $in: ['Ba Đình', 'Tây Hồ'] } }, { sort: '-n', limit: 3 })).map((doc) => doc.n), [28, 27, 24], 'with a sort, sorted')
})
