// SQLite pass only: what is tested is the isolate, the worker process or the HTTP layer, not storage.
import { request } from 'node:http'
import t from 'tap'
import { freePort } from '../helpers/free-port.ts'
import { examples, startPluginPlatform } from '../helpers/plugins.ts'
import { folderEntries, tgz } from '../helpers/tgz.ts'

/** A GET to this machine with the Host header a browser would send for `host`. */
function get (port: number, host: string, path: string): Promise<{ status: number, headers: Record<string, unknown>, body: string }> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path, headers: { host } }, (res) => {
      let body = ''
      res.on('data', (chunk: Buffer) => { body += chunk.toString() })
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }))
    })
    req.on('error', reject)
    req.end()
  })
}

t.test('with a host name of their own, plugin pages are served there only, and that host serves nothing of the console', async (t) => {
  const port = await freePort()
  const console = `127.0.0.1:${port}`
  const pages = `localhost:${port}`
  const p = await startPluginPlatform(t, { port, pagesOrigin: `http://${pages}` })
  await p.install('hn', 'hello', `${examples}hello`)

  const onConsoleHost = await get(port, console, '/t/hn/hello/ui/?lang=vi')
  t.equal(onConsoleHost.status, 308, 'a page asked of the console\'s host moves')
  t.equal(onConsoleHost.headers.location, `http://${pages}/t/hn/hello/ui/?lang=vi`)
  const page = await get(port, pages, '/t/hn/hello/ui/')
  t.equal(page.status, 200, 'the pages host serves it')
  t.match(String(page.headers['content-security-policy']), /sandbox allow-scripts/)
  t.equal((await get(port, pages, '/t/hn/hello/hello')).status, 200, 'and the plugin\'s routes its page calls')
  for (const path of ['/console/', '/api/v1/me', '/api/v1/openapi.json', '/']) {
    const answer = await get(port, pages, path)
    t.equal(answer.status, 404, `the pages host has no ${path}`)
    t.equal(JSON.parse(answer.body).error.code, 'CORE_ERR_NOT_FOUND')
  }
  t.equal((await get(port, console, '/console/')).status, 200, 'the console is on its own host')
  t.equal((await get(port, console, '/t/hn/hello/hello')).status, 200, 'and API clients still reach plugin routes there')
  // Installed through the registry, the unit's services name the pages host.
  t.equal((await p.call('POST', '/api/v1/registry/packages', { token: p.admin, raw: await tgz(folderEntries(`${examples}hello`)), headers: { 'content-type': 'application/gzip' } })).status, 201)
  await p.call('POST', '/api/v1/tenants/vn/users', { token: p.admin, body: { username: 'reviewer', password: 'reviewer-password', roles: ['platform-admin'] } })
  t.equal((await p.call('POST', '/api/v1/registry/packages/hn/hello/versions/1.0.0/approve', { token: await p.signIn('reviewer', 'reviewer-password'), body: {} })).status, 200)
  t.equal((await p.call('PUT', '/api/v1/tenants/hn/plugins/greeting', { token: p.admin, body: { package: '@hn/hello', version: '1.0.0' } })).status, 200)
  const services = await p.call('GET', '/api/v1/tenants/hn/services', { token: p.admin })
  t.same(services.body.items.map((i: { pages: string }) => i.pages).sort(), [`http://${pages}/t/hn/greeting/ui/`, `http://${pages}/t/hn/procedures/ui/`], 'the unit\'s services name the pages host (its own, and the procedures every unit has)')
})
