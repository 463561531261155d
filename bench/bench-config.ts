import { randomBytes } from 'node:crypto'
import { defaults, type Config } from '../core/config.ts'

/** A node under bench: a SQLite file in `dir`, a free loopback port, two tenant workers, a password-only admin. */
export function benchConfig (dir: string, overrides: Partial<Config> = {}): Config {
  return {
    ...defaults,
    // Benchmarks measure throughput: their administrators sign in with a password alone.
    mfaRoles: [],
    port: 0,
    host: '127.0.0.1',
    databaseUrl: `sqlite:${dir}/nentang.db`,
    dataDir: dir,
    adminPassword: 'bench-admin-password',
    secretKey: randomBytes(32).toString('hex'),
    workers: 2,
    ...overrides,
  }
}
