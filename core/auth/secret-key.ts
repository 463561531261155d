import { createHash, randomBytes } from 'node:crypto'
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'

/**
 * The platform secret (NENTANG_SECRET_KEY): from configuration, else from `<dataDir>/secret.key`,
 * else generated there once (mode 0600). Several gateway nodes must be given the same key.
 */
export function loadSecretKey (configured: string | undefined, dataDir: string): string {
  if (configured !== undefined) return configured
  const file = join(dataDir, 'secret.key')
  try {
    return readFileSync(file, 'utf8').trim()
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error
  }
  mkdirSync(dataDir, { recursive: true })
  const key = randomBytes(32).toString('base64url')
  writeFileSync(file, key + '\n', { mode: 0o600, flag: 'wx' })
  return key
}

/** A 32-byte key for one purpose (`jwt`, `secrets`…), so no two uses share key material. */
export function deriveKey (secret: string, purpose: string): Uint8Array {
  return new Uint8Array(createHash('sha256').update(`nentang:${purpose}:`).update(secret).digest())
}
