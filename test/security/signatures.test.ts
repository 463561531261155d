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
  t.same(checks.map((check) => check.code ?? JSON.stringify(check)), Array.from({ length: 20 }, (_, i) => i % 2 === 0 ? 'SIG_OK' : 'SIG_UNTRUSTED'), 'each checked right')

  // Without the province's anchor, the same signature no longer chains.
  t.equal((await p.call('DELETE', `/api/v1/tenants/hn/trust-anchors/${anchor.body.id}`, admin)).status, 204)
  t.match(await verify(an, good), { ok: false, code: 'SIG_UNTRUSTED' })
})

t.test('revocation: a list given for an authority refuses the certificates it names; a stale list refuses them all; only the authority\'s own, newer lists are taken', async (t) => {
  const keys = testPki(t)
  const p = await startPluginPlatform(t)
  const admin = { token: p.admin }
  t.equal((await p.call('POST', '/api/v1/tenants/hn/children', { ...admin, body: { code: 'hn-ba-dinh', name: 'Phường Ba Đình' } })).status, 201)
  const tokens: Record<string, string> = {}
  for (const [username, displayName] of [['an', 'Nguyễn Văn An'], ['binh', 'Trần Thị Bình']] as const) {
    t.equal((await p.call('POST', '/api/v1/tenants/hn-ba-dinh/users', { ...admin, body: { username, password: `mật-khẩu-${username}-dài`, displayName, roles: ['member'] } })).status, 201)
    tokens[username] = await p.signIn(username, `mật-khẩu-${username}-dài`)
    t.equal((await p.call('POST', '/api/v1/me/certificates', { token: tokens[username], body: { certificate: keys.pem(username) } })).status, 201)
  }
  const anchor = (await p.call('POST', '/api/v1/tenants/hn/trust-anchors', { ...admin, body: { name: 'CA thử nghiệm', certificate: keys.pem('ca1') } })).body
  await p.install('hn-ba-dinh', 'sign', 'signer')
  const text = 'Tờ khai đăng ký hộ kinh doanh'
  const verify = async (who: string): Promise<any> => (await p.call('POST', '/t/hn-ba-dinh/sign/verify', { token: tokens[who], body: { signature: keys.sign(text, who), content: text } })).body
  const give = (crl: string, token = p.admin) => p.call('PUT', `/api/v1/tenants/hn/trust-anchors/${anchor.id}/revocation-list`, { token, body: { crl } })

  t.match(await verify('an'), { ok: true, code: 'SIG_OK', revocation: 'unchecked' }, 'no list held: not checked, and said so')

  // The list the authority published last January, long past its next update.
  const stale = keys.crl([], { dates: ['20260101000000Z', '20260108000000Z'] })
  t.match((await give(stale)).body, { thisUpdate: '2026-01-01T00:00:00.000Z', nextUpdate: '2026-01-08T00:00:00.000Z', revoked: 0 })
  t.match(await verify('binh'), { ok: false, code: 'SIG_REVOCATION_UNKNOWN', message: /2026-01-08/ }, 'a stale list: nobody\'s signature by that authority holds')

  // Today's list names An's certificate; given as base64 DER, as some authorities publish it.
  const current = keys.crl(['an'])
  const der = current.replace(/-----(BEGIN|END) X509 CRL-----/g, '').replace(/\s+/g, '')
  t.match((await give(der)).body, { revoked: 1 })
  t.match(await verify('an'), { ok: false, code: 'SIG_REVOKED', message: /revoked the certificate on 2\d{3}-/ })
  t.match(await verify('binh'), { ok: true, code: 'SIG_OK', revocation: 'good' })
  const listed = (await p.call('GET', '/api/v1/tenants/hn/trust-anchors', admin)).body.items[0]
  t.match(listed.revocationList, { revoked: 1, nextUpdate: /^2\d{3}-/ })

  // What is not taken: the old list again, another authority's, not a list at all, a member's.
  t.match((await give(stale)).body.error, { code: 'CORE_ERR_REVOCATION_LIST_OLDER', field: 'crl' })
  t.match((await give(keys.crl([], { authority: 'ca2' }))).body.error, { code: 'CORE_ERR_INVALID_FIELD', field: 'crl', message: /not issued and signed by CN=ca1/ })
  t.match((await give(Buffer.from('không phải danh sách thu hồi '.repeat(10)).toString('base64'))).body.error, { code: 'CORE_ERR_INVALID_FIELD', field: 'crl', message: /not a certificate revocation list/ })
  t.match((await give('<script>alert(1)</script>'.repeat(10))).body.error, { code: 'CORE_ERR_INVALID_FIELD', field: 'crl' })
  t.equal((await give(current, tokens.an)).status, 404, 'a member of the ward does not reach the province\'s authorities')
  t.match(await verify('an'), { code: 'SIG_REVOKED' }, 'and An\'s certificate stays revoked')

  const audited = (await p.call('GET', '/api/v1/tenants/hn/audit?action=trust-anchor.revocation-list', admin)).body.items
  t.equal(audited.length, 2, 'each list taken is in the audit log')
  // Removing the authority removes its list with it.
  t.equal((await p.call('DELETE', `/api/v1/tenants/hn/trust-anchors/${anchor.id}`, admin)).status, 204)
  t.equal(Number((await p.platform.services.db.knex('revocation_lists').count({ n: '*' }))[0]!.n), 0)
})
