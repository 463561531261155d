import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto'
import type { Database } from '../db/database.ts'
import { CoreError, PlatformError } from '../errors.ts'
import { deriveKey } from './secret-key.ts'

const AAD = Buffer.from('nentang-platform-secret-v1')

function wrap (secret: string, master: string): string {
  const iv = randomBytes(12)
  const cipher = createCipheriv('aes-256-gcm', deriveKey(master, 'key-encryption'), iv)
  cipher.setAAD(AAD)
  const data = Buffer.concat([cipher.update(secret, 'utf8'), cipher.final()])
  return ['v1', iv.toString('base64'), cipher.getAuthTag().toString('base64'), data.toString('base64')].join(':')
}

function unwrap (wrapped: string, master: string): string | undefined {
  const [version, iv, tag, data] = wrapped.split(':')
  if (version !== 'v1' || iv === undefined || tag === undefined || data === undefined) return undefined
  try {
    const decipher = createDecipheriv('aes-256-gcm', deriveKey(master, 'key-encryption'), Buffer.from(iv, 'base64'))
    decipher.setAAD(AAD)
    decipher.setAuthTag(Buffer.from(tag, 'base64'))
    return Buffer.concat([decipher.update(Buffer.from(data, 'base64')), decipher.final()]).toString('utf8')
  } catch {
    return undefined
  }
}

const mismatch = (): PlatformError => new PlatformError(CoreError.config, 'NENTANG_SECRET_KEY does not open this database\'s platform secret: ' +
  'it was rotated (`nentang rotate-secret`; start with the new key), or the database is another platform\'s')

/**
 * The platform secret every key derives from, opened with NENTANG_SECRET_KEY (`master`). A database that has none yet
 * (a new platform, or one from before rotation existed) takes `master` itself as its platform secret, wrapped, so every
 * key stays what it was. A master that does not open it is refused (CORE_ERR_CONFIG).
 */
export async function openPlatformSecret (db: Database, master: string, options: { readOnly?: boolean } = {}): Promise<string> {
  if (options.readOnly === true && !await db.knex.schema.hasTable('platform_secret')) return master
  const [row] = await db.read<{ wrapped: string }>('select wrapped from platform_secret where id = 1')
  if (row === undefined) {
    // Reading only (`audit verify`): nothing is written, and the secret is the key itself until a node has started.
    if (options.readOnly === true) return master
    await db.knex('platform_secret').insert({ id: 1, wrapped: wrap(master, master), created_at: new Date().toISOString() }).onConflict('id').ignore()
    return openPlatformSecret(db, master)
  }
  return unwrap(String(row.wrapped), master) ?? (() => { throw mismatch() })()
}

/**
 * Wraps the platform secret with `next` instead of `current` (NENTANG_SECRET_KEY rotation): tokens, refresh tokens,
 * sealed secrets, the audit chain and registry signatures stay valid, nobody is signed out. Nodes already running keep
 * the secret they opened; a node started afterwards needs `next`.
 */
export async function rotateMasterKey (db: Database, current: string, next: string): Promise<string> {
  const secret = await openPlatformSecret(db, current)
  const changed = await db.knex('platform_secret').where({ id: 1 }).update({ wrapped: wrap(secret, next), rotated_at: new Date().toISOString() })
  if (changed !== 1) throw new Error('the platform secret could not be wrapped again')
  return secret
}
