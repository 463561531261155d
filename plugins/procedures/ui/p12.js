// Signing in the browser with a PKCS#12 file (.p12, .pfx) the user chooses: the file is opened with its password
// here, by the browser's own WebCrypto, and the key never leaves the page. Makes the detached CAdES-BES signature
// (CMS SignedData: content type, message digest, signing time, ESS signing-certificate-v2) that the platform's
// `signature.verify` and `openssl cms -verify -binary` check. Reads what OpenSSL 3 writes by default (PBES2: PBKDF2
// with HMAC-SHA-256 or -SHA-1, AES-CBC); the older 3DES and RC2 files are refused with a word on how to re-export.
// RSA keys. Runs in Node as well (its tests), which has the same WebCrypto.

const OID = {
  data: '1.2.840.113549.1.7.1',
  signedData: '1.2.840.113549.1.7.2',
  encryptedData: '1.2.840.113549.1.7.6',
  keyBag: '1.2.840.113549.1.12.10.1.1',
  shroudedKeyBag: '1.2.840.113549.1.12.10.1.2',
  certBag: '1.2.840.113549.1.12.10.1.3',
  x509Certificate: '1.2.840.113549.1.9.22.1',
  pbes2: '1.2.840.113549.1.5.13',
  pbkdf2: '1.2.840.113549.1.5.12',
  hmacSha1: '1.2.840.113549.2.7',
  hmacSha256: '1.2.840.113549.2.9',
  hmacSha384: '1.2.840.113549.2.10',
  hmacSha512: '1.2.840.113549.2.11',
  aes128cbc: '2.16.840.1.101.3.4.1.2',
  aes192cbc: '2.16.840.1.101.3.4.1.22',
  aes256cbc: '2.16.840.1.101.3.4.1.42',
  sha256: '2.16.840.1.101.3.4.2.1',
  rsaEncryption: '1.2.840.113549.1.1.1',
  contentType: '1.2.840.113549.1.9.3',
  messageDigest: '1.2.840.113549.1.9.4',
  signingTime: '1.2.840.113549.1.9.5',
  signingCertificateV2: '1.2.840.113549.1.9.16.2.47',
}
const PRF = { [OID.hmacSha1]: 'SHA-1', [OID.hmacSha256]: 'SHA-256', [OID.hmacSha384]: 'SHA-384', [OID.hmacSha512]: 'SHA-512' }
const AES = { [OID.aes128cbc]: 128, [OID.aes192cbc]: 192, [OID.aes256cbc]: 256 }

/** A failure to show the user, with a code the page words in their language. */
export class P12Error extends Error {
  constructor (code, message) {
    super(message)
    this.name = 'P12Error'
    this.code = code
  }
}

// ---- DER ----------------------------------------------------------------------------------------------------------

/**
 * One element at `offset`: tag, content bounds, children when constructed (nested 32 deep at most). DER, and the BER
 * that many tools write PKCS#12 files in: indefinite lengths, octet strings in pieces.
 */
