// SQLite pass only: what is tested is the command line; the database behind it is the platform's, tested on both.
import { execFileSync } from 'node:child_process'
import { readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import t from 'tap'
import { createDatabase } from '../../core/db/database.ts'
import { anchorsFor, fingerprintsOf } from '../../core/signatures/store.ts'
import { verifySignature } from '../../core/signatures/verify.ts'
import { findTenant } from '../../core/tenancy/tenants.ts'
import { createTestDatabase } from '../helpers/database.ts'
import { runCli } from '../helpers/cli.ts'

interface Opened { certificate: Uint8Array, privateKey: unknown }
const { commonName, openP12, signDetached } = await import(new URL('../../plugins/procedures/ui/p12.js', import.meta.url).href) as {
  commonName(certificate: Uint8Array): string
  openP12(file: Uint8Array, password: string): Promise<Opened>
  signDetached(content: string, opened: Opened): Promise<Uint8Array>
}

t.test('nentang demo gives each demo user a signing certificate that the platform, OpenSSL and the page all accept', async (t) => {
  const database = await createTestDatabase()
  t.teardown(() => database.drop())
  const flags = ['--database-url', database.url, '--data-dir', database.dir, '--admin-password', 'demo-admin-password']
  const demo = await runCli(['demo', ...flags], {}, 120_000)
  t.equal(demo.code, 0, demo.stderr)
  const dir = join(database.dir, 'demo-pki')
  t.match(demo.stdout, `demo signing certificates: ${dir}/<username>.p12`)
  const password = /ba-dinh-officer +(\S+) +officer/.exec(demo.stdout)![1]!
  const file = join(dir, 'ba-dinh-officer.p12')

  // OpenSSL reads the file with the user's password (its MAC holds) and finds the key and both certificates.
  const listed = execFileSync('openssl', ['pkcs12', '-in', file, '-passin', `pass:${password}`, '-nokeys'], { encoding: 'utf8' })
  t.equal(listed.match(/BEGIN CERTIFICATE/g)?.length, 2, "the user's certificate and the authority's")
  t.throws(() => execFileSync('openssl', ['pkcs12', '-in', file, '-passin', 'pass:wrong', '-noout'], { stdio: 'pipe' }), 'not with another password')

  // The page's own module opens it and signs; OpenSSL and the platform's check both accept the signature.
  const opened = await openP12(readFileSync(file), password)
  t.equal(commonName(opened.certificate), 'Cán bộ Ba Đình')
  const content = JSON.stringify({ dossier: 'HN-BA-DINH-20261202-ABC123', action: 'duyet' })
  const signature = await signDetached(content, opened)
  writeFileSync(join(database.dir, 'content.json'), content)
  writeFileSync(join(database.dir, 'content.p7s'), signature)
  execFileSync('openssl', ['cms', '-verify', '-binary', '-inform', 'DER', '-in', 'content.p7s', '-content', 'content.json', '-CAfile', join(dir, 'ca.pem'), '-purpose', 'any', '-out', '/dev/null'], { cwd: database.dir, stdio: 'pipe' })
  const db = createDatabase(database.url)
  t.teardown(() => db.close())
  const ward = (await findTenant(db, 'hn-ba-dinh'))!
  const check = { signature, content: new TextEncoder().encode(content), anchors: await anchorsFor(db, ward) }
  t.match(await verifySignature({ ...check, signerFingerprints: await fingerprintsOf(db, 'ba-dinh-officer') }), { ok: true, code: 'SIG_OK' }, 'trusted at vn, so at the ward; registered as the officer\'s')
  t.match(await verifySignature({ ...check, signerFingerprints: await fingerprintsOf(db, 'ba-dinh-citizen') }), { ok: false, code: 'SIG_NOT_SIGNER' }, 'not the citizen\'s')

  const again = await runCli(['demo', ...flags])
  t.equal(again.code, 0)
  t.notMatch(again.stdout, /demo signing certificates/, 'made once')
})
