import { webcrypto } from 'node:crypto'
import { mkdirSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import * as asn1js from 'asn1js'
import * as pkijs from 'pkijs'
import { appendAudit } from '../../core/audit/audit-log.ts'
import { transaction, type Database } from '../../core/db/database.ts'
import { readCertificate } from '../../core/signatures/certificates.ts'
import { addAnchor, addCertificate } from '../../core/signatures/store.ts'
import { findTenant } from '../../core/tenancy/tenants.ts'
import type { DemoCredential } from './demo-tenants.ts'

/** The demo authority's name, as the trust anchor at `vn` is listed. */
export const DEMO_CA_NAME = 'CA thử nghiệm nentang (demo)'
const YEAR = 365 * 24 * 60 * 60 * 1000
type Key = webcrypto.CryptoKey
type KeyPair = webcrypto.CryptoKeyPair
const subtle = (): webcrypto.SubtleCrypto => webcrypto.subtle
const RSA = { name: 'RSASSA-PKCS1-v1_5', modulusLength: 2048, publicExponent: new Uint8Array([1, 0, 1]), hash: 'SHA-256' }

function name (commonName: string, serial?: string): pkijs.RelativeDistinguishedNames {
  return new pkijs.RelativeDistinguishedNames({
    typesAndValues: [
      new pkijs.AttributeTypeAndValue({ type: '2.5.4.3', value: new asn1js.Utf8String({ value: commonName }) }),
      ...(serial === undefined ? [] : [new pkijs.AttributeTypeAndValue({ type: '2.5.4.5', value: new asn1js.PrintableString({ value: serial }) })]),
    ],
  })
}

/** A certificate for `keys`, signed by `issuer` (itself when absent): an authority, or a person who signs documents. */
async function issue (keys: KeyPair, subject: pkijs.RelativeDistinguishedNames, serial: number, issuer?: { certificate: pkijs.Certificate, key: Key }) {
  const certificate = new pkijs.Certificate()
  certificate.version = 2
  certificate.serialNumber = new asn1js.Integer({ value: serial })
  certificate.subject = subject
  certificate.issuer = issuer?.certificate.subject ?? subject
  certificate.notBefore.value = new Date(Date.now() - 60_000)
  certificate.notAfter.value = new Date(Date.now() + (issuer === undefined ? 5 : 1) * YEAR)
  const authority = issuer === undefined
  const usage = new asn1js.BitString({ valueHex: new Uint8Array([authority ? 0x06 : 0xc0]).buffer, unusedBits: authority ? 1 : 6 })
  certificate.extensions = [
    new pkijs.Extension({ extnID: '2.5.29.19', critical: true, extnValue: new pkijs.BasicConstraints({ cA: authority }).toSchema().toBER(false), parsedValue: new pkijs.BasicConstraints({ cA: authority }) }),
    new pkijs.Extension({ extnID: '2.5.29.15', critical: true, extnValue: usage.toBER(false) }),
    ...(authority ? [] : [new pkijs.Extension({ extnID: '2.5.29.37', extnValue: new pkijs.ExtKeyUsage({ keyPurposes: ['1.3.6.1.5.5.7.3.4'] }).toSchema().toBER(false) })]),
  ]
  await certificate.subjectPublicKeyInfo.importKey(keys.publicKey)
  await certificate.sign(issuer?.key ?? keys.privateKey, 'SHA-256')
  return certificate
}

const pem = (der: ArrayBuffer): string => `-----BEGIN CERTIFICATE-----\n${Buffer.from(der).toString('base64').replace(/(.{64})/g, '$1\n').trim()}\n-----END CERTIFICATE-----\n`

/** A PKCS#12 file as OpenSSL 3 writes one: key and certificates encrypted with AES-256 (PBES2), an HMAC-SHA-256. */
async function pkcs12 (key: Key, certificates: pkijs.Certificate[], password: string): Promise<Buffer> {
  const secret = new TextEncoder().encode(password).buffer as ArrayBuffer
  const encryption = { password: secret, contentEncryptionAlgorithm: { name: 'AES-CBC', length: 256 }, hmacHashAlgorithm: 'SHA-256', iterationCount: 100_000 }
  const keyBag = new pkijs.PKCS8ShroudedKeyBag({ parsedValue: pkijs.PrivateKeyInfo.fromBER(await subtle().exportKey('pkcs8', key)) })
  const pfx = new pkijs.PFX({
    parsedValue: {
      integrityMode: 0,
      authenticatedSafe: new pkijs.AuthenticatedSafe({
        parsedValue: {
          safeContents: [
            { privacyMode: 0, value: new pkijs.SafeContents({ safeBags: [new pkijs.SafeBag({ bagId: '1.2.840.113549.1.12.10.1.2', bagValue: keyBag })] }) },
            { privacyMode: 1, value: new pkijs.SafeContents({ safeBags: certificates.map((certificate) => new pkijs.SafeBag({ bagId: '1.2.840.113549.1.12.10.1.3', bagValue: new pkijs.CertBag({ parsedValue: certificate }) })) }) },
          ],
        },
      }),
    },
  })
  await keyBag.makeInternalValues(encryption)
  await pfx.parsedValue!.authenticatedSafe!.makeInternalValues({ safeContents: [{}, encryption] })
  await pfx.makeInternalValues({ password: secret, iterations: 100_000, pbkdf2HashAlgorithm: 'SHA-256', hmacHashAlgorithm: 'SHA-256' })
  return Buffer.from(pfx.toSchema().toBER(false))
}

/**
 * A demo authority, trusted at `vn` (so at every unit), and a certificate for each demo user, registered as theirs,
 * in a PKCS#12 file under `{dataDir}/demo-pki/` whose password is the user's own sign-in password: anyone can sign a
 * procedure's step in five minutes. Does nothing when the authority is already trusted.
 */
export async function seedDemoPki (db: Database, dataDir: string, users: readonly DemoCredential[]): Promise<string | undefined> {
  const root = (await findTenant(db, 'vn'))!
  if (await db.knex('trust_anchors').where({ tenant_id: root.id, name: DEMO_CA_NAME }).first('id') !== undefined) return undefined
  const dir = join(dataDir, 'demo-pki')
  mkdirSync(dir, { recursive: true })
  const caKeys = await subtle().generateKey(RSA, true, ['sign', 'verify']) as KeyPair
  const ca = await issue(caKeys, name('nentang demo CA'), 1)
  const caPem = pem(ca.toSchema().toBER(false))
  writeFileSync(join(dir, 'ca.pem'), caPem)
  const issued: Array<{ username: string, pem: string }> = []
  for (const [i, user] of users.entries()) {
    const row = await db.knex('users').where({ username: user.username }).first('display_name')
    const keys = await subtle().generateKey(RSA, true, ['sign', 'verify']) as KeyPair
    const certificate = await issue(keys, name(String(row?.display_name ?? user.username), `DEMO:${user.username}`), 1000 + i, { certificate: ca, key: caKeys.privateKey })
    writeFileSync(join(dir, `${user.username}.p12`), await pkcs12(keys.privateKey, [certificate, ca], user.password), { mode: 0o600 })
    issued.push({ username: user.username, pem: pem(certificate.toSchema().toBER(false)) })
  }
  await transaction(db, async (trx) => {
    await addAnchor(trx, root, DEMO_CA_NAME, readCertificate(caPem)!.facts, 'demo')
    for (const { username, pem: certificate } of issued) {
      const user = await trx('users').where({ username }).first('id')
      await addCertificate(trx, Number(user.id), readCertificate(certificate)!.facts)
    }
    await appendAudit(trx, { actor: null, action: 'demo.pki', tenant: 'vn', target: DEMO_CA_NAME, details: { users: issued.map((u) => u.username) } })
  })
  return dir
}