function read (bytes, offset = 0, depth = 0) {
  if (depth > 32) throw new P12Error('P12_MALFORMED', 'nested too deep')
  if (offset + 2 > bytes.length) throw new P12Error('P12_MALFORMED', 'truncated DER')
  const tag = bytes[offset]
  const constructed = (tag & 0x20) !== 0
  let length = bytes[offset + 1]
  let start = offset + 2
  const node = { tag, start: offset, contentStart: start, bytes }
  if (length === 0x80) {
    // Indefinite: children up to the end-of-contents octets.
    if (!constructed) throw new P12Error('P12_MALFORMED', 'an indefinite length on a primitive')
    node.children = []
    let at = start
    for (;;) {
      if (at + 2 > bytes.length) throw new P12Error('P12_MALFORMED', 'no end of contents')
      if (bytes[at] === 0 && bytes[at + 1] === 0) break
      const child = read(bytes, at, depth + 1)
      node.children.push(child)
      at = child.end
    }
    node.end = at + 2
    node.content = bytes.subarray(start, at)
    node.raw = bytes.subarray(offset, node.end)
    return node
  }
  if (length & 0x80) {
    const count = length & 0x7f
    if (count > 4) throw new P12Error('P12_MALFORMED', 'an oversized length')
    length = 0
    for (let i = 0; i < count; i++) length = length * 256 + bytes[start + i]
    start += count
  }
  const end = start + length
  if (end > bytes.length) throw new P12Error('P12_MALFORMED', 'a length past the end')
  Object.assign(node, { contentStart: start, end, content: bytes.subarray(start, end), raw: bytes.subarray(offset, end) })
  if (constructed) {
    node.children = []
    for (let at = start; at < end;) {
      const child = read(bytes, at, depth + 1)
      node.children.push(child)
      at = child.end
    }
  }
  return node
}
/** An octet string's bytes, whole or in pieces (BER), or an implicitly tagged one's. */
function octetsOf (node) {
  if (node.children === undefined) return node.content
  return concat(node.children.map(octetsOf))
}
const octetString = (node) => {
  if (node.tag !== 0x04 && node.tag !== 0x24) throw new P12Error('P12_MALFORMED', 'not the structure of a PKCS#12 file')
  return node
}
const parse = (bytes) => read(bytes instanceof Uint8Array ? bytes : new Uint8Array(bytes), 0)
const child = (node, index, tag) => {
  const found = node.children?.[index]
  if (found === undefined || (tag !== undefined && found.tag !== tag)) throw new P12Error('P12_MALFORMED', 'not the structure of a PKCS#12 file')
  return found
}
function oidOf (node) {
  const bytes = node.content
  const parts = [Math.floor(bytes[0] / 40), bytes[0] % 40]
  let value = 0
  for (let i = 1; i < bytes.length; i++) {
    value = value * 128 + (bytes[i] & 0x7f)
    if ((bytes[i] & 0x80) === 0) { parts.push(value); value = 0 }
  }
  return parts.join('.')
}
const integerOf = (node) => node.content.reduce((n, byte) => n * 256 + byte, 0)

function length (n) {
  if (n < 0x80) return [n]
  const out = []
  for (let v = n; v > 0; v = Math.floor(v / 256)) out.unshift(v & 0xff)
  return [0x80 | out.length, ...out]
}
/** An element of `tag` holding `parts` (byte arrays), concatenated. */
function der (tag, ...parts) {
  const body = concat(parts)
  return concat([new Uint8Array([tag, ...length(body.length)]), body])
}
function concat (parts) {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0))
  let at = 0
  for (const part of parts) { out.set(part, at); at += part.length }
  return out
}
function oid (text) {
  const [a, b, ...rest] = text.split('.').map(Number)
  const bytes = [a * 40 + b]
  for (const value of rest) {
    const chunk = [value & 0x7f]
    for (let v = Math.floor(value / 128); v > 0; v = Math.floor(v / 128)) chunk.unshift((v & 0x7f) | 0x80)
    bytes.push(...chunk)
  }
  return der(0x06, new Uint8Array(bytes))
}
const sequence = (...parts) => der(0x30, ...parts)
const set = (...parts) => der(0x31, ...parts)
const octets = (bytes) => der(0x04, bytes)
const NULL = new Uint8Array([0x05, 0x00])
const algorithm = (name, withNull = true) => sequence(oid(name), ...(withNull ? [NULL] : []))
/** DER orders a SET OF by its members' encodings. */
const sortedSet = (members) => set(...[...members].sort(compareBytes))
function compareBytes (a, b) {
  for (let i = 0; i < Math.min(a.length, b.length); i++) if (a[i] !== b[i]) return a[i] - b[i]
  return a.length - b.length
}
function utcTime (date) {
  const pad = (n) => String(n).padStart(2, '0')
  const text = `${pad(date.getUTCFullYear() % 100)}${pad(date.getUTCMonth() + 1)}${pad(date.getUTCDate())}${pad(date.getUTCHours())}${pad(date.getUTCMinutes())}${pad(date.getUTCSeconds())}Z`
  return der(0x17, new TextEncoder().encode(text))
}

// ---- PKCS#12 ------------------------------------------------------------------------------------------------------

const subtle = () => globalThis.crypto.subtle

