import { Gauge, Registry, collectDefaultMetrics, type Metric } from 'prom-client'

export interface HttpMetrics {
  readonly registry: Registry
  /** Counts a request that has started; `observe` ends it. */
  started(): void
  /** Records one finished request. `route` is the route's pattern, never the raw path (bounded cardinality). */
  observe(method: string, route: string, status: number, seconds: number): void
}

const BUCKETS = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10]

interface RouteSeries {
  labels: { method: string, route: string }
  buckets: number[]
  sum: number
  count: number
  byStatus: Map<number, number>
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

  const requests = {
    name: 'nentang_http_requests_total',
    help: 'HTTP requests by method, route and status',
    type: 'counter',
    aggregator: 'sum',
    async get () {
      const values = []
      for (const s of series.values()) {
        for (const [status, count] of s.byStatus) values.push({ labels: { ...s.labels, status: String(status) }, value: count })
      }
      return { name: this.name, help: this.help, type: this.type, aggregator: this.aggregator, values }
    },
  }
  const duration = {
    name: 'nentang_http_request_duration_seconds',
    help: 'HTTP request latency by method and route',
    type: 'histogram',
    aggregator: 'sum',
    async get () {
      const values = []
      for (const s of series.values()) {
        let cumulative = 0
        BUCKETS.forEach((le, i) => {
          cumulative += s.buckets[i]!
          values.push({ metricName: `${this.name}_bucket`, labels: { le, ...s.labels }, value: cumulative })
        })
        values.push({ metricName: `${this.name}_bucket`, labels: { le: '+Inf', ...s.labels }, value: s.count })
        values.push({ metricName: `${this.name}_sum`, labels: s.labels, value: s.sum })
        values.push({ metricName: `${this.name}_count`, labels: s.labels, value: s.count })
      }
      return { name: this.name, help: this.help, type: this.type, aggregator: this.aggregator, values }
    },
  }
  registry.registerMetric(requests as unknown as Metric)
  registry.registerMetric(duration as unknown as Metric)
  let inFlight = 0
  registry.registerMetric(new Gauge({ name: 'nentang_http_requests_in_flight', help: 'HTTP requests being served', registers: [], collect () { this.set(inFlight) } }) as unknown as Metric)

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
        s = { labels: { method, route }, buckets: BUCKETS.map(() => 0), sum: 0, count: 0, byStatus: new Map() }
        series.set(key, s)
      }
      const bucket = BUCKETS.findIndex((le) => seconds <= le)
      if (bucket >= 0) s.buckets[bucket]!++
      s.sum += seconds
      s.count++
      s.byStatus.set(status, (s.byStatus.get(status) ?? 0) + 1)
    },
  }
}
