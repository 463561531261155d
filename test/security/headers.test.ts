import t from 'tap'
import { examples, startPluginPlatform } from '../helpers/plugins.ts'

t.test('every response carries HSTS and the security headers: the console, the API, its errors, and plugins', async (t) => {
  const p = await startPluginPlatform(t)
  await p.install('hn', 'hello', `${examples}hello`)
  const answers = [
    ['the console', await fetch(`${p.url}/console/`)],
    ['a health check', await fetch(`${p.url}/healthz`)],
    ['an API answer', await fetch(`${p.url}/api/v1/me`, { headers: { authorization: `Bearer ${p.admin}` } })],
    ['a route that does not exist', await fetch(`${p.url}/api/v1/nothing-here`)],
    ['malformed JSON', await fetch(`${p.url}/api/v1/auth/token`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"username":' })],
    ['a header block too large', await fetch(`${p.url}/api/v1/me`, { headers: { authorization: `Bearer ${'x'.repeat(5000)}` } })],
    ["a plugin's route", await fetch(`${p.url}/t/hn/hello/hello`)],
  ] as const
  for (const [what, response] of answers) {
    t.equal(response.headers.get('strict-transport-security'), 'max-age=31536000; includeSubDomains', `${what} (${response.status}): HSTS`)
    t.equal(response.headers.get('x-content-type-options'), 'nosniff', `${what}: nosniff`)
    t.ok(response.headers.get('referrer-policy'), `${what}: a referrer policy`)
  }
  t.equal(answers[0][1].headers.get('x-frame-options'), 'DENY', 'the console is never framed')
  t.equal(answers[2][1].headers.get('x-frame-options'), 'DENY', 'nor the API')
  t.equal(answers[6][1].headers.get('x-frame-options'), null, "a plugin's answer is left to its own CSP (the console frames its pages)")
})
