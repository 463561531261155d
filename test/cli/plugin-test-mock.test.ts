// SQLite pass only: what is tested is the command line; the database behind it is the platform's, tested on both.
import { createServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import t from 'tap'
import { runCli } from '../helpers/cli.ts'

// A plugin that calls a provincial service, tested against a mock of it on this machine: `plugin test` refuses the
// private address, as the platform does, until the author allows that one host:port.

t.test('plugin test reaches a local mock only when told to allow its address', async (t) => {
  const mock = createServer((req, res) => {
    res.writeHead(200, { 'content-type': 'application/json' })
    res.end(JSON.stringify({ tinh: 'Hà Nội', duBao: 'Nắng nhẹ', path: req.url }))
  })
  await new Promise<void>((resolve) => mock.listen(0, '127.0.0.1', resolve))
  t.teardown(() => mock.close())
  const port = (mock.address() as AddressInfo).port
  const folder = mkdtempSync(join(tmpdir(), 'nentang-weather-'))
  t.teardown(() => rmSync(folder, { recursive: true, force: true }))
  writeFileSync(join(folder, 'plugin.json'), JSON.stringify({
    name: '@hn/weather',
    version: '1.0.0',
    engine: '^1.0.0',
    main: 'index.js',
    permissions: { http: { allow: ['http://127.0.0.1:*/api/*'] } },
    routes: [{ method: 'GET', path: '/forecast', handler: 'forecast', access: 'public' }],
  }))
  writeFileSync(join(folder, 'index.js'), `import { http } from 'nentang:sdk'
export async function forecast (request) {
  const answer = await http.fetch(\`http://127.0.0.1:\${request.query.port}/api/forecast\`)
  return { status: answer.status, body: JSON.parse(answer.body) }
}
`)
  mkdirSync(join(folder, 'test'))
  writeFileSync(join(folder, 'test', 'forecast.test.js'), `import { test } from 'node:test'
import assert from 'node:assert/strict'
test('the forecast comes from the province', async () => {
  const response = await fetch(\`\${process.env.NENTANG_TEST_URL}/forecast?port=\${process.env.MOCK_PORT}\`)
  assert.equal(response.status, 200, await response.clone().text())
  assert.deepEqual(await response.json(), { tinh: 'Hà Nội', duBao: 'Nắng nhẹ', path: '/api/forecast' })
})
`)
  const refused = await runCli(['plugin', 'test', folder], { MOCK_PORT: String(port) }, 120_000)
  t.equal(refused.code, 1, 'a private address is refused, as on the platform')
  t.match(refused.stdout + refused.stderr, /private|loopback/)
  const allowed = await runCli(['plugin', 'test', folder, '--http-allow-private', `127.0.0.1:${port}`], { MOCK_PORT: String(port) }, 120_000)
  t.equal(allowed.code, 0, allowed.stdout + allowed.stderr)
  const fromEnv = await runCli(['plugin', 'test', folder], { MOCK_PORT: String(port), NENTANG_HTTP_ALLOW_PRIVATE: `127.0.0.1:${port}` }, 120_000)
  t.equal(fromEnv.code, 0, 'or from NENTANG_HTTP_ALLOW_PRIVATE')
})
