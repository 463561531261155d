import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto'
import { deriveKey } from './secret-key.ts'

export interface SecretBox {
  /** AES-256-GCM; `context` is bound to the ciphertext, so it cannot be moved to another slot. */
  seal(plaintext: string, context: string): string
  open(sealed: string, context: string): string
}

/** Encryption at rest for secrets tenant administrators set, keyed from NENTANG_SECRET_KEY. */
export function createSecretBox (secret: string): SecretBox {
  const key = deriveKey(secret, 'secrets')
  return {
    seal (plaintext, context) {
      const iv = randomBytes(12)
      const cipher = createCipheriv('aes-256-gcm', key, iv)
      cipher.setAAD(Buffer.from(context))
      const data = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()])
      return ['v1', iv.toString('base64'), cipher.getAuthTag().toString('base64'), data.toString('base64')].join(':')
    },
    open (sealed, context) {
      const [version, iv, tag, data] = sealed.split(':')
      if (version !== 'v1' || iv === undefined || tag === undefined || data === undefined) throw new Error('not a sealed secret')
      const decipher = createDecipheriv('aes-256-gcm', key, Buffer.from(iv, 'base64'))
      decipher.setAAD(Buffer.from(context))
      decipher.setAuthTag(Buffer.from(tag, 'base64'))
      return Buffer.concat([decipher.update(Buffer.from(data, 'base64')), decipher.final()]).toString('utf8')
    },
  }
}
