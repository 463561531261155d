import t from 'tap'
import { whileNeighbourServes } from '../helpers/neighbour.ts'
import { permit, units } from '../helpers/procedures.ts'

// What the procedures' routes take from the worst of their users, while a neighbour unit is served: an administrator
// who defines a form no one could fill or check, an applicant who files what no form asked for, and sixty filings at
// once. Each is refused with the reason and the place, or taken; none is half stored; the neighbour never waits.

const M = '/procedures'
const count = async (p: Awaited<ReturnType<typeof units>>, collection: string): Promise<number> =>
  Number((await p.platform.services.db.knex('plugin_documents').where({ plugin: '@vn/procedures', collection }).count({ n: '*' }))[0]!.n)

t.test('a form no one could fill, and data no form asked for, are refused naming the place; nothing is stored', async (t) => {
  const p = await units(t)
  const ward = `/t/hn-ba-dinh${M}`
  const call = (who: string, method: string, path: string, body?: unknown) => p.call(method, `${ward}${path}`, { token: p.as[who], ...(body === undefined ? {} : { body }) })
  const field = (i: number) => ({ name: `f${i}`, type: 'text', label: { vi: `Trường ${i}` } })
  const hostileForms = {
    'ten thousand fields': { sections: [{ title: { vi: 'A' }, fields: Array.from({ length: 10_000 }, (_, i) => field(i)) }] },
    'a group inside a group': { sections: [{ title: { vi: 'A' }, fields: [{ name: 'g', type: 'group', label: { vi: 'G' }, fields: [{ name: 'h', type: 'group', label: { vi: 'H' }, fields: [field(1)] }] }] }] },
    'a condition on a later field': { sections: [{ title: { vi: 'A' }, fields: [{ ...field(1), showIf: { field: 'f2', equals: true } }, { name: 'f2', type: 'yesno', label: { vi: 'B' } }] }] },
    'five thousand options': { sections: [{ title: { vi: 'A' }, fields: [{ name: 'c', type: 'choice', label: { vi: 'C' }, options: Array.from({ length: 5000 }, (_, i) => ({ value: `v${i}`, label: { vi: `${i}` } })) }] }] },
    'a name that is code': { sections: [{ title: { vi: 'A' }, fields: [{ name: 'constructor.prototype', type: 'text', label: { vi: 'X' } }] }] },
  }
  const { statuses, result } = await whileNeighbourServes(p, async () => {
    const answers: Record<string, any> = {}
    for (const [what, form] of Object.entries(hostileForms)) answers[what] = await call('qtvbd', 'POST', '/procedures', { ...permit, code: 'xau', form })
    return answers
  })
  t.ok(statuses.every((s) => s === 200), `the neighbour was served throughout (${statuses.length} requests)`)
  for (const [what, answer] of Object.entries(result)) {
    t.equal(answer.status, 422, what)
    t.equal(answer.body.error.code, 'PROCEDURES_INVALID_DEFINITION', what)
    t.ok(answer.body.error.problems.length >= 1 && answer.body.error.problems.length <= 50, `${what}: ${answer.body.error.problems.length} problems, each with its path`)
    t.ok(answer.body.error.problems.every((problem: { path: string }) => typeof problem.path === 'string' && problem.path.startsWith('form')), what)
  }
  t.equal(await count(p, 'procedures'), 0, 'no procedure was stored')

  t.equal((await call('qtvbd', 'POST', '/procedures', permit)).status, 201)
  t.equal((await call('qtvbd', 'POST', `/procedures/${permit.code}/publish`, {})).status, 201)
  const good = { ngayKhoiCong: '2026-12-15', loaiCongTrinh: 'sua-chua', duToan: 250_000_000, diaBan: '00004' }
  const hostileData = {
    'a date that is not one': { ...good, ngayKhoiCong: '2026-02-30' },
    'a number as text': { ...good, duToan: '250000000' },
    'money with a fraction': { ...good, duToan: 0.5 },
    'a choice not listed': { ...good, loaiCongTrinh: 'phá-dỡ' },
    'a unit that does not exist': { ...good, diaBan: '00000' },
    'a file someone else uploaded': { ...good, banVe: { id: 'no-such-file', name: 'x.pdf', type: 'application/pdf', size: 1 } },
    'fields no form has': { ...good, ['__proto__']: { admin: true }, constructor: 'x' },
    'a text of 900 KB': { ...good, ghiChu: 'đ'.repeat(450_000) },
  }
  for (const [what, data] of Object.entries(hostileData)) {
    const answer = await call('dan', 'POST', '/dossiers', { procedure: permit.code, data })
    t.equal(answer.status, 422, `${what}: ${answer.status} ${JSON.stringify(answer.body).slice(0, 200)}`)
    t.ok(Array.isArray(answer.body.error?.fields) && answer.body.error.fields.length > 0 && answer.body.error.fields.length <= 100, `${what}: the fields named`)
  }
  const deep = await p.call('POST', `${ward}/dossiers`, { token: p.as.dan, raw: `{"procedure":"${permit.code}","data":${'{"a":'.repeat(5000)}1${'}'.repeat(5000)}}`, headers: { 'content-type': 'application/json' } })
  t.equal(deep.status, 413, 'a body nested five thousand deep is refused before any plugin sees it')
  t.equal(await count(p, 'dossiers'), 0, 'no dossier was stored')
  t.equal(await count(p, 'history'), 0, 'and no history')
})

t.test('sixty filings at once are all taken, each with its own receipt, while a neighbour is served', async (t) => {
  const p = await units(t)
  const ward = `/t/hn-ba-dinh${M}`
  t.equal((await p.call('POST', `${ward}/procedures`, { token: p.as.qtvbd, body: { ...permit, form: { sections: [{ ...permit.form.sections[0]!, fields: permit.form.sections[0]!.fields.filter((f) => f.type !== 'file') }] } } })).status, 201)
  t.equal((await p.call('POST', `${ward}/procedures/${permit.code}/publish`, { token: p.as.qtvbd, body: {} })).status, 201)
  const data = { ngayKhoiCong: '2026-12-15', loaiCongTrinh: 'cai-tao', duToan: 120_000_000, diaBan: '00004' }
  const { statuses, result } = await whileNeighbourServes(p, () => Promise.all(Array.from({ length: 60 }, () =>
    p.call('POST', `${ward}/dossiers`, { token: p.as.dan, body: { procedure: permit.code, data } }))))
  t.ok(statuses.every((s) => s === 200), `the neighbour was served throughout (${statuses.length} requests)`)
  t.same(result.filter((answer) => answer.status !== 201).map((answer) => [answer.status, answer.body]), [], 'every filing taken')
  const receipts = result.map((answer) => answer.body.receipt as string)
  t.equal(new Set(receipts).size, 60, 'sixty receipts, none twice')
  t.equal(await count(p, 'dossiers'), 60)
  const inbox = await p.call('GET', `${ward}/dossiers`, { token: p.as.canbo })
  t.equal(inbox.body.items.length, 50, 'the officer\'s first page')
  const rest = await p.call('GET', `${ward}/dossiers?after=${inbox.body.next}`, { token: p.as.canbo })
  t.same([...inbox.body.items, ...rest.body.items].map((d: { receipt: string }) => d.receipt).sort(), [...receipts].sort(), 'and the next: each once')
})
