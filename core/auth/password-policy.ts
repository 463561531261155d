import { readFileSync } from 'node:fs'
import type { Knex } from 'knex'
import type { Database } from '../db/database.ts'
import { CoreError } from '../errors.ts'
import { verifyPassword } from './passwords.ts'

let common: Set<string> | undefined
/** The bundled common and breached passwords (`common-passwords.txt`), read once. */
function commonPasswords (): Set<string> {
  common ??= new Set(readFileSync(new URL('./common-passwords.txt', import.meta.url), 'utf8').split('\n').filter((line) => line !== '' && !line.startsWith('#')))
  return common
}

const reject = (en: string, vi: string, field: string) => CoreError.passwordRejected(en, { field, errors: [{ field, message: en, vi }] })

/**
 * Whether a new password may be used (OWASP ASVS V6.2, NIST SP 800-63B §3.1.1.2): not one of the common or breached
 * passwords, not the username, and not one of the user's last `history` passwords. The length is the schema's (10–256).
 */
export async function assertPasswordAllowed (
  db: Database, input: { username: string, password: string, userId?: number | undefined }, history: number, field = 'password'
): Promise<void> {
  const folded = input.password.normalize('NFC').toLowerCase()
  if (commonPasswords().has(folded)) {
    throw reject('the password is one of the most common (found in leaked password lists); choose a longer, unusual passphrase',
      'mật khẩu này nằm trong danh sách mật khẩu phổ biến (đã bị lộ); hãy chọn một cụm từ dài và khó đoán hơn', field)
  }
  if (folded === input.username.toLowerCase()) throw reject('the password must not be the username', 'mật khẩu không được trùng tên đăng nhập', field)
  if (input.userId === undefined || history === 0) return
  const [current] = await db.read('select password_hash from users where id = ?', [input.userId])
  const earlier = await db.knex('password_history').where({ user_id: input.userId }).orderBy('id', 'desc').limit(history).select('password_hash')
  const hashes = [...(current === undefined ? [] : [String(current.password_hash)]), ...earlier.map((row) => String(row.password_hash))].slice(0, history)
  for (const hash of hashes) {
    if (await verifyPassword(input.password, hash)) {
      throw reject(`the password was used before: it must differ from the last ${history}`, `mật khẩu này đã được dùng trước đây: phải khác ${history} mật khẩu gần nhất`, field)
    }
  }
}

/** Keeps a password's hash in the user's history (the newest `keep` stay). */
export async function rememberPassword (trx: Knex.Transaction, userId: number, hash: string, keep = 24): Promise<void> {
  await trx('password_history').insert({ user_id: userId, password_hash: hash, created_at: new Date().toISOString() })
  const old = await trx('password_history').where({ user_id: userId }).orderBy('id', 'desc').offset(keep).limit(1000).select('id')
  if (old.length > 0) await trx('password_history').whereIn('id', old.map((row) => row.id)).delete()
}
