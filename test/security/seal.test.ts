import { execFileSync } from 'node:child_process'
import { readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import canonicalize from 'canonicalize'
import t from 'tap'
import { testPki } from '../helpers/pki.ts'
import { startPluginPlatform } from '../helpers/plugins.ts'

t.test("signature.seal: a unit's plugin seals with the unit's key, which no one reads back; OpenSSL verifies the seal", async (t) => {
  const certs = testPki(t)
  const { dir } = certs
  const key = (name: string): string => readFileSync(join(dir, `${name}.key`), 'utf8')
  const p = await startPluginPlatform(t)
  await p.install('hn', 'clerk', 'clerk')
  await p.install('hcm', 'clerk', 'clerk')
  const form = { hồSơ: 'HS-2026-0001', ngườiNộp: 'Nguyễn Văn An'.normalize('NFD'), lệPhí: 50000 }

  t.match((await p.call('POST', '/t/hn/clerk/seal', { token: p.admin, body: form })).body, { error: 'NotFound', message: /no seal/ }, 'no seal yet')
  const officer = await p.call('POST', '/api/v1/tenants/hn/users', { token: p.admin, body: { username: 'canbo', password: 'canbo-password', displayName: 'Cán bộ', roles: ['officer'] } })
  t.equal(officer.status, 201)
  const set = (token: string, body: unknown): Promise<{ status: number, body: any }> => p.call('PUT', '/api/v1/tenants/hn/seal', { token, body })
  t.equal((await set(await p.signIn('canbo', 'canbo-password'), { certificate: certs.pem('seal'), privateKey: key('seal') })).status, 403, 'an officer cannot set it')
  const wrongKey = await set(p.admin, { certificate: certs.pem('seal'), privateKey: key('an') })
  t.match(wrongKey, { status: 422, body: { error: { code: 'CORE_ERR_INVALID_FIELD', field: 'privateKey' } } }, "another certificate's key")
  t.match(await set(p.admin, { certificate: certs.pem('ca1'), privateKey: key('ca1') }), { status: 422, body: { error: { field: 'certificate' } } }, "an authority's certificate")
  t.match(await set(p.admin, { certificate: certs.pem('seal'), privateKey: 'not a key'.repeat(20) }), { status: 422, body: { error: { field: 'privateKey' } } })
  const done = await set(p.admin, { certificate: certs.pem('seal'), privateKey: key('seal') })
  t.equal(done.status, 200)
  t.match(done.body, { subject: /UBND phuong Ba Dinh/, fingerprint: /^[0-9a-f]{64}$/ })
  const shown = await p.call('GET', '/api/v1/tenants/hn/seal', { token: p.admin })
  t.notOk(JSON.stringify(shown.body).includes('PRIVATE'), 'the key is never shown')
  const stored = await p.platform.services.db.knex('unit_seals').first('private_key')
  t.notOk(String(stored.private_key).includes('PRIVATE'), 'nor stored in the clear')

  const sealed = await p.call('POST', '/t/hn/clerk/seal', { token: p.admin, body: form })
  t.match(sealed.body, { signature: /^[A-Za-z0-9+/=]+$/, certificate: /BEGIN CERTIFICATE/, signingTime: /^\d{4}-/ })
  // What was sealed: the form in canonical JSON (RFC 8785), its strings in NFC.
  const content = canonicalize({ hồSơ: 'HS-2026-0001', ngườiNộp: 'Nguyễn Văn An', lệPhí: 50000 })!
  writeFileSync(join(dir, 'x.p7s'), Buffer.from(sealed.body.signature, 'base64'))
  writeFileSync(join(dir, 'x.json'), content)
  const verified = execFileSync('openssl', ['cms', '-verify', '-binary', '-inform', 'DER', '-in', 'x.p7s', '-content', 'x.json', '-CAfile', 'ca1.pem', '-purpose', 'any', '-out', '/dev/null'], { cwd: dir, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] })
  t.equal(verified, '', 'openssl cms -verify succeeds (it exits 0)')
  const printed = execFileSync('openssl', ['cms', '-cmsout', '-print', '-inform', 'DER', '-in', 'x.p7s'], { cwd: dir, encoding: 'utf8' })
  t.match(printed, /signingTime/)
  t.match(printed, /1\.2\.840\.113549\.1\.9\.16\.2\.47|signingCertificateV2/, 'ESS signing-certificate-v2: CAdES-BES')
  t.notOk(certs.opensslVerifies(sealed.body.signature, content.replace('50000', '50001')), 'over other bytes it does not verify')

  t.match((await p.call('POST', '/t/hcm/clerk/seal', { token: p.admin, body: form })).body, { error: 'NotFound' }, "hcm's clerk cannot use hn's seal")
  t.equal((await p.call('DELETE', '/api/v1/tenants/hn/seal', { token: p.admin })).status, 204)
  t.match((await p.call('POST', '/t/hn/clerk/seal', { token: p.admin, body: form })).body, { error: 'NotFound' }, 'removed, it seals no more')
  const audit = (await p.call('GET', '/api/v1/tenants/hn/audit?limit=50', { token: p.admin })).body.items.map((e: { action: string }) => e.action)
  t.ok(audit.includes('seal.set') && audit.includes('seal.remove'), 'setting and removing are audited')
})
