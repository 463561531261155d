import t from 'tap'
import { sweepFiles } from '../../core/files/file-store.ts'
import { whileNeighbourServes } from '../helpers/neighbour.ts'
import { startPluginPlatform, type PluginPlatform } from '../helpers/plugins.ts'

const png = Buffer.from('iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg==', 'base64')
const pdf = (text: string): Buffer => Buffer.from(`%PDF-1.4\n% ${text}\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n`)

/** Sends a multipart form the way a browser does (fetch's FormData), as the platform admin. */
type Part = { field: string, name: string, type: string, bytes: Buffer }

async function upload (p: PluginPlatform, path: string, parts: Part[], fields: Record<string, string> = {}): Promise<{ status: number, body: any }> {
  const form = new FormData()
  for (const [name, value] of Object.entries(fields)) form.append(name, value)
  for (const part of parts) form.append(part.field, new Blob([new Uint8Array(part.bytes)], { type: part.type }), part.name)
  const response = await fetch(p.url + path, { method: 'POST', headers: { authorization: `Bearer ${p.admin}` }, body: form })
  return { status: response.status, body: await response.json() }
}

const count = async (p: PluginPlatform, table: string): Promise<number> => Number((await p.platform.services.db.knex(table).count({ n: '*' }))[0]!.n)

t.test('an applicant attaches files with Vietnamese names; the plugin keeps them and links them for download', async (t) => {
  const p = await startPluginPlatform(t)
  await p.install('hn', 'clerk', 'clerk')
  // Typed on a keyboard that sends decomposed marks (NFD): kept as one name (NFC).
  const name = 'Tờ khai đăng ký hộ kinh doanh.pdf'.normalize('NFD')
  const sent = await upload(p, '/t/hn/clerk/attach', [
    { field: 'tờ_khai', name, type: 'application/pdf', bytes: pdf('tờ khai') },
    { field: 'ảnh', name: 'ảnh chân dung.png', type: 'image/png', bytes: png },
  ], { title: 'Hồ sơ của bà Trần Thị Bình' })
  t.equal(sent.status, 201, JSON.stringify(sent.body))
  t.equal(sent.body.title, 'Hồ sơ của bà Trần Thị Bình', 'the form fields are the body')
  const [form, photo] = sent.body.files
  t.match(form, { field: 'tờ_khai', name: 'Tờ khai đăng ký hộ kinh doanh.pdf'.normalize('NFC'), type: 'application/pdf', size: pdf('tờ khai').length, kept: false, id: /^[0-9a-f-]{36}$/ })
  t.match(photo, { name: 'ảnh chân dung.png', type: 'image/png', size: png.length })
  t.match((await p.call('GET', `/t/hn/clerk/files/${form.id}`, { token: p.admin })).body, { id: form.id, kept: true }, 'files.keep kept it')

  const { url } = (await p.call('GET', `/t/hn/clerk/files/${form.id}/link`, { token: p.admin })).body
  t.match(url, /^\/api\/v1\/files\/hn\/[0-9a-f-]{36}\?expires=\d+&signature=[A-Za-z0-9_-]{43}$/)
  const download = await fetch(p.url + url)
  t.equal(download.status, 200, 'an <a href> downloads it: no bearer token')
  t.same(Buffer.from(await download.arrayBuffer()), pdf('tờ khai'), 'the same bytes')
  t.equal(download.headers.get('content-type'), 'application/pdf')
  t.match(download.headers.get('content-disposition'), /^attachment; filename="To khai dang ky ho kinh doanh.pdf"; filename\*=UTF-8''T%E1%BB%9D%20khai/)
  t.equal(download.headers.get('x-content-type-options'), 'nosniff')
  t.match(download.headers.get('content-security-policy'), /sandbox/)

  const raw = await fetch(`${p.url}/t/hn/clerk/scan?filename=${encodeURIComponent('bản quét.png')}`, { method: 'PUT', headers: { authorization: `Bearer ${p.admin}`, 'content-type': 'image/png' }, body: new Uint8Array(png) })
  t.equal(raw.status, 201, 'a raw body is one file')
  t.match(((await raw.json()) as any).files, [{ field: 'file', name: 'bản quét.png', type: 'image/png', size: png.length }])

  const note = await p.call('POST', '/t/hn/clerk/notes', { token: p.admin, body: { name: 'biên bản.txt', content: 'Biên bản họp ngày 2/12' } })
  t.equal(note.status, 201)
  t.same((await p.call('GET', `/t/hn/clerk/files/${note.body.id}/text`, { token: p.admin })).body, { name: 'biên bản.txt', content: 'Biên bản họp ngày 2/12' }, 'files.create, then files.read')
  t.match((await p.call('POST', '/t/hn/clerk/notes', { token: p.admin, body: { name: 'x', content: '%%%', encoding: 'base64' } })).body, { error: 'InvalidArgument', message: /base64/ })
  t.same((await p.call('DELETE', `/t/hn/clerk/files/${note.body.id}`, { token: p.admin })).body, { removed: true })
  t.equal((await p.call('GET', `/t/hn/clerk/files/${note.body.id}`, { token: p.admin })).status, 404, 'removed')
})

