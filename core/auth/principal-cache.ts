import type { Database } from '../db/database.ts'
import type { ChangeFeed } from '../events/change-feed.ts'
import { loadPrincipal, type PrincipalState } from '../tenancy/grants.ts'
import { PRINCIPAL_CHANGED } from '../tenancy/principal-changed.ts'

export interface PrincipalCache {
  get(userId: number): Promise<PrincipalState | undefined>
}

const MAX_AGE_MS = 30_000
const MAX_ENTRIES = 50_000

/**
 * Users and their grants as of their last change, so an authenticated request reads nothing.
 * Every change to a user or its grants publishes `principal.changed` on the change feed when it
 * commits; every node drops that entry (its own at once, others within a notification's delay).
 * While the feed is unhealthy the cache is bypassed, and entries are re-read after 30 s regardless.
 * A per-user generation stops a read that raced a change from caching what it read.
 */
export function createPrincipalCache (db: Database, feed: ChangeFeed): PrincipalCache {
  const entries = new Map<number, { state: PrincipalState | undefined, at: number }>()
  const generations = new Map<number, number>()
  let epoch = 0

  feed.subscribe(PRINCIPAL_CHANGED, (payload) => {
    const userId = Number(payload.userId)
    entries.delete(userId)
    generations.set(userId, (generations.get(userId) ?? 0) + 1)
  })
  feed.subscribe('resync', () => {
    entries.clear()
    epoch++
  })

  return {
    async get (userId) {
      if (!feed.healthy) return loadPrincipal(db, userId)
      const cached = entries.get(userId)
      const now = Date.now()
      if (cached !== undefined && now - cached.at < MAX_AGE_MS) return cached.state
      const generation = generations.get(userId) ?? 0
      const startEpoch = epoch
      const state = await loadPrincipal(db, userId)
      if (feed.healthy && epoch === startEpoch && (generations.get(userId) ?? 0) === generation) {
        if (entries.size >= MAX_ENTRIES) entries.delete(entries.keys().next().value as number)
        entries.set(userId, { state, at: now })
      }
      return state
    },
  }
}
