import type { Services } from '../services.ts'
import { disableInactive } from './sign-in-flow.ts'

/**
 * The daily sweep of accounts unused for NENTANG_INACTIVE_DAYS (Level 3: 45): each is disabled and audited
 * (`user.inactive-disabled`); a unit administrator enables it again. `now` is for tests that move the clock.
 */
export async function sweepInactiveAccounts (services: Pick<Services, 'db' | 'changes' | 'config'>, now = Date.now()): Promise<number> {
  const cutoff = new Date(now - services.config.inactiveDays * 24 * 3600_000).toISOString()
  const rows = await services.db.knex('users as u').join('tenants as t', 't.id', 'u.home_tenant_id')
    .where('u.disabled', false).whereNotNull('u.last_active_at').where('u.last_active_at', '<', cutoff)
    .select('u.id', 'u.username', 't.code').limit(10_000)
  for (const row of rows) await disableInactive(services, Number(row.id), String(row.username), String(row.code), null)
  return rows.length
}
