import { createPrivateKey, createPublicKey, sign, verify, type KeyObject } from 'node:crypto'
import { deriveKey } from '../core/auth/secret-key.ts'

// PKCS#8 DER prefix of an Ed25519 private key, followed by its 32-byte seed (RFC 8410).
const ED25519_PKCS8_PREFIX = Buffer.from('302e020100300506032b657004220420', 'hex')

export interface RegistrySigner {
  /** Signs an approved entry: its name, version and the SHA-256 of its bytes. */
  sign(name: string, version: string, sha256: string): string
  verify(name: string, version: string, sha256: string, signature: string): boolean
  publicKeyPem: string
}

const message = (name: string, version: string, sha256: string): Buffer => Buffer.from(`nentang-registry-v1\n${name}\n${version}\n${sha256}`)

/**
 * The platform key that signs approved registry entries (Ed25519), derived from the platform
 * secret so every node holds the same key without another file to distribute.
 */
export function createRegistrySigner (secret: string): RegistrySigner {
  const seed = Buffer.from(deriveKey(secret, 'registry-signing'))
  const privateKey: KeyObject = createPrivateKey({ key: Buffer.concat([ED25519_PKCS8_PREFIX, seed]), format: 'der', type: 'pkcs8' })
  const publicKey = createPublicKey(privateKey)
  return {
    sign: (name, version, sha256) => sign(null, message(name, version, sha256), privateKey).toString('base64'),
    verify (name, version, sha256, signature) {
      try {
        return verify(null, message(name, version, sha256), publicKey, Buffer.from(signature, 'base64'))
      } catch {
        return false
      }
    },
    publicKeyPem: publicKey.export({ type: 'spki', format: 'pem' }).toString(),
  }
}
