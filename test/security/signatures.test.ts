import { execFileSync } from 'node:child_process'
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import canonicalize from 'canonicalize'
import t from 'tap'
import { startPluginPlatform } from '../helpers/plugins.ts'

/** Real certificates and CAdES-BES signatures, made by OpenSSL as a signing tool would. */
function pki (dir: string) {
  const run = (...args: string[]): string => execFileSync('openssl', args, { cwd: dir, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] })
  writeFileSync(join(dir, 'ext.cnf'), [
    '[user]', 'basicConstraints=CA:FALSE', 'keyUsage=critical,digitalSignature,nonRepudiation', 'extendedKeyUsage=emailProtection',
    '[nokey]', 'basicConstraints=CA:FALSE', 'keyUsage=critical,keyEncipherment',
    '[ca]', 'default_ca=test', '[test]', 'dir=.', 'database=index.txt', 'new_certs_dir=.', 'serial=serial.txt', 'default_md=sha256', 'policy=any', 'unique_subject=no',
    '[any]', 'commonName=supplied', 'serialNumber=optional',
  ].join('\n'))
  writeFileSync(join(dir, 'index.txt'), '')
  writeFileSync(join(dir, 'serial.txt'), '1000\n')
  const authority = (name: string): void => {
    run('req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', `${name}.key`, '-out', `${name}.pem`, '-days', '365', '-subj', `/CN=${name}`,
      '-addext', 'basicConstraints=critical,CA:TRUE', '-addext', 'keyUsage=critical,keyCertSign,cRLSign')
  }
  const person = (name: string, subject: string, extensions: string, dates?: [string, string]): void => {
    run('req', '-newkey', 'rsa:2048', '-nodes', '-keyout', `${name}.key`, '-out', `${name}.csr`, '-subj', subject)
    if (dates === undefined) run('x509', '-req', '-in', `${name}.csr`, '-CA', 'ca1.pem', '-CAkey', 'ca1.key', '-CAcreateserial', '-out', `${name}.pem`, '-days', '30', '-extfile', 'ext.cnf', '-extensions', extensions)
    else run('ca', '-batch', '-config', 'ext.cnf', '-cert', 'ca1.pem', '-keyfile', 'ca1.key', '-in', `${name}.csr`, '-out', `${name}.pem`, '-startdate', dates[0], '-enddate', dates[1], '-extfile', 'ext.cnf', '-extensions', extensions, '-notext')
  }
  authority('ca1')
  authority('ca2')
  person('an', '/CN=Nguyen Van An/serialNumber=CCCD:001090000001', 'user')
  person('binh', '/CN=Tran Thi Binh/serialNumber=CCCD:001090000002', 'user')
  person('nokey', '/CN=Nguyen Van An/serialNumber=CCCD:001090000001', 'nokey')
  person('expired', '/CN=Nguyen Van An/serialNumber=CCCD:001090000001', 'user', ['20200101000000Z', '20200201000000Z'])
  // An's key, certified by the untrusted authority.
  run('x509', '-req', '-in', 'an.csr', '-CA', 'ca2.pem', '-CAkey', 'ca2.key', '-CAcreateserial', '-out', 'an-ca2.pem', '-days', '30', '-extfile', 'ext.cnf', '-extensions', 'user')
  return {
    pem: (name: string): string => readFileSync(join(dir, `${name}.pem`), 'utf8'),
    /** A detached CAdES-BES signature of `text` by `cert` with `key`, in base64. */
    sign (text: string, cert: string, key = cert): string {
      writeFileSync(join(dir, 'content'), text)
      run('cms', '-sign', '-binary', '-in', 'content', '-signer', `${cert}.pem`, '-inkey', `${key}.key`, '-outform', 'DER', '-out', 'sig.p7s', '-md', 'sha256', '-cades')
      return readFileSync(join(dir, 'sig.p7s')).toString('base64')
    },
    /** What OpenSSL itself says of a signature, as the check runs it. */
    opensslVerifies (signature: string, text: string): boolean {
      writeFileSync(join(dir, 'check.p7s'), Buffer.from(signature, 'base64'))
      writeFileSync(join(dir, 'check.json'), text)
      try {
        run('cms', '-verify', '-binary', '-inform', 'DER', '-in', 'check.p7s', '-content', 'check.json', '-CAfile', 'ca1.pem', '-purpose', 'any', '-out', '/dev/null')
        return true
      } catch {
        return false
      }
    },
  }
}

t.test('signature.verify: the applicant\'s own signature over the form holds; every other kind is refused with its own code', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'nentang-pki-'))
  t.teardown(() => rmSync(dir, { recursive: true, force: true }))
  const keys = pki(dir)
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

  // Without the province's anchor, the same signature no longer chains.
  t.equal((await p.call('DELETE', `/api/v1/tenants/hn/trust-anchors/${anchor.body.id}`, admin)).status, 204)
  t.match(await verify(an, good), { ok: false, code: 'SIG_UNTRUSTED' })
})
