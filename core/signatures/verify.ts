import * as pkijs from 'pkijs'
import { fingerprintOf, subjectOf } from './certificates.ts'

/** Why a signature does or does not hold, each failure its own code (docs/sandbox.md). */
export type SignatureCode = 'SIG_OK' | 'SIG_MALFORMED' | 'SIG_INVALID' | 'SIG_EXPIRED' | 'SIG_KEY_USAGE' | 'SIG_UNTRUSTED' | 'SIG_REVOKED' | 'SIG_REVOCATION_UNKNOWN' | 'SIG_NOT_SIGNER'

export interface SignatureCheck {
  ok: boolean
  code: SignatureCode
  message: string
  signer?: { subject: string, fingerprint: string, notBefore: string, notAfter: string }
  signingTime?: string
  /** `good`: the authority's current revocation list does not name the certificate; `unchecked`: no list is held. */
  revocation?: 'good' | 'unchecked'
}

const SIGNING_TIME = '1.2.840.113549.1.9.5'
const KEY_USAGE = '2.5.29.15'
const EXTENDED_KEY_USAGE = '2.5.29.37'
/** Extended key usages that admit signing documents: any, e-mail protection, document signing (IETF and Microsoft). */
const SIGNING_PURPOSES = new Set(['2.5.29.37.0', '1.3.6.1.5.5.7.3.4', '1.3.6.1.5.5.7.3.36', '1.3.6.1.4.1.311.10.3.12'])

/**
 * Checks a detached CMS (CAdES-BES) signature over `content`, in this order, the first failure answering: it parses
 * as one signer's SignedData (SIG_MALFORMED); it is a signature over exactly these bytes (SIG_INVALID); the signer's
 * certificate was valid when it signed (SIG_EXPIRED); it may sign documents: key usage digitalSignature or
 * nonRepudiation, and an extended key usage for signing if it names any (SIG_KEY_USAGE); it chains to one of
 * `anchors` at the signing time (SIG_UNTRUSTED); when a revocation list of its issuer is held (`crls`), that list is
 * current (SIG_REVOCATION_UNKNOWN) and does not name it, whenever it was revoked: a CAdES-BES signing time is the
 * signer's word, not a timestamp (SIG_REVOKED); it is one of `signerFingerprints`, the certificates the acting user
 * registered (SIG_NOT_SIGNER). pkijs checks the mathematics and the chain; the rest is checked here.
 */
export async function verifySignature (input: {
  signature: Uint8Array
  content: Uint8Array
  anchors: pkijs.Certificate[]
  crls?: pkijs.CertificateRevocationList[]
  signerFingerprints: ReadonlySet<string>
  now?: Date
}): Promise<SignatureCheck> {
  let signed: pkijs.SignedData
  try {
    const info = pkijs.ContentInfo.fromBER(input.signature)
    if (info.contentType !== pkijs.ContentInfo.SIGNED_DATA) return fail('SIG_MALFORMED', 'not a CMS SignedData')
    signed = new pkijs.SignedData({ schema: info.content })
  } catch {
    return fail('SIG_MALFORMED', 'not a CMS signature (DER)')
  }
  if (signed.signerInfos.length !== 1) return fail('SIG_MALFORMED', 'a signature has exactly one signer here')
  let certificate: pkijs.Certificate | undefined
  try {
    const result = await signed.verify({ signer: 0, data: new Uint8Array(input.content).buffer, checkChain: false, extendedMode: true })
    if (!result.signatureVerified) return fail('SIG_INVALID', 'the signature does not match these bytes')
    certificate = result.signerCertificate ?? undefined
  } catch (error) {
    const code = (error as { code?: number }).code
    // pkijs: 3, 4 = no signer certificate among those carried; anything else is the bytes or the maths not holding.
    return code === 3 || code === 4 ? fail('SIG_MALFORMED', 'the signature carries no signer certificate') : fail('SIG_INVALID', 'the signature does not match these bytes')
  }
  if (certificate === undefined) return fail('SIG_MALFORMED', 'the signature carries no signer certificate')
  const der = new Uint8Array(certificate.toSchema().toBER())
  const { notBefore, notAfter } = certificate
  const signer = {
    subject: subjectOf(certificate),
    fingerprint: fingerprintOf(der),
    notBefore: notBefore.value.toISOString(),
    notAfter: notAfter.value.toISOString(),
  }
  const timeAttribute = signed.signerInfos[0]!.signedAttrs?.attributes.find((attribute) => attribute.type === SIGNING_TIME)
  const at: Date = (timeAttribute?.values[0] as { toDate?: () => Date } | undefined)?.toDate?.() ?? new Date()
  const signingTime = at.toISOString()
  const failing = (code: SignatureCode, message: string): SignatureCheck => ({ ...fail(code, message), signer, signingTime })
  if (at < certificate.notBefore.value || at > certificate.notAfter.value) return failing('SIG_EXPIRED', `the certificate was not valid at the signing time (${signingTime})`)
  const usage = certificate.extensions?.find((extension) => extension.extnID === KEY_USAGE)
  if (usage === undefined || !mayCommit(usage)) return failing('SIG_KEY_USAGE', 'the certificate may not sign documents (key usage)')
  const purposes = certificate.extensions?.find((extension) => extension.extnID === EXTENDED_KEY_USAGE)?.parsedValue as pkijs.ExtKeyUsage | undefined
  if (purposes !== undefined && !purposes.keyPurposes.some((purpose) => SIGNING_PURPOSES.has(purpose))) return failing('SIG_KEY_USAGE', 'the certificate may not sign documents (extended key usage)')
  const carried = (signed.certificates ?? []).filter((c): c is pkijs.Certificate => c instanceof pkijs.Certificate)
  const chain = await new pkijs.CertificateChainValidationEngine({ trustedCerts: input.anchors, certs: [certificate, ...carried], checkDate: at }).verify()
  if (!chain.result) return failing('SIG_UNTRUSTED', 'the certificate does not chain to an authority this unit trusts')
  const list = (input.crls ?? []).find((crl) => crl.issuer.isEqual(certificate.issuer))
  if (list !== undefined) {
    const nextUpdate = list.nextUpdate?.value
    if (nextUpdate !== undefined && nextUpdate < (input.now ?? new Date())) {
      return failing('SIG_REVOCATION_UNKNOWN', `the authority's revocation list was due for renewal on ${nextUpdate.toISOString()}: a unit administrator gives its newer one`)
    }
    if (list.isCertificateRevoked(certificate)) {
      const entry = list.revokedCertificates?.find((revoked) => revoked.userCertificate.isEqual(certificate.serialNumber))
      return failing('SIG_REVOKED', `the authority revoked the certificate${entry === undefined ? '' : ` on ${entry.revocationDate.value.toISOString()}`}`)
    }
  }
  if (!input.signerFingerprints.has(signer.fingerprint)) return failing('SIG_NOT_SIGNER', 'the certificate is not one the acting user registered')
  return { ok: true, code: 'SIG_OK', message: 'the signature holds', signer, signingTime, revocation: list === undefined ? 'unchecked' : 'good' }
}

function fail (code: SignatureCode, message: string): SignatureCheck {
  return { ok: false, code, message }
}

/** Key usage bits 0 (digitalSignature) or 1 (nonRepudiation, "contentCommitment"). */
function mayCommit (extension: pkijs.Extension): boolean {
  const bits = (extension.parsedValue as { valueBlock?: { valueHexView?: Uint8Array } } | undefined)?.valueBlock?.valueHexView
  return bits !== undefined && bits.length > 0 && (bits[0]! & 0b1100_0000) !== 0
}
