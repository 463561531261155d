import t from 'tap'
import { whileNeighbourServes } from '../helpers/neighbour.ts'
import { startPluginPlatform } from '../helpers/plugins.ts'

t.test('two officers act on one dossier at once: with `expect`, exactly one transition wins', async (t) => {
  const p = await startPluginPlatform(t)
  await p.install('hn', 'probe', 'storage-probe')
  for (let round = 0; round < 5; round++) {
    const { _id: id } = (await p.call('POST', '/t/hn/probe/docs', { body: { hồSơ: `Đăng ký hộ kinh doanh ${round}`, state: 'submitted' } })).body
    const officers = ['Nguyễn Văn An', 'Trần Thị Bình', 'Lê Văn Cường', 'Phạm Thị Dung']
    const answers = await Promise.all(officers.map((by, i) => p.call('POST', `/t/hn/probe/docs/${id}/transition`, { body: { from: 'submitted', to: i % 2 === 0 ? 'approved' : 'rejected', by } })))
    const winners = answers.filter((answer) => answer.status === 200)
    t.equal(winners.length, 1, `round ${round}: one wins`)
    t.same(answers.filter((answer) => answer.status === 409).length, officers.length - 1, 'the others are told it moved on')
    const stored = (await p.call('GET', `/t/hn/probe/docs/${id}`)).body.doc
    t.match(stored, { state: winners[0]!.body.doc.state, by: winners[0]!.body.doc.by }, 'what is stored is the winner\'s')
  }
})

t.test('concurrent patches of different fields all land; a patch that no longer matches changes nothing', async (t) => {
  const p = await startPluginPlatform(t)
  await p.install('hn', 'probe', 'storage-probe')
  const { _id: id } = (await p.call('POST', '/t/hn/probe/docs', { body: { state: 'draft' } })).body
  const { statuses, result: patched } = await whileNeighbourServes(p, () => Promise.all(Array.from({ length: 12 }, (_, i) => p.call('POST', `/t/hn/probe/docs/${id}/patch`, { body: { patch: { [`field${i}`]: i } } }))))
  t.ok(statuses.every((s) => s === 200), 'hcm kept answering')
  t.ok(patched.every((answer) => answer.status === 200 && answer.body.doc !== null), 'every patch answered with the document')
  const stored = (await p.call('GET', `/t/hn/probe/docs/${id}`)).body.doc
  for (let i = 0; i < 12; i++) t.equal(stored[`field${i}`], i, `field${i} is there`)
  const refused = await p.call('POST', `/t/hn/probe/docs/${id}/patch`, { body: { patch: { state: 'sent' }, options: { expect: { state: 'approved', field3: { $gte: 3 } } } } })
  t.same(refused.body, { doc: null }, 'null: the document is a draft')
  t.equal((await p.call('GET', `/t/hn/probe/docs/${id}`)).body.doc.state, 'draft', 'and it stays one')
  const matched = await p.call('POST', `/t/hn/probe/docs/${id}/patch`, { body: { patch: { state: 'sent' }, options: { expect: { state: 'draft', field3: { $gte: 3 } } } } })
  t.match(matched.body.doc, { state: 'sent', field0: 0 })
  t.match((await p.call('POST', `/t/hn/probe/docs/${id}/patch`, { body: { patch: { a: 1 }, options: { expect: 'draft' } } })).body, { error: 'InvalidArgument', message: /expect must be an object/ })
  t.match((await p.call('POST', `/t/hn/probe/docs/${id}/patch`, { body: { patch: { a: 1 }, options: { expect: { state: { $regex: '.*' } } } } })).body, { error: 'InvalidArgument', message: /unknown operator/ })
  t.same((await p.call('POST', '/t/hn/probe/docs/0192d0c4-0000-7000-8000-000000000000/patch', { body: { patch: { a: 1 } } })).body, { doc: null }, 'no such document')
})

t.test('a batch writes all its operations or none: a dossier moves and its history entry lands together, or neither does', async (t) => {
  const p = await startPluginPlatform(t)
  await p.install('hn', 'probe', 'storage-probe')
  const { _id: id } = (await p.call('POST', '/t/hn/probe/docs', { body: { hồSơ: 'HS-01', state: 'submitted' } })).body
  const batch = async (operations: unknown): Promise<any> => (await p.call('POST', '/t/hn/probe/batch', { body: { operations } })).body
  const count = async (collection: string): Promise<number> => (await p.call('POST', '/t/hn/probe/probe', { body: { collection } })).body.result.length
  const moved = await batch([
    { op: 'update', collection: 'docs', id, patch: { state: 'approved' }, expect: { state: 'submitted' } },
    { op: 'insert', collection: 'history', doc: { dossier: id, từ: 'submitted', đến: 'approved', by: 'Trần Thị Bình' } },
  ])
  t.match(moved.result, [{ _id: id, state: 'approved' }, { dossier: id, đến: 'approved' }])
  t.equal(await count('history'), 1)
  const again = await batch([
    { op: 'insert', collection: 'history', doc: { dossier: id, đến: 'rejected' } },
    { op: 'update', collection: 'docs', id, patch: { state: 'rejected' }, expect: { state: 'submitted' } },
  ])
  t.same(again, { result: null }, 'the second transition finds it approved: null')
  t.equal(await count('history'), 1, 'and its history entry, written first, was rolled back')
  t.equal((await p.call('GET', `/t/hn/probe/docs/${id}`)).body.doc.state, 'approved')
  const broken = await batch([
    { op: 'insert', collection: 'history', doc: { dossier: id, note: 'trước lỗi' } },
    { op: 'insert', collection: 'Not A Name', doc: {} },
  ])
  t.match(broken, { error: 'InvalidArgument', message: /collection name/ })
  t.equal(await count('history'), 1, 'an operation that throws rolls back the ones before it')
  t.match(await batch([]), { error: 'InvalidArgument', message: /1 to 20/ })
  t.match(await batch(Array.from({ length: 21 }, () => ({ op: 'remove', collection: 'docs', id }))), { error: 'InvalidArgument', message: /1 to 20/ })
  t.match(await batch([{ op: 'drop', collection: 'docs' }]), { error: 'InvalidArgument', message: /insert, update or remove/ })
  t.same(await batch([{ op: 'remove', collection: 'docs', id: '0192d0c4-0000-7000-8000-000000000000' }]), { result: null }, 'a remove that finds nothing: null')
  const many = await batch(Array.from({ length: 20 }, (_, i) => ({ op: 'insert', collection: 'history', doc: { i } })))
  t.equal(many.result.length, 20)
  t.equal(await count('history'), 21)
})