t.test('a file link replayed after expiry, for another tenant, or altered, finds nothing (404)', async (t) => {
  const p = await startPluginPlatform(t)
  await p.install('hn', 'clerk', 'clerk')
  await p.install('hcm', 'clerk', 'clerk')
  const sent = await upload(p, '/t/hn/clerk/attach', [{ field: 'f', name: 'a.pdf', type: 'application/pdf', bytes: pdf('a') }])
  const id = sent.body.files[0].id
  const { url } = (await p.call('GET', `/t/hn/clerk/files/${id}/link?seconds=1`, { token: p.admin })).body
  t.equal((await fetch(p.url + url)).status, 200, 'fresh, it works')
  const other = url.replace('/files/hn/', '/files/hcm/')
  const forged = url.replace(/signature=.{5}/, 'signature=AAAAA')
  const later = url.replace(/expires=\d+/, `expires=${Math.floor(Date.now() / 1000) + 3600}`)
  for (const [what, link] of [['for another tenant', other], ['with a forged signature', forged], ['with its expiry pushed back', later], ['without a signature', url.split('?')[0]]]) {
    const response = await fetch(p.url + link)
    t.equal(response.status, 404, what)
    t.equal(((await response.json()) as any).error.code, 'CORE_ERR_NOT_FOUND', what)
  }
  t.equal((await p.call('GET', `/t/hcm/clerk/files/${id}`, { token: p.admin })).status, 404, "hcm's clerk does not see hn's file")
  t.match((await p.call('GET', `/t/hcm/clerk/files/${id}/link`, { token: p.admin })).body, { error: 'NotFound' }, 'nor link it')
  await new Promise((resolve) => setTimeout(resolve, 2100))
  t.equal((await fetch(p.url + url)).status, 404, 'after expiry')
})

t.test('a 20 MiB upload on a 1 MiB route is refused (413) and nothing is stored, while a neighbour is served', async (t) => {
  const p = await startPluginPlatform(t)
  await p.install('hn', 'clerk', 'clerk')
  const big = Buffer.alloc(20 * 1024 * 1024, 0x41)
  big.write('%PDF-1.4\n')
  const { statuses, result } = await whileNeighbourServes(p, async () => {
    const declared = await upload(p, '/t/hn/clerk/attach', [{ field: 'f', name: 'big.pdf', type: 'application/pdf', bytes: big }])
    // No Content-Length: the body streams until the platform cuts it.
    const streamed = await fetch(`${p.url}/t/hn/clerk/scan`, {
      method: 'PUT',
      headers: { authorization: `Bearer ${p.admin}`, 'content-type': 'application/pdf' },
      body: new ReadableStream({
        start (controller) {
          for (let i = 0; i < 20; i++) controller.enqueue(new Uint8Array(big.subarray(i * 1048576, (i + 1) * 1048576)))
          controller.close()
        },
      }),
      duplex: 'half',
    } as RequestInit).then(async (r) => ({ status: r.status, body: await r.json() }), (error: Error) => ({ status: 0, body: error.message }))
    const many = await upload(p, '/t/hn/clerk/attach', Array.from({ length: 4 }, (_, i) => ({ field: 'f', name: `${i}.pdf`, type: 'application/pdf', bytes: pdf(String(i)) })))
    return { declared, streamed, many }
  })
  t.ok(statuses.every((s) => s === 200), `the neighbour was served (${statuses.length} requests)`)
  t.equal(result.declared.status, 413)
  t.equal(result.declared.body.error.code, 'CORE_ERR_BODY_TOO_LARGE')
  t.ok(result.streamed.status === 413 || result.streamed.status === 0, `a streamed body is cut (${result.streamed.status})`)
  t.equal(result.many.status, 413, 'four files where three are allowed')
  t.equal(await count(p, 'plugin_files'), 0, 'nothing stored')
  t.equal(await count(p, 'plugin_blobs'), 0)
})

