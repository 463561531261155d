import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics, type Metric } from 'prom-client'

export interface HttpMetrics {
  readonly registry: Registry
  /** Counts a request that has started; `observe` ends it. */
  started(): void
  /** Records one finished request. `route` is the route's pattern, never the raw path (bounded cardinality). */
  observe(method: string, route: string, status: number, seconds: number): void
  /**
   * One answer of a plugin route, by unit and plugin: what an operator looks at to see which locality's plugin fails
   * (the series are the installations that served requests since the node started).
   */
  observePlugin(tenant: string, plugin: string, status: number, seconds: number): void
  /** A change another node announced, heard here `seconds` after it was sent (a version switched, a user disabled). */
  changeHeard(seconds: number): void
  /** A run of one of the cluster's scheduled jobs, taken by this node. */
  jobRan(job: string, outcome: 'done' | 'failed'): void
}

const BUCKETS = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10]

/** A latency histogram kept as plain numbers: one bump per request, formatted at scrape time. */
interface Latency {
  buckets: number[]
  sum: number
  count: number
}

const newLatency = (): Latency => ({ buckets: BUCKETS.map(() => 0), sum: 0, count: 0 })

function observeLatency (latency: Latency, seconds: number): void {
  let bucket = 0
  while (bucket < BUCKETS.length && seconds > BUCKETS[bucket]!) bucket++
  if (bucket < BUCKETS.length) latency.buckets[bucket]!++
  latency.sum += seconds
  latency.count++
}

interface PluginSeries {
  labels: { tenant: string, plugin: string }
  /** Answers by status class: 2xx, 3xx, 4xx, 5xx. */
  classes: [number, number, number, number]
}

interface RouteSeries extends Latency {
  labels: { method: string, route: string }
  byStatus: Map<number, number>
}

export interface Value { metricName?: string, labels: Record<string, string | number>, value: number }

/** A metric whose values are read from what the gateway keeps, when Prometheus scrapes. */
export function collected (name: string, help: string, type: 'counter' | 'histogram', values: () => Value[]): Metric {
  return { name, help, type, aggregator: 'sum', get: async () => ({ name, help, type, aggregator: 'sum', values: values() }) } as unknown as Metric
}

/** A histogram's `_bucket` (cumulative), `_sum` and `_count` values, for each labelled series. */
function histogramValues (name: string, series: Iterable<readonly [Record<string, string>, Latency]>): Value[] {
  const values: Value[] = []
  for (const [labels, latency] of series) {
    let cumulative = 0
    BUCKETS.forEach((le, i) => {
      cumulative += latency.buckets[i]!
      values.push({ metricName: `${name}_bucket`, labels: { le, ...labels }, value: cumulative })
    })
    values.push({ metricName: `${name}_bucket`, labels: { le: '+Inf', ...labels }, value: latency.count })
    values.push({ metricName: `${name}_sum`, labels, value: latency.sum })
    values.push({ metricName: `${name}_count`, labels, value: latency.count })
  }
  return values
}

/**
 * Prometheus metrics of one gateway: requests by route and status, a latency histogram, process
 * metrics. The per-request path only bumps numbers in a Map (prom-client's labelled metrics hash
 * their labels on every call); the series are formatted when /metrics is scraped.
 */
export function createHttpMetrics (): HttpMetrics {
  const registry = new Registry()
  collectDefaultMetrics({ register: registry, prefix: 'nentang_' })
  const series = new Map<string, RouteSeries>()
  const plugins = new Map<string, PluginSeries>()
  const pluginLatency = new Map<string, Latency>()
  registry.registerMetric(collected('nentang_http_requests_total', 'HTTP requests by method, route and status', 'counter',
    () => [...series.values()].flatMap((s) => [...s.byStatus].map(([status, count]) => ({ labels: { ...s.labels, status: String(status) }, value: count })))))
  registry.registerMetric(collected('nentang_http_request_duration_seconds', 'HTTP request latency by method and route', 'histogram',
    () => histogramValues('nentang_http_request_duration_seconds', [...series.values()].map((s) => [s.labels, s] as const))))
  registry.registerMetric(collected('nentang_plugin_requests_total', 'Plugin route answers by unit, plugin and status class', 'counter',
    () => [...plugins.values()].flatMap((p) => p.classes.flatMap((count, i) => count > 0 ? [{ labels: { ...p.labels, class: `${i + 2}xx` }, value: count }] : []))))
  registry.registerMetric(collected('nentang_plugin_request_duration_seconds', 'Plugin route latency by plugin (all units)', 'histogram',
    () => histogramValues('nentang_plugin_request_duration_seconds', [...pluginLatency].map(([plugin, latency]) => [{ plugin }, latency] as const))))
  let inFlight = 0
  registry.registerMetric(new Gauge({ name: 'nentang_http_requests_in_flight', help: 'HTTP requests being served', registers: [], collect () { this.set(inFlight) } }) as unknown as Metric)
  const changes = new Histogram({
    name: 'nentang_change_propagation_seconds',
    help: 'From a change on one node (a version approved or switched, a user disabled) to this node hearing it',
    buckets: [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2, 5],
    registers: [registry],
  })
  const jobs = new Counter({ name: 'nentang_scheduled_job_runs_total', help: 'Runs of the cluster\'s scheduled jobs taken by this node, by outcome', labelNames: ['job', 'outcome'], registers: [registry] })

  return {
    registry,
    started () {
      inFlight++
    },
    observe (method, route, status, seconds) {
      inFlight--
      const key = `${method} ${route}`
      let s = series.get(key)
      if (s === undefined) {
        s = { labels: { method, route }, ...newLatency(), byStatus: new Map() }
        series.set(key, s)
      }
      observeLatency(s, seconds)
      s.byStatus.set(status, (s.byStatus.get(status) ?? 0) + 1)
    },
    observePlugin (tenant, plugin, status, seconds) {
      const key = `${tenant} ${plugin}`
      let p = plugins.get(key)
      if (p === undefined) {
        p = { labels: { tenant, plugin }, classes: [0, 0, 0, 0] }
        plugins.set(key, p)
      }
      p.classes[Math.min(3, Math.max(0, Math.floor(status / 100) - 2))]!++
      let latency = pluginLatency.get(plugin)
      if (latency === undefined) {
        latency = newLatency()
        pluginLatency.set(plugin, latency)
      }
      observeLatency(latency, seconds)
    },
    changeHeard (seconds) {
      changes.observe(Math.max(0, seconds))
    },
    jobRan (job, outcome) {
      jobs.inc({ job, outcome })
    },
  }
}
