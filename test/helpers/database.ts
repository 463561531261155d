import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import pg from 'pg'
import { workerRoleName } from '../../core/db/worker-role.ts'

/** Which database this test run uses: `sqlite` (default) or `postgres` (set by test/run.ts). */
export const testDialect = process.env.NENTANG_TEST_DATABASE === 'postgres' ? 'postgres' : 'sqlite'
export const postgresAdminUrl = process.env.NENTANG_TEST_POSTGRES_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres'

export interface TestDatabase {
  url: string
  /** A folder of its own for data files (secret key, SQLite file). */
  dir: string
  drop(): Promise<void>
}

let counter = 0

/** A fresh, empty database for one test: a SQLite file in a new folder, or a new PostgreSQL database. */
export async function createTestDatabase (): Promise<TestDatabase> {
  const dir = mkdtempSync(join(tmpdir(), 'nentang-test-'))
  if (testDialect === 'sqlite') {
    return { url: `sqlite:${join(dir, 'nentang.db')}`, dir, async drop () { rmSync(dir, { recursive: true, force: true }) } }
  }
  const name = `nentang_test_${process.env.NENTANG_TEST_RUN ?? 'adhoc'}_${process.pid}_${++counter}`
  const admin = new pg.Client({ connectionString: postgresAdminUrl })
  await admin.connect()
  try {
    await admin.query(`create database ${name}`)
  } finally {
    await admin.end()
  }
  const url = new URL(postgresAdminUrl)
  url.pathname = `/${name}`
  return {
    url: url.toString(),
    dir,
    async drop () {
      rmSync(dir, { recursive: true, force: true })
      const client = new pg.Client({ connectionString: postgresAdminUrl })
      await client.connect()
      try {
        await client.query(`drop database if exists ${name} with (force)`)
        // The platform made a login role for its sandbox workers (core/db/worker-role.ts); roles outlive databases.
        await client.query(`drop role if exists ${workerRoleName(url.toString())}`)
      } finally {
        await client.end()
      }
    },
  }
}
