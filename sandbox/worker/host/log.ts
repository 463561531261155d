import type { RunningRequest } from '../plugin-isolate.ts'
import type { PluginSpec } from '../../protocol.ts'

// A plugin may write 20 log lines a second, in bursts of 100; the rest are dropped and counted.
const LOG_LINES_PER_SECOND = 20
const LOG_BURST = 100

/** A token bucket per key; reports how many it refused once the key has tokens again. */
function createRateLimit (perSecond: number, burst: number, onDropped: (key: string, dropped: number) => void) {
  const buckets = new Map<string, { tokens: number, at: number, dropped: number }>()
  return {
    take (key: string): boolean {
      const now = Date.now()
      const bucket = buckets.get(key) ?? { tokens: burst, at: now, dropped: 0 }
      bucket.tokens = Math.min(burst, bucket.tokens + (now - bucket.at) * perSecond / 1000)
      bucket.at = now
      buckets.set(key, bucket)
      if (bucket.tokens < 1) {
        bucket.dropped++
        return false
      }
      bucket.tokens--
      if (bucket.dropped > 0) {
        onDropped(key, bucket.dropped)
        bucket.dropped = 0
      }
      return true
    },
  }
}

type Sink = (level: 'info' | 'warn' | 'error', fields: Record<string, unknown>, msg: string) => void

/**
 * `log.info|warn|error(...)`: one line in the platform's log, tagged with tenant, plugin, version
 * and request id, and rate-limited per installation so a chatty plugin cannot flood the log.
 */
export function createPluginLog (sink: Sink) {
  const allowance = createRateLimit(LOG_LINES_PER_SECOND, LOG_BURST, (key, dropped) => {
    sink('warn', { installation: key, dropped }, 'plugin log lines dropped: over the rate limit')
  })
  return function pluginLog (spec: PluginSpec, request: RunningRequest | undefined, level: string, text: string): void {
    if (!allowance.take(spec.key)) return
    sink(level === 'warn' || level === 'error' ? level : 'info', { tenant: spec.tenant, plugin: spec.name, version: spec.version, requestId: request?.requestId ?? null, source: 'plugin' }, text)
  }
}
