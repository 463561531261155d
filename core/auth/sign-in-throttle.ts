/**
 * Slows down repeated failed sign-ins. Three counts, each with its own policy: per username and
 * client address together (the first to bite: a guesser from one place), per address (one place
 * trying many usernames), and per username from anywhere (many places guessing one account, with
 * a short maximum delay so nobody can lock an account away from its owner for long). After `free`
 * failures within the window, each further attempt must wait twice as long as the last (1 s, 2 s,
 * 4 s… up to `maxDelayMs`); an attempt made too early is refused without checking the password.
 *
 * For the username (alone and with the address) an attempt counts as a failure from the moment it
 * starts, before the password is checked, and only one check per username runs at a time: 60
 * guesses at one account sent at once are one check and 59 refusals, not 60 checks that all see a
 * clean record. The address counts failures once checked, so fifty officers behind one office's
 * NAT can sign in at the same minute. State is per gateway node and bounded.
 */
export interface ThrottlePolicy {
  free: number
  maxDelayMs: number
  windowMs: number
}

export interface SignInThrottle {
  /**
   * Milliseconds the caller must still wait, or 0: then the attempt has begun, counted as a
   * failure, and `end` must follow once the password is checked.
   */
  begin(username: string, address: string, now?: number): number
  /** Ends a begun attempt; a success clears the username's failures. */
  end(username: string, address: string, succeeded: boolean): void
  /**
   * For credentials checked at once (a system's 256-bit secret, a signed assertion): the milliseconds to wait, without
   * taking the one-at-a-time turn a password check holds, so a system's concurrent token requests all go through.
   */
  waitFor(username: string, address: string, now?: number): number
  /** A failed attempt of those: counted as `end` counts one. */
  failed(username: string, address: string): void
}

interface Failures {
  count: number
  last: number
}

const MAX_KEYS = 100_000
const MINUTE = 60_000

export const defaultPolicies = {
  pair: { free: 5, maxDelayMs: 15 * MINUTE, windowMs: 15 * MINUTE },
  address: { free: 20, maxDelayMs: 15 * MINUTE, windowMs: 15 * MINUTE },
  username: { free: 50, maxDelayMs: MINUTE, windowMs: 15 * MINUTE },
}

export function createSignInThrottle (policies: { pair: ThrottlePolicy, address: ThrottlePolicy, username: ThrottlePolicy } = defaultPolicies): SignInThrottle {
  const failures = new Map<string, Failures>()
  const checking = new Set<string>()

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

  const keys = (username: string, address: string) => ({ pair: `p:${username}\u0000${address}`, address: `a:${address}`, username: `u:${username}` })

  function waitFor (username: string, address: string, now = Date.now()): number {
    const key = keys(username, address)
    return Math.max(wait(key.pair, policies.pair, now), wait(key.address, policies.address, now), wait(key.username, policies.username, now))
  }

  return {
    waitFor,
    failed (username, address) {
      const key = keys(username, address)
      const now = Date.now()
      record(key.pair, now)
      record(key.username, now)
      record(key.address, now)
    },
    begin (username, address, now = Date.now()) {
      const key = keys(username, address)
      const delay = waitFor(username, address, now)
      if (delay > 0) return delay
      if (checking.has(username)) return 1000
      checking.add(username)
      record(key.pair, now)
      record(key.username, now)
      return 0
    },
    end (username, address, succeeded) {
      checking.delete(username)
      const key = keys(username, address)
      if (!succeeded) {
        record(key.address, Date.now())
        return
      }
      failures.delete(key.pair)
      failures.delete(key.username)
    },
  }
}
