import t from 'tap'
import { parseManifest } from '../../registry/manifest.ts'
import { examples, startPluginPlatform } from '../helpers/plugins.ts'

t.test("a plugin's ui/ folder is served as its pages, sandboxed by a strict policy", async (t) => {
  const p = await startPluginPlatform(t)
  await p.install('hn', 'hello', `${examples}hello`)

  const bare = await fetch(`${p.url}/t/hn/hello/ui`, { redirect: 'manual' })
  t.equal(bare.status, 308, 'the folder without its slash redirects, so relative links work')
  t.equal(bare.headers.get('location'), '/t/hn/hello/ui/')

  const page = await fetch(`${p.url}/t/hn/hello/ui/`)
  t.equal(page.status, 200)
  t.match(page.headers.get('content-type'), /text\/html/)
  t.match(await page.text(), /<script src="hello\.js"><\/script>/)
  const policy = page.headers.get('content-security-policy') ?? ''
  t.match(policy, /script-src 'self'/, 'scripts only from the plugin itself')
  t.match(policy, /sandbox allow-scripts/, 'the page runs as an opaque origin: it cannot read the console session')
  t.equal(page.headers.get('x-content-type-options'), 'nosniff')

  const script = await fetch(`${p.url}/t/hn/hello/ui/hello.js`)
  t.match(script.headers.get('content-type'), /text\/javascript/)
  const etag = script.headers.get('etag')
  t.ok(etag)
  t.equal((await fetch(`${p.url}/t/hn/hello/ui/hello.js`, { headers: { 'if-none-match': etag! } })).status, 304, 'revalidation is cheap')

  for (const path of ['/t/hn/hello/ui/nothing.js', '/t/hn/hello/ui/%2e%2e/plugin.json', '/t/hn/hello/ui/..%2findex.js', '/t/hcm/hello/ui/']) {
    t.equal((await fetch(p.url + path)).status, 404, `${path} is not served`)
  }
  t.equal((await p.call('GET', '/t/hn/hello/hello')).status, 200, 'the routes still answer beside the pages')

  const preflight = await fetch(`${p.url}/t/hn/hello/hello`, { method: 'OPTIONS', headers: { origin: 'null', 'access-control-request-method': 'GET' } })
  t.equal(preflight.status, 204, 'a sandboxed page may call its plugin (CORS preflight)')
  t.match(preflight.headers.get('access-control-allow-headers'), /Authorization/)
  t.equal((await fetch(`${p.url}/t/hn/hello/hello`)).headers.get('access-control-allow-origin'), '*')
})

t.test('a manifest cannot point its pages or its main module outside the package', async (t) => {
  const base = { name: '@hn/x', version: '1.0.0', engine: '^1.0.0', main: 'index.js' }
  t.doesNotThrow(() => parseManifest({ ...base, ui: 'web/pages/' }))
  for (const ui of ['../', 'x/../../', './', 'a//']) {
    t.throws(() => parseManifest({ ...base, ui }), { code: 'REG_ERR_MANIFEST_INVALID', field: 'ui' }, `ui: ${ui}`)
  }
  for (const main of ['lib/../../evil.js', 'a/./b.js']) {
    t.throws(() => parseManifest({ ...base, main }), { code: 'REG_ERR_MANIFEST_INVALID', field: 'main' }, `main: ${main}`)
  }
})
