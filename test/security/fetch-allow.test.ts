// SQLite pass only: what is tested is the isolate, the worker process or the HTTP layer, not storage.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import t from 'tap'
import { parseManifest } from '../../registry/manifest.ts'
import { parseUrlPattern, urlMatches } from '../../sandbox/url-pattern.ts'
import { whileNeighbourServes } from '../helpers/neighbour.ts'
import { startPluginPlatform } from '../helpers/plugins.ts'

function listen (handler: (req: IncomingMessage, res: ServerResponse) => void): Promise<{ server: Server, port: number }> {
  return new Promise((resolve) => {
    const server = createServer(handler)
    server.listen(0, '127.0.0.1', () => resolve({ server, port: (server.address() as AddressInfo).port }))
  })
}

t.test('allow-list patterns match scheme, host, port and path as components', async (t) => {
  const allows = (pattern: string, url: string): boolean => urlMatches(parseUrlPattern(pattern)!, new URL(url))
  const govVn = 'http://*.gov.vn/*'
  t.ok(allows(govVn, 'http://hanoi.gov.vn/api'))
  t.ok(allows(govVn, 'http://HANOI.gov.vn/'), 'host case does not matter')
  for (const url of ['http://attacker.example/x.gov.vn/', 'http://attacker.example/.gov.vn/', 'http://a.b.gov.vn/', 'http://gov.vn/', 'http://hanoi.gov.vn.attacker.example/', 'http://hanoi.gov.vn:8080/', 'https://hanoi.gov.vn/', 'http://attacker.example/?x=.gov.vn/']) {
    t.notOk(allows(govVn, url), `${govVn} does not allow ${url}`)
  }
  t.ok(allows('https://api.gov.vn:443/v1/*', 'https://api.gov.vn/v1/x'), 'the default port written out is the default port')
  t.ok(allows('https://api.gov.vn:*/v1/*', 'https://api.gov.vn:8443/v1/x'))
  t.notOk(allows('https://api.gov.vn/v1/*', 'https://api.gov.vn/v2/x'))
  t.ok(allows('https://api.gov.vn/v1/*/status', 'https://api.gov.vn/v1/a/b/status'))
  t.notOk(allows('https://api.gov.vn/v1/*/status', 'https://api.gov.vn/v1/status'))
  t.ok(allows('https://api.gov.vn', 'https://api.gov.vn/anything'), 'no path written: any path')
  // Many stars against a long path: a backtracking RegExp took seconds here on the worker's thread.
  const stars = `http://*/${'*a'.repeat(20)}*b`
  t.notOk(allows(stars, `http://x/${'a'.repeat(2000)}`))
  for (const bad of ['http://*.*.gov.vn/', 'http://a*.gov.vn/', 'http://gov.*/', 'ftp://x/', 'http://x:99999/', 'http://*gov.vn/']) {
    t.equal(parseUrlPattern(bad), undefined, `${bad} is not a pattern`)
    t.throws(() => parseManifest({ name: '@hn/x', version: '1.0.0', engine: '^1.0.0', main: 'index.js', permissions: { http: { allow: ['https://ok.gov.vn/*', bad] } } }), { code: 'REG_ERR_MANIFEST_INVALID', field: 'permissions/http/allow/1' }, `${bad} is refused at upload`)
  }
})

t.test('a plugin fetches a host by name; credentials stay with their origin; the fetch ends with the request', async (t) => {
  const seen: Array<{ server: string, url: string | undefined, authorization: string | undefined, unit: string | undefined }> = []
  const other = await listen((req, res) => {
    seen.push({ server: 'other', url: req.url, authorization: req.headers.authorization, unit: req.headers['x-unit'] as string | undefined })
    res.end('other origin')
  })
  const open = new Set<ServerResponse>()
  const api = await listen((req, res) => {
    seen.push({ server: 'api', url: req.url, authorization: req.headers.authorization, unit: req.headers['x-unit'] as string | undefined })
    if (req.url === '/api/away') { res.writeHead(302, { location: `http://127.0.0.1:${other.port}/api/landing` }); res.end(); return }
    if (req.url === '/api/slow') { open.add(res); res.writeHead(200); res.write('a'); const timer = setInterval(() => res.write('a'), 100); res.on('close', () => { clearInterval(timer); open.delete(res) }); return }
    res.end('xin chào từ máy chủ')
  })
  t.teardown(() => { other.server.close(); api.server.close() })
  const p = await startPluginPlatform(t, { httpAllowPrivate: [`localhost:${api.port}`, `127.0.0.1:${other.port}`] })
  await p.install('hn', 'fetcher', 'fetcher')
  const fetch = (url: string) => p.call('GET', `/t/hn/fetcher/one?url=${encodeURIComponent(url)}`)

  const { statuses, result } = await whileNeighbourServes(p, async () => ({
    byName: await fetch(`http://localhost:${api.port}/api/hello`),
    outside: await fetch(`http://localhost:${api.port}/admin`),
    redirected: await fetch(`http://localhost:${api.port}/api/away`),
    slow: await fetch(`http://localhost:${api.port}/api/slow`),
  }))
  t.same(result.byName.body, { fetched: 200, text: 'xin chào từ máy chủ' }, 'a host name resolves and is reached')
  t.equal(result.outside.body.error, 'PermissionDenied', 'a path outside the pattern')
  t.same(result.redirected.body, { fetched: 200, text: 'other origin' })
  t.same(seen.find((s) => s.server === 'other'), { server: 'other', url: '/api/landing', authorization: undefined, unit: 'hn' }, 'the Authorization header was not sent on to the other origin')
  t.equal(seen.find((s) => s.url === '/api/away')?.authorization, 'Bearer connector-secret', 'the first origin got it')
  t.ok(result.slow.status === 504 || result.slow.body.error === 'HostError', `a trickling answer ends with the request (${result.slow.status})`)
  await new Promise((resolve) => setTimeout(resolve, 500))
  t.equal(open.size, 0, 'and its connection is closed')
  t.ok(statuses.every((s) => s === 200), 'hcm kept answering')
})

t.test('an installation has at most 8 fetches open at once', async (t) => {
  let concurrent = 0
  let most = 0
  const api = await listen((_req, res) => {
    most = Math.max(most, ++concurrent)
    setTimeout(() => { concurrent--; res.end('ok') }, 200)
  })
  t.teardown(() => api.server.close())
  const p = await startPluginPlatform(t, { httpAllowPrivate: [`localhost:${api.port}`] })
  await p.install('hn', 'fetcher', 'fetcher')
  const answer = await p.call('GET', `/t/hn/fetcher/many?n=20&url=${encodeURIComponent(`http://localhost:${api.port}/api/x`)}`)
  t.equal(answer.status, 200)
  t.equal(answer.body.filter((s: unknown) => s === 200).length, 8)
  t.equal(answer.body.filter((s: unknown) => s === 'PermissionDenied').length, 12)
  t.equal(most, 8, 'the server never saw more than 8 at once')
})
