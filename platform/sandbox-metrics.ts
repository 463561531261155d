import { Gauge, type Metric, type Registry } from 'prom-client'
import { collected } from '../core/metrics.ts'
import type { Supervisor } from '../sandbox/supervisor.ts'

/**
 * The sandbox's side of /metrics: worker restarts by tier, and the isolates each tier holds with the memory of its
 * workers, asked of the workers when Prometheus scrapes (one round of messages per scrape, shared by both gauges).
 */
export function registerSandboxMetrics (registry: Registry, supervisor: Pick<Supervisor, 'stats' | 'restartCounts'>): void {
  let asked: { at: number, stats: ReturnType<Supervisor['stats']> } | undefined
  const stats = (): ReturnType<Supervisor['stats']> => {
    if (asked === undefined || Date.now() - asked.at > 1000) asked = { at: Date.now(), stats: supervisor.stats() }
    return asked.stats
  }
  const byTier = async (pick: (s: Awaited<ReturnType<Supervisor['stats']>>[number]) => number): Promise<Map<string, number>> => {
    const sums = new Map<string, number>()
    for (const worker of await stats()) sums.set(worker.tier, (sums.get(worker.tier) ?? 0) + pick(worker))
    return sums
  }
  registry.registerMetric(collected('nentang_sandbox_worker_restarts_total', 'Sandbox worker processes that died and were restarted, by tier', 'counter',
    () => Object.entries(supervisor.restartCounts()).map(([tier, value]) => ({ labels: { tier }, value }))))
  registry.registerMetric(new Gauge({
    name: 'nentang_sandbox_isolates',
    help: 'Plugin isolates held by the sandbox workers, by tier',
    labelNames: ['tier'],
    registers: [],
    async collect () {
      this.reset()
      for (const [tier, value] of await byTier((s) => s.isolates)) this.set({ tier }, value)
    },
  }) as unknown as Metric)
  registry.registerMetric(new Gauge({
    name: 'nentang_sandbox_worker_resident_memory_bytes',
    help: 'Resident memory of the sandbox worker processes, by tier',
    labelNames: ['tier'],
    registers: [],
    async collect () {
      this.reset()
      for (const [tier, value] of await byTier((s) => s.rss)) this.set({ tier }, value)
    },
  }) as unknown as Metric)
}
