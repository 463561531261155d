import type { Database } from '../db/database.ts'
import type { ChangeFeed } from '../events/change-feed.ts'
import type { Principal } from '../tenancy/access.ts'

export const FACTOR_POLICY_CHANGED = 'factor-policy.changed'
const REFRESH_MS = 60_000

/**
 * Who must use a second factor: holders of NENTANG_MFA_ROLES anywhere, and holders of the roles a unit's own policy
 * lists, for grants at that unit or below it (a province may require one of its officers too). Policies are few and
 * read from memory: loaded at start, again when one changes (on every node, by the change feed) and every minute.
 */
export function createFactorPolicy (db: Database, changes: ChangeFeed, platformRoles: readonly string[]) {
  let byPath = new Map<string, readonly string[]>()
  async function refresh (): Promise<void> {
    const rows = await db.knex('tenant_security_policies as p').join('tenants as t', 't.id', 'p.tenant_id').select('t.path', 'p.mfa_roles')
    byPath = new Map(rows.map((row) => [String(row.path), JSON.parse(String(row.mfa_roles)) as string[]]))
  }
  changes.subscribe(FACTOR_POLICY_CHANGED, () => { void refresh().catch(() => undefined) })
  const timer = setInterval(() => { void refresh().catch(() => undefined) }, REFRESH_MS)
  timer.unref()

  const platformSet: ReadonlySet<string> = new Set(platformRoles)
  /** The roles that must use a second factor at the unit at `path`. */
  function requiredAt (path: string): ReadonlySet<string> {
    // No unit has a policy of its own (the usual case): the platform's roles, without building a set per call.
    if (byPath.size === 0) return platformSet
    const roles = new Set(platformRoles)
    const parts = path.split('/')
    for (let i = 1; i <= parts.length; i++) for (const role of byPath.get(parts.slice(0, i).join('/')) ?? []) roles.add(role)
    return roles
  }

  return {
    refresh,
    requiredAt,
    /** Whether this person must sign in with a second factor (and confirm it again for dangerous actions). */
    requires (principal: Pick<Principal, 'grants'>): boolean {
      return principal.grants.some((grant) => requiredAt(grant.path).has(grant.role))
    },
    close (): void {
      clearInterval(timer)
    },
  }
}

export type FactorPolicy = ReturnType<typeof createFactorPolicy>
