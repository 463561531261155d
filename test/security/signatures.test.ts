import canonicalize from 'canonicalize'
import t from 'tap'
import { whileNeighbourServes } from '../helpers/neighbour.ts'
import { testPki } from '../helpers/pki.ts'
import { startPluginPlatform } from '../helpers/plugins.ts'

t.test('signature.verify: the applicant\'s own signature over the form holds; every other kind is refused with its own code', async (t) => {
  const keys = testPki(t)
  const p = await startPluginPlatform(t)
  const admin = { token: p.admin }
  t.equal((await p.call('POST', '/api/v1/tenants/hn/children', { ...admin, body: { code: 'hn-ba-dinh', name: 'Phường Ba Đình' } })).status, 201)
  for (const [username, displayName] of [['an', 'Nguyễn Văn An'], ['binh', 'Trần Thị Bình']]) {
    t.equal((await p.call('POST', '/api/v1/tenants/hn-ba-dinh/users', { ...admin, body: { username, password: `mật-khẩu-${username}-dài`, displayName, roles: ['member'] } })).status, 201)
  }
  const an = await p.signIn('an', 'mật-khẩu-an-dài')
  const binh = await p.signIn('binh', 'mật-khẩu-binh-dài')

  // The province trusts its authority; the commune below inherits it.
  const anchor = await p.call('POST', '/api/v1/tenants/hn/trust-anchors', { ...admin, body: { name: 'CA thử nghiệm', certificate: keys.pem('ca1') } })
  t.equal(anchor.status, 201)
  t.match(anchor.body, { subject: 'CN=ca1', fingerprint: /^[0-9a-f]{64}$/ })
  t.equal((await p.call('POST', '/api/v1/tenants/hn/trust-anchors', { ...admin, body: { name: 'again', certificate: keys.pem('ca1') } })).body.error.code, 'CORE_ERR_CERTIFICATE_EXISTS')
  t.match((await p.call('POST', '/api/v1/tenants/hn/trust-anchors', { ...admin, body: { name: 'a person', certificate: keys.pem('an') } })).body.error, { code: 'CORE_ERR_INVALID_FIELD', field: 'certificate' }, 'a person\'s certificate is no authority')
  t.equal((await p.call('POST', '/api/v1/tenants/hn-ba-dinh/trust-anchors', { token: an, body: { name: 'mine', certificate: keys.pem('ca2') } })).status, 403, 'a member adds no authority')
  t.equal((await p.call('GET', '/api/v1/audit/verification', admin)).body.ok, true)

  // Each registers their own signing certificates.
  for (const name of ['an', 'nokey', 'expired', 'an-ca2']) t.equal((await p.call('POST', '/api/v1/me/certificates', { token: an, body: { certificate: keys.pem(name) } })).status, 201, name)
  t.equal((await p.call('POST', '/api/v1/me/certificates', { token: binh, body: { certificate: keys.pem('binh') } })).status, 201)
  t.equal((await p.call('POST', '/api/v1/me/certificates', { token: an, body: { certificate: keys.pem('ca2') } })).body.error.code, 'CORE_ERR_INVALID_FIELD', 'an authority is not a person\'s certificate')
  t.equal((await p.call('POST', '/api/v1/me/certificates', { token: an, body: { certificate: 'không phải chứng thư' } })).status, 422)
  t.equal((await p.call('GET', '/api/v1/me/certificates', { token: an })).body.items.length, 4)

  await p.install('hn-ba-dinh', 'sign', 'signer')
  const form = { hoTen: 'Nguyễn Văn An'.normalize('NFD'), soHoSo: 'HS-2026-001', lePhi: 50000 }
  const signedText = canonicalize(JSON.parse(JSON.stringify(form, (_, v) => typeof v === 'string' ? v.normalize('NFC') : v)))!
  const verify = async (token: string, signature: string, content: unknown = form): Promise<any> => (await p.call('POST', '/t/hn-ba-dinh/sign/verify', { token, body: { signature, content } })).body

  const good = keys.sign(signedText, 'an')
  t.ok(keys.opensslVerifies(good, signedText), 'OpenSSL verifies it')
  t.match(await verify(an, good), { ok: true, code: 'SIG_OK', signer: { subject: 'CN=Nguyen Van An, serialNumber=CCCD:001090000001' }, signingTime: /^2\d{3}-/ }, 'An\'s signature over the form, as An')
  t.match(await verify(an, good, { ...form, lePhi: 5000 }), { ok: false, code: 'SIG_INVALID' }, 'over other bytes')
  t.match(await verify(binh, good), { ok: false, code: 'SIG_NOT_SIGNER' }, 'An\'s signature presented by Bình')
  t.match(await verify(an, keys.sign(signedText, 'binh')), { ok: false, code: 'SIG_NOT_SIGNER' }, 'Bình\'s signature presented by An')
  t.match(await verify(an, keys.sign(signedText, 'expired')), { ok: false, code: 'SIG_EXPIRED' }, 'by a certificate that had expired')
  t.match(await verify(an, keys.sign(signedText, 'nokey')), { ok: false, code: 'SIG_KEY_USAGE' }, 'by a certificate that may not sign')
  const untrusted = keys.sign(signedText, 'an-ca2', 'an')
  t.notOk(keys.opensslVerifies(untrusted, signedText), 'OpenSSL refuses it too')
  t.match(await verify(an, untrusted), { ok: false, code: 'SIG_UNTRUSTED' }, 'certified by an authority nobody here trusts')
  t.match(await verify(an, Buffer.from('không phải chữ ký').toString('base64')), { ok: false, code: 'SIG_MALFORMED' })
  t.match(await verify(an, 'not base64!'), { error: 'InvalidArgument' })
  t.match((await p.call('POST', '/t/hn-ba-dinh/sign/kiosk', { body: { signature: good, content: form } })).body, { error: 'InvalidArgument', message: /signed-in user/ }, 'no user, no signer')

  // Twenty checks at once, good and untrusted alternating, while another tenant is served.
  const both = (i: number): string => i % 2 === 0 ? good : untrusted
  const { statuses, result: checks } = await whileNeighbourServes(p, () => Promise.all(Array.from({ length: 20 }, (_, i) => verify(an, both(i)))))
  t.ok(statuses.length > 0 && statuses.every((s) => s === 200), `hcm kept answering (${statuses.length} requests)`)
  t.same(checks.map((check) => check.code), Array.from({ length: 20 }, (_, i) => i % 2 === 0 ? 'SIG_OK' : 'SIG_UNTRUSTED'), 'each checked right')

  // Without the province's anchor, the same signature no longer chains.
  t.equal((await p.call('DELETE', `/api/v1/tenants/hn/trust-anchors/${anchor.body.id}`, admin)).status, 204)
  t.match(await verify(an, good), { ok: false, code: 'SIG_UNTRUSTED' })
})
