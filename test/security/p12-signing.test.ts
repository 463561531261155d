// SQLite pass only: no database is involved.
import { execFileSync } from 'node:child_process'
import { writeFileSync } from 'node:fs'
import { join } from 'node:path'
import t from 'tap'
import { testPki } from '../helpers/pki.ts'

interface Opened { certificate: Uint8Array, privateKey: unknown }
/** The page's own module (plain JavaScript, as the browser loads it). */
const { P12Error, base64, commonName, openP12, signDetached } = await import(new URL('../../plugins/procedures/ui/p12.js', import.meta.url).href) as {
  P12Error: new (...args: never[]) => Error
  base64(bytes: Uint8Array): string
  commonName(certificate: Uint8Array): string
  openP12(file: Uint8Array, password: string): Promise<Opened>
  signDetached(content: string, opened: Opened): Promise<Uint8Array>
}

// The procedures' pages sign in the browser with the user's own PKCS#12 file (plugins/procedures/ui/p12.js, the key
// never sent anywhere). The same module runs here on Node's WebCrypto: what it makes OpenSSL verifies; the files a
// user may pick by mistake, and the ones an attacker may hand them, are refused with a code, never a crash or a hang.

t.test('a PKCS#12 file as OpenSSL 3 exports it signs content that openssl cms -verify accepts', async (t) => {
  const certs = testPki(t)
  const { dir } = certs
  const password = 'mật khẩu của Bình'
  const opened = await openP12(certs.p12('binh', password), password)
  t.equal(commonName(opened.certificate), 'Tran Thi Binh', "Bình's certificate, not the authority's beside it")
  const content = JSON.stringify({ hoTen: 'Trần Thị Bình', ghiChú: 'Đồng ý cấp phép' })
  const signature = await signDetached(content, opened)
  writeFileSync(join(dir, 'content.json'), content)
  writeFileSync(join(dir, 'content.p7s'), signature)
  execFileSync('openssl', ['cms', '-verify', '-binary', '-inform', 'DER', '-in', 'content.p7s', '-content', 'content.json', '-CAfile', 'ca1.pem', '-purpose', 'any', '-out', '/dev/null'], { cwd: dir, stdio: 'pipe' })
  t.pass('openssl cms -verify accepts it')
  t.ok(certs.opensslVerifies(base64(signature), content), 'as the helper runs it')
  t.notOk(certs.opensslVerifies(base64(signature), content.replace('Đồng ý', 'Không đồng ý')), 'and not over other bytes')
  const printed = execFileSync('openssl', ['cms', '-cmsout', '-print', '-inform', 'DER', '-in', 'content.p7s'], { cwd: dir, encoding: 'utf8' })
  for (const attribute of ['contentType', 'signingTime', 'messageDigest', 'id-smime-aa-signingCertificateV2']) t.match(printed, attribute, `signed attribute ${attribute} (CAdES-BES)`)

  await t.rejects(openP12(certs.p12('an', 'đúng'), 'sai'), { code: 'P12_PASSWORD' }, 'a wrong password')
  await t.rejects(openP12(certs.p12('seal', 'x', true), 'x'), { code: 'P12_LEGACY' }, 'a file encrypted the old way (3DES, RC2), with how to re-export it')
  await t.rejects(openP12(Buffer.from(certs.pem('binh')), 'x'), { code: 'P12_MALFORMED' }, 'a PEM certificate picked by mistake')
})

t.test('damaged and hostile files: always a P12Error, quickly', async (t) => {
  const good = testPki(t).p12('binh', 'pw')
  let seed = 7
  const random = () => (seed = (seed * 1103515245 + 12345) % 2147483648) / 2147483648
  const started = Date.now()
  const others: string[] = []
  // A thousand flipped bytes (each key and certificate field hit many times over), then truncations, then noise.
  for (let i = 0; i < 1200; i++) {
    const bytes = new Uint8Array(good)
    const at = Math.floor(random() * bytes.length)
    if (i < 1000) bytes[at] = bytes[at]! ^ (1 + Math.floor(random() * 255))
    const noise = () => new Uint8Array(Array.from({ length: 1 + Math.floor(random() * 4000) }, () => Math.floor(random() * 256)))
    const file = i < 1000 ? bytes : i < 1100 ? bytes.subarray(0, Math.floor(random() * bytes.length)) : noise()
    try {
      await openP12(file, 'pw')
    } catch (error) {
      if (!(error instanceof P12Error)) others.push(String(error))
    }
  }
  t.same(others, [], 'no other error escapes (a flipped byte may still open: the bag it hit is not needed)')
  t.ok(Date.now() - started < 60_000, `1,200 files in ${Date.now() - started} ms`)
  // Nested a million deep, or a length that claims the whole memory: refused, not followed.
  const deep = new Uint8Array(200_000).fill(0x30)
  await t.rejects(openP12(deep, 'pw'), { name: 'P12Error', code: 'P12_MALFORMED' })
  await t.rejects(openP12(new Uint8Array([0x30, 0x84, 0xff, 0xff, 0xff, 0xff]), 'pw'), { code: 'P12_MALFORMED' })
})
