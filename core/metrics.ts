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

interface PluginSeries {
  labels: { tenant: string, plugin: string }
  /** Answers by status class: 2xx, 3xx, 4xx, 5xx. */
  classes: [number, number, number, number]
}

interface LatencySeries {
  buckets: number[]
  sum: number
  count: number
}

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
  const plugins = new Map<string, PluginSeries>()
  const pluginLatency = new Map<string, LatencySeries>()
  const pluginRequests = {
    name: 'nentang_plugin_requests_total',
    help: 'Plugin route answers by unit, plugin and status class',
    type: 'counter',
    aggregator: 'sum',
    async get () {
      const values = []
      for (const p of plugins.values()) {
        for (let i = 0; i < 4; i++) if (p.classes[i]! > 0) values.push({ labels: { ...p.labels, class: `${i + 2}xx` }, value: p.classes[i]! })
      }
      return { name: this.name, help: this.help, type: this.type, aggregator: this.aggregator, values }
    },
  }
  const pluginDuration = {
    name: 'nentang_plugin_request_duration_seconds',
    help: 'Plugin route latency by plugin (all units)',
    type: 'histogram',
    aggregator: 'sum',
    async get () {
      const values = []
      for (const [plugin, s] of pluginLatency) {
        let cumulative = 0
        BUCKETS.forEach((le, i) => {
          cumulative += s.buckets[i]!
          values.push({ metricName: `${this.name}_bucket`, labels: { le, plugin }, value: cumulative })
        })
        values.push({ metricName: `${this.name}_bucket`, labels: { le: '+Inf', plugin }, value: s.count })
        values.push({ metricName: `${this.name}_sum`, labels: { plugin }, value: s.sum })
        values.push({ metricName: `${this.name}_count`, labels: { plugin }, value: s.count })
      }
      return { name: this.name, help: this.help, type: this.type, aggregator: this.aggregator, values }
    },
  }
  for (const metric of [requests, duration, pluginRequests, pluginDuration]) registry.registerMetric(metric as unknown as Metric)
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
        s = { labels: { method, route }, buckets: BUCKETS.map(() => 0), sum: 0, count: 0, byStatus: new Map() }
        series.set(key, s)
      }
      const bucket = BUCKETS.findIndex((le) => seconds <= le)
      if (bucket >= 0) s.buckets[bucket]!++
      s.sum += seconds
      s.count++
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
      let l = pluginLatency.get(plugin)
      if (l === undefined) {
        l = { buckets: BUCKETS.map(() => 0), sum: 0, count: 0 }
        pluginLatency.set(plugin, l)
      }
      const bucket = BUCKETS.findIndex((le) => seconds <= le)
      if (bucket >= 0) l.buckets[bucket]!++
      l.sum += seconds
      l.count++
    },
    changeHeard (seconds) {
      changes.observe(Math.max(0, seconds))
    },
    jobRan (job, outcome) {
      jobs.inc({ job, outcome })
    },
  }
}
