import { createHash, webcrypto } from 'node:crypto'
import * as pkijs from 'pkijs'

pkijs.setEngine('node', new pkijs.CryptoEngine({ name: 'node', crypto: webcrypto as unknown as ConstructorParameters<typeof pkijs.CryptoEngine>[0]['crypto'] }))

/** A certificate as the platform keeps it: its PEM, the SHA-256 of its DER, whom it names, until when. */
export interface CertificateFacts {
  pem: string
  der: Uint8Array
  fingerprint: string
  subject: string
  notBefore: Date
  notAfter: Date
  isAuthority: boolean
}

const NAMES: Record<string, string> = { '2.5.4.3': 'CN', '2.5.4.5': 'serialNumber', '2.5.4.10': 'O', '2.5.4.11': 'OU', '2.5.4.6': 'C', '2.5.4.7': 'L', '0.9.2342.19200300.100.1.1': 'UID' }

/** `CN=Nguyễn Văn An, serialNumber=CCCD:…`: a certificate's subject for people to read. */
export function subjectOf (certificate: pkijs.Certificate): string {
  return certificate.subject.typesAndValues.map((item) => `${NAMES[item.type] ?? item.type}=${String(item.value.valueBlock.value)}`).join(', ')
}

export const fingerprintOf = (der: Uint8Array): string => createHash('sha256').update(der).digest('hex')

/** Reads one PEM certificate; undefined when it is not one. */
export function readCertificate (pem: string): { certificate: pkijs.Certificate, facts: CertificateFacts } | undefined {
  const match = /^-----BEGIN CERTIFICATE-----\s+([A-Za-z0-9+/=\s]+?)\s*-----END CERTIFICATE-----\s*$/.exec(pem.trim())
  if (match === null) return undefined
  const der = new Uint8Array(Buffer.from(match[1]!.replace(/\s+/g, ''), 'base64'))
  let certificate: pkijs.Certificate
  try {
    certificate = pkijs.Certificate.fromBER(der)
  } catch {
    return undefined
  }
  const constraints = certificate.extensions?.find((extension) => extension.extnID === '2.5.29.19')?.parsedValue as pkijs.BasicConstraints | undefined
  return {
    certificate,
    facts: {
      pem: `-----BEGIN CERTIFICATE-----\n${Buffer.from(der).toString('base64').replace(/(.{64})/g, '$1\n').trim()}\n-----END CERTIFICATE-----\n`,
      der,
      fingerprint: fingerprintOf(der),
      subject: subjectOf(certificate),
      notBefore: certificate.notBefore.value,
      notAfter: certificate.notAfter.value,
      isAuthority: constraints?.cA === true,
    },
  }
}