/** Decrypts a PBES2 EncryptedPrivateKeyInfo or EncryptedContentInfo payload. */
async function decrypt (algorithmNode, data, password) {
  const name = oidOf(child(algorithmNode, 0, 0x06))
  if (name !== OID.pbes2) throw new P12Error('P12_LEGACY', `the file is encrypted the old way (${name}): export it again with OpenSSL 3 or a current tool (AES)`)
  const params = child(algorithmNode, 1, 0x30)
  const kdf = child(params, 0, 0x30)
  const scheme = child(params, 1, 0x30)
  if (oidOf(child(kdf, 0, 0x06)) !== OID.pbkdf2) throw new P12Error('P12_UNSUPPORTED', 'a key derivation other than PBKDF2')
  const kdfParams = child(kdf, 1, 0x30)
  const salt = octetsOf(octetString(child(kdfParams, 0)))
  const iterations = integerOf(child(kdfParams, 1, 0x02))
  const prfNode = kdfParams.children.find((node) => node.tag === 0x30)
  const hash = prfNode === undefined ? 'SHA-1' : PRF[oidOf(child(prfNode, 0, 0x06))]
  const bits = AES[oidOf(child(scheme, 0, 0x06))]
  if (hash === undefined || bits === undefined) throw new P12Error('P12_UNSUPPORTED', 'an encryption other than AES-CBC with PBKDF2')
  if (!(iterations >= 1 && iterations <= 10_000_000)) throw new P12Error('P12_MALFORMED', 'an iteration count out of range')
  const iv = octetsOf(octetString(child(scheme, 1)))
  if (iv.length !== 16) throw new P12Error('P12_MALFORMED', 'an AES-CBC initialisation vector that is not 16 bytes')
  let key
  try {
    const base = await subtle().importKey('raw', new TextEncoder().encode(password), 'PBKDF2', false, ['deriveKey'])
    key = await subtle().deriveKey({ name: 'PBKDF2', salt, iterations, hash }, base, { name: 'AES-CBC', length: bits }, false, ['decrypt'])
  } catch {
    // What the parameters above let through and the browser's crypto still refuses (a damaged salt or length).
    throw new P12Error('P12_MALFORMED', 'key derivation parameters the browser cannot use')
  }
  try {
    return new Uint8Array(await subtle().decrypt({ name: 'AES-CBC', iv }, key, data))
  } catch {
    throw new P12Error('P12_PASSWORD', 'wrong password')
  }
}

/**
 * The certificate and private key (PKCS#8) in a PKCS#12 file; the first key and the certificate that goes with it.
 * Throws only P12Error: whatever else a damaged file trips on (a field of the wrong shape the checks above missed, a
 * parameter the browser's crypto refuses) is P12_MALFORMED.
 */
export async function openP12 (file, password) {
  try {
    return await openP12Strictly(file, password)
  } catch (error) {
    if (error instanceof P12Error) throw error
    throw new P12Error('P12_MALFORMED', 'the file is damaged')
  }
}

async function openP12Strictly (file, password) {
  const pfx = parse(file)
  if (pfx.tag !== 0x30) throw new P12Error('P12_MALFORMED', 'not a PKCS#12 file')
  const authSafe = child(pfx, 1, 0x30)
  if (oidOf(child(authSafe, 0, 0x06)) !== OID.data) throw new P12Error('P12_UNSUPPORTED', 'a PKCS#12 file protected by a public key')
  const safes = parse(octetsOf(octetString(child(child(authSafe, 1, 0xa0), 0))))
  const keys = []
  const certificates = []
  for (const info of safes.children) {
    const type = oidOf(child(info, 0, 0x06))
    let contents
    if (type === OID.data) contents = octetsOf(octetString(child(child(info, 1, 0xa0), 0)))
    else if (type === OID.encryptedData) {
      const encrypted = child(child(child(info, 1, 0xa0), 0, 0x30), 1, 0x30)
      const payload = encrypted.children.find((node) => node.tag === 0x80 || node.tag === 0xa0)
      if (payload === undefined) throw new P12Error('P12_MALFORMED', 'encrypted contents without data')
      contents = await decrypt(child(encrypted, 1, 0x30), octetsOf(payload), password)
    } else continue
    for (const bag of parse(contents).children) {
      const kind = oidOf(child(bag, 0, 0x06))
      const value = child(child(bag, 1, 0xa0), 0)
      if (kind === OID.keyBag) keys.push(value.raw)
      else if (kind === OID.shroudedKeyBag) keys.push(await decrypt(child(value, 0, 0x30), octetsOf(octetString(child(value, 1))), password))
      else if (kind === OID.certBag && oidOf(child(value, 0, 0x06)) === OID.x509Certificate) {
        certificates.push(new Uint8Array(octetsOf(octetString(child(child(value, 1, 0xa0), 0)))))
      }
    }
  }
  if (keys.length === 0) throw new P12Error('P12_NO_KEY', 'the file holds no private key')
  let privateKey
  try {
    privateKey = await subtle().importKey('pkcs8', keys[0], { name: 'RSASSA-PKCS1-v1_5', hash: 'SHA-256' }, false, ['sign'])
  } catch {
    throw new P12Error('P12_UNSUPPORTED', 'a key other than RSA')
  }
  // The certificate whose public key verifies what the key signs.
  const probe = new TextEncoder().encode('nentang')
  let signed
  try {
    signed = await subtle().sign('RSASSA-PKCS1-v1_5', privateKey, probe)
  } catch {
    throw new P12Error('P12_MALFORMED', 'the private key is damaged')
  }
  for (const certificate of certificates) {
    const spki = child(child(parse(certificate), 0, 0x30), certificateFields(certificate).spki).raw
    try {
      const publicKey = await subtle().importKey('spki', spki, { name: 'RSASSA-PKCS1-v1_5', hash: 'SHA-256' }, false, ['verify'])
      if (await subtle().verify('RSASSA-PKCS1-v1_5', publicKey, signed, probe)) return { certificate, privateKey }
    } catch {}
  }
  throw new P12Error('P12_NO_CERTIFICATE', 'the file holds no certificate for its key')
}

