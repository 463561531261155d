import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client'

export interface HttpMetrics {
  readonly registry: Registry
  /** Records one finished request. `route` is the route's pattern, never the raw path (bounded cardinality). */
  observe(method: string, route: string, status: number, seconds: number): void
  readonly inFlight: Gauge
}

/** Prometheus metrics of one gateway: requests by route and status, a latency histogram, process metrics. */
export function createHttpMetrics (): HttpMetrics {
  const registry = new Registry()
  collectDefaultMetrics({ register: registry, prefix: 'nentang_' })
  const requests = new Counter({
    name: 'nentang_http_requests_total',
    help: 'HTTP requests by method, route and status',
    labelNames: ['method', 'route', 'status'] as const,
    registers: [registry],
  })
  const duration = new Histogram({
    name: 'nentang_http_request_duration_seconds',
    help: 'HTTP request latency by method and route',
    labelNames: ['method', 'route'] as const,
    buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
    registers: [registry],
  })
  const inFlight = new Gauge({
    name: 'nentang_http_requests_in_flight',
    help: 'HTTP requests being served',
    registers: [registry],
  })
  return {
    registry,
    inFlight,
    observe (method, route, status, seconds) {
      requests.labels(method, route, String(status)).inc()
      duration.labels(method, route).observe(seconds)
    },
  }
}
