import { Agent, request as httpRequest } from 'node:http'
import t from 'tap'
import { request } from '../helpers/http.ts'
import { startPluginPlatform } from '../helpers/plugins.ts'
import { helloPackage } from '../helpers/tgz.ts'

t.test('switching versions twenty times under load: no failed response', async (t) => {
  const p = await startPluginPlatform(t)
  await p.call('POST', '/api/v1/tenants/hn/users', { token: p.admin, body: { username: 'hn-dev', password: 'hn-dev-password', roles: ['developer'] } })
  const dev = await p.signIn('hn-dev', 'hn-dev-password')
  for (const version of ['1.0.0', '1.1.0']) {
    await request(p.url, 'POST', '/api/v1/registry/packages', { token: dev, raw: await helloPackage(version), headers: { 'content-type': 'application/gzip' } })
    await p.call('POST', `/api/v1/registry/packages/hn/hello/versions/${version}/approve`, { token: p.admin, body: {} })
  }
  const install = (version: string) => p.call('PUT', '/api/v1/tenants/hn/plugins/hello', { token: p.admin, body: { package: '@hn/hello', version } })
  t.equal((await install('1.0.0')).status, 200)

  const agent = new Agent({ keepAlive: true, maxSockets: 32 })
  t.teardown(() => agent.destroy())
  const get = (): Promise<{ status: number, body: string }> => new Promise((resolve) => {
    const req = httpRequest(`${p.url}/t/hn/hello/hello`, { agent }, (res) => {
      let body = ''
      res.on('data', (chunk) => { body += chunk })
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }))
    })
    req.on('error', (error) => resolve({ status: 0, body: error.message }))
    req.end()
  })
  const results: Array<{ status: number, body: string }> = []
  const live = { running: true }
  let maxInFlight = 0
  let inFlight = 0
  const workers = Array.from({ length: 24 }, async () => {
    while (live.running) {
      inFlight++
      maxInFlight = Math.max(maxInFlight, inFlight)
      results.push(await get())
      inFlight--
    }
  })
  for (let i = 0; i < 20; i++) {
    t.equal((await install(i % 2 === 0 ? '1.1.0' : '1.0.0')).status, 200)
    await new Promise((resolve) => setTimeout(resolve, 20))
  }
  t.equal((await install('1.0.0')).status, 200, 'the last switch lands on 1.0.0')
  live.running = false
  await Promise.all(workers)

  t.ok(maxInFlight >= 20, `${maxInFlight} requests were in flight at once`)
  const failed = results.filter((r) => r.status !== 200)
  t.same(failed.slice(0, 3), [], `zero failed responses out of ${results.length}`)
  const versions = new Set(results.map((r) => (JSON.parse(r.body) as { version: string }).version))
  t.same([...versions].sort(), ['1.0.0', '1.1.0'], 'every response came from one of the two versions')
  const after = await Promise.all(Array.from({ length: 20 }, get))
  t.same([...new Set(after.map((r) => (JSON.parse(r.body) as { version: string }).version))], ['1.0.0'], 'after the last switch only 1.0.0 answers')
})

t.test('reinstalling a plugin folder (nentang dev) lets the request it is serving finish', async (t) => {
  const p = await startPluginPlatform(t)
  await p.install('hn', 'm', 'misbehave')
  t.equal((await p.call('GET', '/t/hn/m/ok')).status, 200)
  const slow = p.call('GET', '/t/hn/m/busy/200')
  await new Promise((resolve) => setTimeout(resolve, 60))
  await p.install('hn', 'm', 'misbehave')
  const answer = await slow
  t.equal(answer.status, 200, `the request in flight answered ${JSON.stringify(answer.body)}`)
  t.same(answer.body, { waited: 200 })
  t.same((await p.call('GET', '/t/hn/m/ok')).body, { ok: true }, 'and the new version serves the next one')
})
