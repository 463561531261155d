/**
 * Files that must never travel in a plugin package: a platform's data (its SQLite database and journals, the secret
 * key `nentang dev` writes), private keys, certificate stores and environment files. Named by what they are, by name
 * or by their first bytes, whatever they are called.
 */
const NAMES = /(^|\/)(secret\.key|\.env(\..*)?|id_(rsa|ed25519|ecdsa))$|\.(db|sqlite|sqlite3|db-wal|db-shm|db-journal|key|p12|pfx|jks|keystore)$/i
const SQLITE = Buffer.from('SQLite format 3\0')
const PRIVATE_KEY = /-----BEGIN (?:RSA |EC |DSA |ENCRYPTED |OPENSSH )?PRIVATE KEY-----/

/** Why `path` looks like a secret or a database, or undefined when it does not. */
export function secretLike (path: string, bytes: Buffer): string | undefined {
  if (NAMES.test(path)) return 'its name is that of a key, a certificate store, an environment file or a database'
  if (bytes.subarray(0, SQLITE.length).equals(SQLITE)) return 'it is an SQLite database'
  if (PRIVATE_KEY.test(bytes.subarray(0, 64 * 1024).toString('latin1'))) return 'it holds a private key'
  return undefined
}
