// SQLite pass only: what is tested is the isolate, the worker process or the HTTP layer, not storage.
import t from 'tap'
import { parseManifest } from '../../registry/manifest.ts'
import { whileNeighbourServes } from '../helpers/neighbour.ts'
import { fixtures, startPluginPlatform } from '../helpers/plugins.ts'
import { folderEntries, tgz } from '../helpers/tgz.ts'

const base = { name: '@hn/forms', version: '1.0.0', engine: '^1.0.0', main: 'index.js' }
const withBody = (body: Record<string, unknown>, schemas: Record<string, unknown> = {}) => ({ ...base, schemas, routes: [{ method: 'POST', path: '/x', handler: 'x', body }] })

t.test('a backtracking pattern in a plugin\'s schema cannot stop the gateway: patterns run in linear time', async (t) => {
  const p = await startPluginPlatform(t)
  await p.install('hn', 'forms', 'loose-body')
  const { statuses, result } = await whileNeighbourServes(p, async () => {
    const answers = []
    // 30 × 'a' and '!' held the gateway 6 s with a backtracking engine; 5,000 would hold it for ever.
    for (const length of [30, 5000, 200_000]) answers.push(await p.call('POST', '/t/hn/forms/codes', { body: { code: 'a'.repeat(length) + '!' } }))
    return answers
  })
  for (const answer of result) {
    t.equal(answer.status, 422)
    t.equal(answer.body.error.code, 'CORE_ERR_INVALID_FIELD')
    t.equal(answer.body.error.field, 'code')
  }
  t.ok(statuses.every((s) => s === 200), 'hcm kept answering')
  t.equal((await p.call('POST', '/t/hn/forms/codes', { body: { code: 'abc123' } })).status, 200, 'a matching code passes')
})

t.test('Vietnamese names pass a \\p{L} pattern; anything else is refused naming the field', async (t) => {
  const p = await startPluginPlatform(t)
  await p.install('hn', 'forms', 'loose-body')
  const good = await p.call('POST', '/t/hn/forms/names', { body: { name: 'Nguyễn Thị Minh Khai' } })
  t.equal(good.status, 200)
  t.equal(good.body.name, 'Nguyễn Thị Minh Khai')
  const bad = await p.call('POST', '/t/hn/forms/names', { body: { name: 'x<script>' } })
  t.equal(bad.status, 422)
  t.equal(bad.body.error.field, 'name')
})

t.test('uniqueItems is linear: 50,000 one-element arrays are checked at once, and a duplicate is named', async (t) => {
  const p = await startPluginPlatform(t)
  await p.install('hn', 'forms', 'loose-body')
  const { statuses, result } = await whileNeighbourServes(p, async () => [
    await p.call('POST', '/t/hn/forms/tags', { body: { tags: Array.from({ length: 49_000 }, (_, i) => [i]) } }),
    await p.call('POST', '/t/hn/forms/tags', { body: { tags: [...Array.from({ length: 49_000 }, (_, i) => [i]), [{ b: 1, a: 2 }], [{ a: 2, b: 1 }]] } }),
  ])
  t.equal(result[0]!.status, 200, 'all distinct')
  t.equal(result[1]!.status, 422, 'two equal objects (keys in another order)')
  t.equal(result[1]!.body.error.field, 'tags')
  t.match(result[1]!.body.error.message, /49000 and 49001/)
  t.ok(statuses.every((s) => s === 200), 'hcm kept answering')
})

t.test('schemas that cannot be validated safely are refused when the manifest is read, naming the field', async (t) => {
  const refused = (manifest: Record<string, unknown>, field: string, message: RegExp): void => {
    t.throws(() => parseManifest(manifest), { code: 'REG_ERR_MANIFEST_INVALID', field, message }, field)
  }
  refused(withBody({ properties: { x: { type: 'string', pattern: '^(a+)\\1$' } } }), 'routes/0/body/properties/x/pattern', /linear time/)
  refused(withBody({ properties: { x: { type: 'string', pattern: '^(?=a)a$' } } }), 'routes/0/body/properties/x/pattern', /linear time/)
  refused(withBody({ patternProperties: { '^(?!x)': { type: 'string' } } }), 'routes/0/body/patternProperties/^(?!x)', /linear time/)
  refused(withBody({ $ref: '#/schemas/a' }, { a: { properties: { b: { $ref: '#/schemas/b' } } }, b: { anyOf: [{ $ref: '#/schemas/a' }] } }), 'schemas/b/anyOf/0/$ref', /refer to itself/)
  refused(withBody({ properties: { self: { $ref: '#' } } }), 'routes/0/body/properties/self/$ref', /#\/schemas/)
  refused(withBody({ $ref: '#/schemas/missing' }), 'routes/0/body/$ref', /does not define/)
  refused(withBody({ $dynamicRef: '#node' }), 'routes/0/body/$dynamicRef', /not allowed/)
  // Each schema refers to the next one twice: small as written, 2^25 values when followed.
  const chain: Record<string, unknown> = { s25: { type: 'string' } }
  for (let i = 0; i < 25; i++) chain[`s${i}`] = { anyOf: [{ $ref: `#/schemas/s${i + 1}` }, { $ref: `#/schemas/s${i + 1}` }] }
  const started = performance.now()
  refused(withBody({ $ref: '#/schemas/s0' }, chain), 'routes/0/body', /values with its references followed/)
  t.ok(performance.now() - started < 5000, 'and the check itself does not follow every path')
  t.doesNotThrow(() => parseManifest(withBody({ properties: { plate: { type: 'string', pattern: '^[0-9]{2}[A-Z]{1,2}-[0-9]{3}\\.?[0-9]{2}$' }, name: { type: 'string', pattern: '^[\\p{L} ]+$' }, hex: { pattern: '\\u00e0' } } })), 'ordinary patterns pass')
})

t.test('an upload with an unsafe pattern is refused with 422 naming the field, and nothing is stored', async (t) => {
  const p = await startPluginPlatform(t)
  await p.call('POST', '/api/v1/tenants/hn/users', { token: p.admin, body: { username: 'hn-dev', password: 'hn-dev-password', roles: ['developer'] } })
  const dev = await p.signIn('hn-dev', 'hn-dev-password')
  const bytes = await tgz(folderEntries(`${fixtures}loose-body`, (m) => ({ ...m, routes: [{ method: 'POST', path: '/x', handler: 'note', body: { properties: { x: { type: 'string', pattern: '^(\\w+\\s?)+(?=$)' } } } }] })))
  const answer = await p.call('POST', '/api/v1/registry/packages', { token: dev, raw: bytes, headers: { 'content-type': 'application/gzip' } })
  t.equal(answer.status, 422)
  t.equal(answer.body.error.code, 'REG_ERR_MANIFEST_INVALID')
  t.equal(answer.body.error.field, 'routes/0/body/properties/x/pattern')
  const listed = await p.call('GET', '/api/v1/registry/packages?status=pending', { token: dev })
  t.same(listed.body.items.filter((e: { name: string }) => e.name === '@hn/loose-body'), [], 'no pending version was kept')
})
