import type { Knex } from 'knex'
import { CoreError, PlatformError } from '../errors.ts'
import type { Database } from './database.ts'
import * as core0001 from './migrations/0001-core.ts'
import * as pluginStorage0002 from './migrations/0002-plugin-storage.ts'
import * as registry0003 from './migrations/0003-registry.ts'
import * as installations0004 from './migrations/0004-installations.ts'
import * as secrets0005 from './migrations/0005-installation-secrets.ts'
import * as auditNoTruncate0006 from './migrations/0006-audit-no-truncate.ts'
import * as documentScopes0007 from './migrations/0007-document-scopes.ts'
import * as pluginTimers0008 from './migrations/0008-plugin-timers.ts'
import * as eventDelivery0009 from './migrations/0009-event-delivery.ts'
import * as foldFunction0010 from './migrations/0010-fold-function.ts'
import * as signatures0011 from './migrations/0011-signatures.ts'
import * as pluginFiles0012 from './migrations/0012-plugin-files.ts'
import * as installationSettings0013 from './migrations/0013-installation-settings.ts'
import * as fasterFold0014 from './migrations/0014-faster-fold.ts'
import * as scopeIndex0015 from './migrations/0015-scope-index.ts'
import * as documentReads0016 from './migrations/0016-document-reads.ts'
import * as revocationLists0017 from './migrations/0017-revocation-lists.ts'
import * as refreshTokens0018 from './migrations/0018-refresh-tokens.ts'
import * as identity0019 from './migrations/0019-identity.ts'
import * as auditRetention0020 from './migrations/0020-audit-retention.ts'
import * as scheduledJobs0021 from './migrations/0021-scheduled-jobs.ts'
import * as platformSecret0022 from './migrations/0022-platform-secret.ts'
import * as exchange0023 from './migrations/0023-exchange.ts'
import * as servingEpoch0024 from './migrations/0024-serving-epoch.ts'

interface Migration {
  up(knex: Knex): Promise<void>
  down(knex: Knex): Promise<void>
}

/** Every migration in order. Names are permanent: they are recorded in `knex_migrations`. */
const migrations: ReadonlyArray<readonly [string, Migration]> = [
  ['0001-core', core0001],
  ['0002-plugin-storage', pluginStorage0002],
  ['0003-registry', registry0003],
  ['0004-installations', installations0004],
  ['0005-installation-secrets', secrets0005],
  ['0006-audit-no-truncate', auditNoTruncate0006],
  ['0007-document-scopes', documentScopes0007],
  ['0008-plugin-timers', pluginTimers0008],
  ['0009-event-delivery', eventDelivery0009],
  ['0010-fold-function', foldFunction0010],
  ['0011-signatures', signatures0011],
  ['0012-plugin-files', pluginFiles0012],
  ['0013-installation-settings', installationSettings0013],
  ['0014-faster-fold', fasterFold0014],
  ['0015-scope-index', scopeIndex0015],
  ['0016-document-reads', documentReads0016],
  ['0017-revocation-lists', revocationLists0017],
  ['0018-refresh-tokens', refreshTokens0018],
  ['0019-identity', identity0019],
  ['0020-audit-retention', auditRetention0020],
  ['0021-scheduled-jobs', scheduledJobs0021],
  ['0022-platform-secret', platformSecret0022],
  ['0023-exchange', exchange0023],
  ['0024-serving-epoch', servingEpoch0024],
]

const source: Knex.MigrationSource<readonly [string, Migration]> = {
  getMigrations: async () => [...migrations],
  getMigrationName: ([name]) => name,
  getMigration: async ([, migration]) => migration,
}

/**
 * Applies every pending migration; returns the names it applied. Refuses a database that a newer build migrated past
 * what this one knows (CORE_ERR_DATABASE_TOO_NEW): during a rolling upgrade the old nodes already running go on
 * serving (migrations only add), but an old node must not start again once the roll has begun.
 */
export async function migrateToLatest (db: Database): Promise<string[]> {
  const unknown = await migrationsUnknownHere(db)
  if (unknown.length > 0) {
    throw new PlatformError(CoreError.databaseTooNew, `the database was migrated by a newer nentang (${unknown.join(', ')}); this build knows ` +
      `migrations up to ${migrations.at(-1)![0]}. Start the newer build, or restore the backup taken before the upgrade (docs/deploy.md).`)
  }
  const [, applied] = await db.knex.migrate.latest({ migrationSource: source })
  return applied as string[]
}

/** Migrations recorded in the database that this build does not have, in the order they were applied. */
async function migrationsUnknownHere (db: Database): Promise<string[]> {
  if (!await db.knex.schema.hasTable('knex_migrations')) return []
  const known = new Set(migrations.map(([name]) => name))
  const applied = await db.knex('knex_migrations').orderBy('id').pluck('name') as string[]
  return applied.filter((name) => !known.has(name))
}

/** True when every migration this code knows has been applied. */
export async function migrationsDone (db: Database): Promise<boolean> {
  const last = migrations.at(-1)?.[0]
  const rows = await db.read('select name from knex_migrations where name = ?', [last])
  return rows.length === 1
}
