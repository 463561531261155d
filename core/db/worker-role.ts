import { createHash } from 'node:crypto'
import { deriveKey } from '../auth/secret-key.ts'
import type { Logger } from '../logger.ts'
import type { Database } from './database.ts'

/** The role sandbox workers log in as on the PostgreSQL database behind `url` (one per database). */
export function workerRoleName (url: string): string {
  const database = decodeURIComponent(new URL(url).pathname.slice(1))
  return `nentang_worker_${createHash('sha256').update(database).digest('hex').slice(0, 16)}`
}

/**
 * What sandbox workers connect with. On PostgreSQL, a login role of their own that reaches the
 * plugin tables only: documents through `nentang_sandbox` (row-level security by tenant, set per
 * transaction), the event outbox and plugin timers for inserts. Users, grants, the audit log, the registry and
 * secrets are out of its reach, so code that escaped an isolate in a worker still cannot read or
 * change them. Its password is derived from the platform secret. Without the right to create
 * roles, the gateway's URL is used and a warning says so. SQLite: the same file, as before.
 */
export async function workerDatabaseUrl (db: Database, url: string, secret: string, logger: Logger): Promise<string> {
  if (db.dialect !== 'postgres') return url
  const role = workerRoleName(url)
  const password = Buffer.from(deriveKey(secret, 'worker-database')).toString('hex')
  const database = decodeURIComponent(new URL(url).pathname.slice(1))
  try {
    await tolerateRace(() => db.knex.raw(`do $$ begin if not exists (select from pg_roles where rolname = '${role}') then create role ${role} login; end if; end $$`))
    await tolerateRace(() => db.knex.raw(`alter role ${role} login password '${password}'`))
    await db.knex.raw(`grant nentang_sandbox to ${role}`)
    await db.knex.raw(`grant connect on database "${database.replace(/"/g, '""')}" to ${role}`)
    await db.knex.raw(`grant insert on plugin_events to ${role}`)
    await db.knex.raw(`grant usage on sequence plugin_events_id_seq to ${role}`)
    // Timers: set and counted by the worker (sandbox/worker/host/timers.ts), never read back or changed by it.
    await db.knex.raw(`grant insert on plugin_timers to ${role}`)
    await db.knex.raw(`grant select (tenant_id, mount, plugin) on plugin_timers to ${role}`)
    await db.knex.raw(`grant usage on sequence plugin_timers_id_seq to ${role}`)
  } catch (error) {
    logger.warn({ err: error }, `sandbox workers use the gateway's database role: creating role ${role} failed (grant CREATEROLE, or create it as in docs/operations.md)`)
    return url
  }
  const parsed = new URL(url)
  parsed.username = role
  parsed.password = password
  return parsed.toString()
}

/** Two nodes starting at once create or alter the same role: the loser's error is no failure. */
async function tolerateRace (statement: () => Promise<unknown>): Promise<void> {
  for (let attempt = 0; ; attempt++) {
    try {
      await statement()
      return
    } catch (error) {
      const code = (error as { code?: string }).code
      if (code === '42710' || code === '23505') return
      if (code !== 'XX000' || attempt >= 3) throw error
    }
  }
}
