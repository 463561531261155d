// SQLite pass only: what is tested is the isolate, the worker process or the HTTP layer, not storage.
import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import t from 'tap'
import { startPluginPlatform } from '../helpers/plugins.ts'
import { whileNeighbourServes } from '../helpers/neighbour.ts'

function listen (handler: Parameters<typeof createServer>[1]): Promise<{ server: Server, port: number }> {
  return new Promise((resolve) => {
    const server = createServer(handler)
    server.listen(0, '127.0.0.1', () => resolve({ server, port: (server.address() as AddressInfo).port }))
  })
}

t.test('http.fetch never reaches loopback, link-local, metadata or private addresses, nor is redirected to one', async (t) => {
  // Two loopback servers: the platform allows the first explicitly; it redirects to the second, which is not allowed.
  const hits: string[] = []
  const target = await listen((req, res) => { hits.push(`target ${req.url}`); res.end('secret') })
  const allowed = await listen((req, res) => {
    hits.push(`allowed ${req.url}`)
    if (req.url === '/to-target') { res.writeHead(302, { location: `http://127.0.0.1:${target.port}/` }); res.end(); return }
    if (req.url === '/to-metadata') { res.writeHead(302, { location: 'http://169.254.169.254/latest/meta-data/' }); res.end(); return }
    res.end('hello from an allowed host')
  })
  t.teardown(() => { target.server.close(); allowed.server.close() })
  const p = await startPluginPlatform(t, { httpAllowPrivate: [`127.0.0.1:${allowed.port}`] })
  await p.install('hn', 'bad', 'misbehave')
  const fetch = (url: string) => p.call('GET', `/t/hn/bad/fetch?url=${encodeURIComponent(url)}`)

  const { statuses, result } = await whileNeighbourServes(p, async () => ({
    loopback: await fetch(`http://127.0.0.1:${target.port}/`),
    ipv6: await fetch(`http://[::1]:${target.port}/`),
    localhost: await fetch(`http://localhost:${target.port}/`),
    metadata: await fetch('http://169.254.169.254/latest/meta-data/'),
    privateNet: await fetch('http://10.0.0.1/'),
    mappedV4: await fetch(`http://[::ffff:127.0.0.1]:${target.port}/`),
    redirect: await fetch(`http://127.0.0.1:${allowed.port}/to-target`),
    redirectMetadata: await fetch(`http://127.0.0.1:${allowed.port}/to-metadata`),
    fileScheme: await fetch('file:///etc/passwd'),
    allowed: await fetch(`http://127.0.0.1:${allowed.port}/plain`),
  }))
  for (const name of ['loopback', 'ipv6', 'localhost', 'metadata', 'privateNet', 'mappedV4', 'redirect', 'redirectMetadata', 'fileScheme'] as const) {
    t.equal(result[name].body.error, 'PermissionDenied', `${name}: PermissionDenied (${result[name].body.message})`)
  }
  t.same(result.allowed.body, { fetched: 200, body: 'hello from an allowed host' }, 'a host the platform allows is reached')
  t.notOk(hits.some((hit) => hit.startsWith('target')), 'the forbidden server never saw a request')
  t.same(hits.filter((hit) => hit.startsWith('allowed')).sort(), ['allowed /plain', 'allowed /to-metadata', 'allowed /to-target'])
  t.ok(statuses.every((s) => s === 200), 'hcm kept answering')
})

t.test('a URL outside the manifest allow list is denied before any lookup', async (t) => {
  const p = await startPluginPlatform(t)
  await p.install('hn', 'bad', 'misbehave')
  const outside = await p.call('GET', `/t/hn/bad/fetch?url=${encodeURIComponent('ftp://example.gov.vn/')}`)
  t.equal(outside.body.error, 'PermissionDenied')
  t.match(outside.body.message, /only http and https/)
})
