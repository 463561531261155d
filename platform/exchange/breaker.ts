export type CircuitState = 'closed' | 'open' | 'half-open'

/**
 * A circuit breaker per endpoint (per node): `failures` failures in a row open it, and calls then fail at once for
 * `openMs`; after that one trial call goes through (half-open), and its success closes the circuit, its failure opens
 * it again.
 */
export class Breaker {
  state: CircuitState = 'closed'
  private failuresInRow = 0
  private openedAt = 0
  private trial = false
  private readonly limit: { failures: number, openMs: number }

  constructor (limit: { failures: number, openMs: number }) {
    this.limit = limit
  }

  /** Whether a call may go now; in half-open, only the one trial. */
  allow (now = Date.now()): boolean {
    if (this.state === 'closed') return true
    if (this.state === 'open' && now - this.openedAt >= this.limit.openMs) this.state = 'half-open'
    if (this.state === 'half-open' && !this.trial) {
      this.trial = true
      return true
    }
    return false
  }

  /** Milliseconds until a trial call may go (0 when closed). */
  retryAfterMs (now = Date.now()): number {
    return this.state === 'closed' ? 0 : Math.max(0, this.openedAt + this.limit.openMs - now)
  }

  succeeded (): void {
    this.state = 'closed'
    this.failuresInRow = 0
    this.trial = false
  }

  failed (now = Date.now()): void {
    this.failuresInRow++
    if (this.state === 'half-open' || this.failuresInRow >= this.limit.failures) {
      this.state = 'open'
      this.openedAt = now
      this.trial = false
    }
  }
}

/** At most `perMinute` calls a minute, smoothly (a token bucket that holds a minute's worth). */
export class RateLimit {
  private tokens: number
  private at = Date.now()
  private readonly perMinute: number

  constructor (perMinute: number) {
    this.perMinute = perMinute
    this.tokens = perMinute
  }

  take (now = Date.now()): boolean {
    this.tokens = Math.min(this.perMinute, this.tokens + (now - this.at) * this.perMinute / 60_000)
    this.at = now
    if (this.tokens < 1) return false
    this.tokens--
    return true
  }
}
