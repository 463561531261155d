import { loadConfig } from '../../core/config.ts'
import { createDatabase } from '../../core/db/database.ts'
import { migrateToLatest } from '../../core/db/migrate.ts'

/** `nentang migrate`: applies pending migrations and exits. */
export async function migrateCommand (args: string[]): Promise<number> {
  const config = loadConfig(args)
  const db = createDatabase(config.databaseUrl)
  try {
    const applied = await migrateToLatest(db)
    console.log(applied.length === 0 ? 'nentang migrate: already up to date' : `nentang migrate: applied ${applied.join(', ')}`)
    return 0
  } finally {
    await db.close()
  }
}
