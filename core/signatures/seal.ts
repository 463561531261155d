import { createHash, createPrivateKey, webcrypto, type KeyObject } from 'node:crypto'
import * as asn1js from 'asn1js'
import * as pkijs from 'pkijs'
import './certificates.ts'

const DATA = '1.2.840.113549.1.7.1'
const CONTENT_TYPE = '1.2.840.113549.1.9.3'
const MESSAGE_DIGEST = '1.2.840.113549.1.9.4'
const SIGNING_TIME = '1.2.840.113549.1.9.5'
/** ESS signing-certificate-v2 (RFC 5035): what makes a CMS signature CAdES-BES. */
const SIGNING_CERTIFICATE_V2 = '1.2.840.113549.1.9.16.2.47'

/** The WebCrypto algorithm a key signs with: RSA PKCS#1 v1.5 or ECDSA, with SHA-256. */
type ImportAlgorithm = Parameters<typeof webcrypto.subtle.importKey>[2]
type SigningKey = webcrypto.CryptoKey

function algorithmOf (key: KeyObject): ImportAlgorithm {
  if (key.asymmetricKeyType === 'rsa') return { name: 'RSASSA-PKCS1-v1_5', hash: 'SHA-256' }
  if (key.asymmetricKeyType === 'ec') {
    const curve = key.asymmetricKeyDetails?.namedCurve
    const named = curve === 'prime256v1' ? 'P-256' : curve === 'secp384r1' ? 'P-384' : curve === 'secp521r1' ? 'P-521' : undefined
    if (named !== undefined) return { name: 'ECDSA', namedCurve: named }
  }
  throw new Error('a seal key is RSA, or EC on P-256, P-384 or P-521')
}

/** Reads a PEM private key (PKCS#8 or the key type's own format); throws when it is none the seal can use. */
export async function importSealKey (pem: string): Promise<SigningKey> {
  const key = createPrivateKey(pem)
  const algorithm = algorithmOf(key)
  const der = key.export({ format: 'der', type: 'pkcs8' })
  return webcrypto.subtle.importKey('pkcs8', der, algorithm, false, ['sign'])
}

/**
 * A detached CAdES-BES signature (CMS SignedData, DER) over `content` by `certificate`'s key: signed attributes
 * content type, message digest, signing time and ESS signing-certificate-v2, the signer's certificate carried.
 * OpenSSL verifies it: `openssl cms -verify -binary -inform DER -in x.p7s -content x.json -CAfile ca.pem`.
 */
export async function sealContent (content: Uint8Array, certificate: pkijs.Certificate, key: SigningKey, at = new Date()): Promise<Uint8Array> {
  const digest = createHash('sha256').update(content).digest()
  const certificateDer = new Uint8Array(certificate.toSchema().toBER())
  const essCertId = new asn1js.Sequence({
    value: [
      // hashAlgorithm is left out: SHA-256 is its default.
      new asn1js.OctetString({ valueHex: createHash('sha256').update(certificateDer).digest() }),
      new asn1js.Sequence({
        value: [
          new asn1js.Sequence({ value: [new asn1js.Constructed({ idBlock: { tagClass: 3, tagNumber: 4 }, value: [certificate.issuer.toSchema()] })] }),
          new asn1js.Integer({ valueHex: certificate.serialNumber.valueBlock.valueHexView }),
        ],
      }),
    ],
  })
  const signed = new pkijs.SignedData({
    version: 1,
    encapContentInfo: new pkijs.EncapsulatedContentInfo({ eContentType: DATA }),
    signerInfos: [new pkijs.SignerInfo({
      version: 1,
      sid: new pkijs.IssuerAndSerialNumber({ issuer: certificate.issuer, serialNumber: certificate.serialNumber }),
      signedAttrs: new pkijs.SignedAndUnsignedAttributes({
        type: 0,
        attributes: [
          new pkijs.Attribute({ type: CONTENT_TYPE, values: [new asn1js.ObjectIdentifier({ value: DATA })] }),
          new pkijs.Attribute({ type: SIGNING_TIME, values: [new asn1js.UTCTime({ valueDate: at })] }),
          new pkijs.Attribute({ type: MESSAGE_DIGEST, values: [new asn1js.OctetString({ valueHex: digest })] }),
          new pkijs.Attribute({ type: SIGNING_CERTIFICATE_V2, values: [new asn1js.Sequence({ value: [new asn1js.Sequence({ value: [essCertId] })] })] }),
        ],
      }),
    })],
    certificates: [certificate],
  })
  await signed.sign(key, 0, 'SHA-256')
  const info = new pkijs.ContentInfo({ contentType: pkijs.ContentInfo.SIGNED_DATA, content: signed.toSchema(true) })
  return new Uint8Array(info.toSchema().toBER())
}