/** Where a certificate's fields sit in its TBSCertificate (the version is optional). */
function certificateFields (certificate) {
  const tbs = child(parse(certificate), 0, 0x30)
  const offset = tbs.children[0].tag === 0xa0 ? 1 : 0
  return { serial: offset, issuer: offset + 2, subject: offset + 4, spki: offset + 5, tbs }
}

/** The subject's common name, to show whose certificate was opened. */
export function commonName (certificate) {
  const { tbs, subject } = certificateFields(certificate)
  for (const rdn of tbs.children[subject].children) {
    for (const pair of rdn.children) if (oidOf(pair.children[0]) === '2.5.4.3') return new TextDecoder().decode(pair.children[1].content)
  }
  return ''
}

/**
 * A detached CAdES-BES signature of `content` (bytes, or a string signed as UTF-8) by the key and certificate of
 * `openP12`, in DER.
 */
export async function signDetached (content, { certificate, privateKey }, signingTime = new Date()) {
  const bytes = typeof content === 'string' ? new TextEncoder().encode(content) : content
  const digest = new Uint8Array(await subtle().digest('SHA-256', bytes))
  const certificateHash = new Uint8Array(await subtle().digest('SHA-256', certificate))
  const { tbs, serial, issuer } = certificateFields(certificate)
  const attributes = [
    sequence(oid(OID.contentType), set(oid(OID.data))),
    sequence(oid(OID.signingTime), set(utcTime(signingTime))),
    sequence(oid(OID.messageDigest), set(octets(digest))),
    sequence(oid(OID.signingCertificateV2), set(sequence(sequence(sequence(octets(certificateHash)))))),
  ]
  const signedAttributes = sortedSet(attributes)
  const signature = new Uint8Array(await subtle().sign('RSASSA-PKCS1-v1_5', privateKey, signedAttributes))
  const signerInfo = sequence(
    der(0x02, new Uint8Array([1])),
    sequence(tbs.children[issuer].raw, tbs.children[serial].raw),
    algorithm(OID.sha256),
    // The signed attributes as signed, retagged [0] IMPLICIT.
    concat([new Uint8Array([0xa0]), signedAttributes.subarray(1)]),
    algorithm(OID.rsaEncryption),
    octets(signature)
  )
  const signedData = sequence(
    der(0x02, new Uint8Array([1])),
    set(algorithm(OID.sha256)),
    sequence(oid(OID.data)),
    der(0xa0, certificate),
    set(signerInfo)
  )
  return sequence(oid(OID.signedData), der(0xa0, signedData))
}

/** Base64 of bytes, as the API takes a signature. */
export function base64 (bytes) {
  let text = ''
  for (let i = 0; i < bytes.length; i += 0x8000) text += String.fromCharCode(...bytes.subarray(i, i + 0x8000))
  return btoa(text)
}
