/**
 * Slows down repeated failed sign-ins, per username and per client address. After `free` failures
 * within the window, each further attempt must wait twice as long as the last (1 s, 2 s, 4 s…
 * up to `maxDelayMs`); an attempt made too early is refused without checking the password.
 * State is per gateway node and bounded in size.
 */
export interface ThrottlePolicy {
  free: number
  maxDelayMs: number
  windowMs: number
}

export interface SignInThrottle {
  /** Milliseconds the caller must still wait, or 0. */
  retryAfter(username: string, address: string, now?: number): number
  failed(username: string, address: string, now?: number): void
  succeeded(username: string, address: string): void
}

interface Failures {
  count: number
  last: number
}

const MAX_KEYS = 100_000

export function createSignInThrottle (
  perUsername: ThrottlePolicy = { free: 5, maxDelayMs: 15 * 60_000, windowMs: 15 * 60_000 },
  perAddress: ThrottlePolicy = { free: 20, maxDelayMs: 15 * 60_000, windowMs: 15 * 60_000 },
): SignInThrottle {
  const failures = new Map<string, Failures>()

  function wait (key: string, policy: ThrottlePolicy, now: number): number {
    const entry = failures.get(key)
    if (entry === undefined) return 0
    if (now - entry.last > policy.windowMs) {
      failures.delete(key)
      return 0
    }
    if (entry.count < policy.free) return 0
    const delay = Math.min(policy.maxDelayMs, 1000 * 2 ** (entry.count - policy.free))
    return Math.max(0, entry.last + delay - now)
  }

  function record (key: string, now: number): void {
    const entry = failures.get(key)
    if (entry !== undefined) {
      entry.count++
      entry.last = now
      return
    }
    if (failures.size >= MAX_KEYS) failures.delete(failures.keys().next().value as string)
    failures.set(key, { count: 1, last: now })
  }

  return {
    retryAfter (username, address, now = Date.now()) {
      return Math.max(wait(`u:${username}`, perUsername, now), wait(`a:${address}`, perAddress, now))
    },
    failed (username, address, now = Date.now()) {
      record(`u:${username}`, now)
      record(`a:${address}`, now)
    },
    succeeded (username) {
      failures.delete(`u:${username}`)
    },
  }
}