t.test('an upload whose bytes are not its declared type, or of a type the route does not take, is refused (415)', async (t) => {
  const p = await startPluginPlatform(t)
  await p.install('hn', 'clerk', 'clerk')
  const exe = Buffer.concat([Buffer.from('MZ'), Buffer.alloc(300, 1)])
  const cases: Array<[string, { field: string, name: string, type: string, bytes: Buffer }]> = [
    ['a PNG sent as a PDF', { field: 'giấy_tờ', name: 'giấy tờ.pdf', type: 'application/pdf', bytes: png }],
    ['a program sent as CSV', { field: 'f', name: 'danh sách.csv', type: 'text/csv', bytes: exe }],
    ['binary bytes sent as CSV', { field: 'f', name: 'x.csv', type: 'text/csv', bytes: Buffer.from([0xff, 0xfe, 0, 1, 2]) }],
    ['text sent as a PDF', { field: 'f', name: 'x.pdf', type: 'application/pdf', bytes: Buffer.from('chỉ là chữ') }],
    ['a type the route does not take', { field: 'f', name: 'x.gif', type: 'image/gif', bytes: Buffer.from('GIF89a\x01\x00\x01\x00') }],
  ]
  for (const [what, part] of cases) {
    const sent = await upload(p, '/t/hn/clerk/attach', [part])
    t.equal(sent.status, 415, what)
    t.equal(sent.body.error.code, 'CORE_ERR_UNSUPPORTED_MEDIA_TYPE', what)
  }
  t.equal((await upload(p, '/t/hn/clerk/attach', [cases[0]![1]])).body.error.field, 'giấy_tờ', 'the error names the field')
  const json = await p.call('POST', '/t/hn/clerk/attach', { token: p.admin, body: { title: 'x' } })
  t.equal(json.status, 415, 'JSON on a route that takes files')
  const headers = { authorization: `Bearer ${p.admin}`, 'content-type': 'multipart/form-data; boundary=xyz' }
  const garbled = await fetch(`${p.url}/t/hn/clerk/attach`, { method: 'POST', headers, body: '--xyz\r\nContent-Disposition: form-data; name="f"; filename="a.pdf"\r\n\r\n%PDF' })
  t.equal(garbled.status, 400, 'a form cut short')
  t.equal(await count(p, 'plugin_files'), 0, 'nothing stored')
  const csv = await upload(p, '/t/hn/clerk/attach', [{ field: 'f', name: 'danh sách.csv', type: 'text/csv', bytes: Buffer.from('họ tên,xã\nNguyễn Văn An,Đông Anh\n') }])
  t.equal(csv.status, 201, 'real CSV passes')
})

t.test('uploads nobody kept are swept; the same bytes are kept once per tenant', async (t) => {
  const p = await startPluginPlatform(t)
  await p.install('hn', 'clerk', 'clerk')
  await p.install('hcm', 'clerk', 'clerk')
  const same = pdf('cùng một tệp')
  const kept = await upload(p, '/t/hn/clerk/attach', [{ field: 'f', name: 'a.pdf', type: 'application/pdf', bytes: same }])
  const left = await upload(p, '/t/hn/clerk/leave', [{ field: 'f', name: 'b.pdf', type: 'application/pdf', bytes: same }])
  await upload(p, '/t/hn/clerk/leave', [{ field: 'f', name: 'c.pdf', type: 'application/pdf', bytes: pdf('chỉ một lần') }])
  t.equal(left.status, 202)
  t.equal(await count(p, 'plugin_files'), 3)
  t.equal(await count(p, 'plugin_blobs'), 2, 'a.pdf and b.pdf share their bytes')
  const { db } = p.platform.services
  t.equal(await sweepFiles(db), 0, 'an hour has not passed')
  t.equal(await sweepFiles(db, Date.now() + 2 * 3600_000), 2, 'two hours later the two unkept uploads go')
  t.equal(await count(p, 'plugin_files'), 1)
  t.equal(await count(p, 'plugin_blobs'), 1, 'the shared bytes stay for a.pdf; the others go')
  const id = kept.body.files[0].id
  const { url } = (await p.call('GET', `/t/hn/clerk/files/${id}/link`, { token: p.admin })).body
  t.same(Buffer.from(await (await fetch(p.url + url)).arrayBuffer()), same, 'the kept file still downloads')
})
