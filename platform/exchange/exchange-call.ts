import { createHash } from 'node:crypto'
import { Counter, Gauge, Histogram, type Metric, type Registry } from 'prom-client'
import type { SecretBox } from '../../core/auth/secret-box.ts'
import type { Database } from '../../core/db/database.ts'
import type { ChangeFeed } from '../../core/events/change-feed.ts'
import type { Logger } from '../../core/logger.ts'
import type { GatewayCall } from '../../sandbox/protocol.ts'
import type { Asker } from '../../sandbox/supervisor.ts'
import type { ExchangeErrorCode } from '../../sandbox/errors.ts'
import { CallError } from '../call-error.ts'
import { Breaker, RateLimit, type CircuitState } from './breaker.ts'
import { createEndpoints, ENDPOINTS_CHANGED, type Endpoint } from './endpoints.ts'
import { createExchangeLog } from './exchange-log.ts'
import { AuthFailed, createOutboundAuth } from './outbound-auth.ts'
import { agentFor, send, TransportError, type Answer } from './transport.ts'

type ExchangeCall = Extract<GatewayCall, { op: 'exchange.call' }>

/** One call as it is sent: where, what, by when, with the endpoint's connection and breaker. */
interface Attempt {
  endpoint: Endpoint
  state: { agent: ReturnType<typeof agentFor> }
  method: string
  url: URL
  target: string
  headers: Record<string, string>
  body: Buffer | null
  deadline: number
  requestHash: string
}

/** How a call ended: answered, or failed with its code (and the answer, when one came). */
type Tried = { answer: Answer, attempts: number } | { code: ExchangeErrorCode, message: string, answer?: Answer, attempts: number }

/** What `exchange.call` resolves to in the plugin. */
export interface ExchangeAnswer {
  status: number
  headers: Record<string, string>
  json?: unknown
  body?: string
  correlationId: string
}

const IDEMPOTENT = new Set(['GET', 'HEAD', 'PUT', 'DELETE'])
const RETRIED_STATUSES = new Set([502, 503, 504])
const CORRELATION = /^[A-Za-z0-9._:-]{1,128}$/
const MAX_ANSWER_BYTES = 5 * 1024 * 1024
/** Headers of the answer a plugin is given; the rest (cookies, the other system's framing) stay here. */
const ANSWER_HEADERS = new Set(['content-type', 'content-language', 'content-disposition', 'etag', 'last-modified', 'location', 'retry-after', 'x-road-request-hash', 'x-correlation-id'])

export const requestHashOf = (method: string, target: string, body: Buffer | null): string =>
  createHash('sha512').update(`${method} ${target}\n`).update(body ?? Buffer.alloc(0)).digest('hex')
export const responseHashOf = (status: number, body: Buffer): string => createHash('sha512').update(`${status}\n`).update(body).digest('hex')

/** An exchange that failed, by its code (sandbox/errors.ts); the plugin sees it as an `ExchangeError`. */
function failure (code: ExchangeErrorCode, message: string): CallError {
  return new CallError('ExchangeError', `${code}: ${message}`)
}

export interface ExchangeDeps {
  db: Database
  box: SecretBox
  changes: ChangeFeed
  secret: string
  logger: Logger
  registry: Registry
}

/**
 * `exchange.call` on the gateway side (docs/exchange.md): the endpoint the installation's unit configured, its
 * credentials added here (the worker never holds them), a correlation id sent and logged, retries with backoff for
 * idempotent calls within the plugin's own time, a circuit breaker and a rate limit per endpoint, and the SHA-512 of
 * request and response appended to the unit's exchange log. An `X-Road-Request-Hash` in the answer must match.
 */
export function createExchange (deps: ExchangeDeps) {
  const endpoints = createEndpoints(deps.db, deps.box, deps.changes)
  const log = createExchangeLog(deps.db, deps.secret)
  const per = new Map<string, { version: string, breaker: Breaker, rate: RateLimit | undefined, agent: ReturnType<typeof agentFor>, endpoint: Endpoint }>()
  const metrics = registerMetrics(deps.registry, () => [...per.values()].map(({ endpoint, breaker }) => ({ endpoint, state: breaker.state })))

  deps.changes.subscribe(ENDPOINTS_CHANGED, () => {
    // A changed endpoint gets new connections (its TLS settings may have changed); breakers start again closed.
    for (const [key, kept] of per) { kept.agent.destroy(); per.delete(key) }
  })

  function stateOf (endpoint: Endpoint) {
    const key = `${endpoint.tenantId}/${endpoint.mount}/${endpoint.name}`
    let kept = per.get(key)
    if (kept === undefined || kept.version !== endpoint.version) {
      kept?.agent.destroy()
      const base = new URL(endpoint.baseUrl)
      kept = {
        version: endpoint.version,
        breaker: new Breaker(endpoint.breaker),
        rate: endpoint.ratePerMinute === null ? undefined : new RateLimit(endpoint.ratePerMinute),
        agent: agentFor(base, {
          ...(endpoint.ca === null ? {} : { ca: endpoint.ca }),
          ...(endpoint.auth.kind === 'mtls' ? { cert: endpoint.auth.options.certificate!, key: endpoint.auth.secrets.key! } : {}),
        }),
        endpoint,
      }
      per.set(key, kept)
    }
    return kept
  }

  const auth = createOutboundAuth((endpoint, url, headers, body, deadline) =>
    send(url, { method: 'POST', headers, body, deadline, maxBytes: 64 * 1024, allowPrivate: endpoint.allowPrivate, agent: stateOf(endpoint).agent }))

  async function call (request: ExchangeCall, asker: Asker): Promise<ExchangeAnswer> {
    const { spec } = asker
    if (!(spec.permissions.exchange ?? []).includes(request.endpoint)) throw new CallError('PermissionDenied', `the manifest does not name the endpoint '${request.endpoint}'`)
    const endpoint = await endpoints.resolve(spec, request.endpoint)
    if (endpoint === undefined) throw failure('EXCH_ERR_NOT_CONFIGURED', `'${spec.tenant}' has not configured the endpoint '${request.endpoint}' for '${spec.mount}'`)
    const inbound = asker.request.headers['x-correlation-id']
    const correlationId = inbound !== undefined && CORRELATION.test(inbound) ? inbound : asker.requestId
    const url = new URL(endpoint.baseUrl + request.path)
    for (const [name, value] of Object.entries(request.query)) for (const one of Array.isArray(value) ? value : [value]) url.searchParams.append(name, one)
    const target = url.pathname + url.search
    const body = request.body === null ? null : Buffer.from(request.body, 'utf8')
    const started = Date.now()
    const record = {
      tenantId: spec.tenantId,
      mount: spec.mount,
      plugin: spec.name,
      endpoint: endpoint.name,
      method: request.method,
      target,
      correlationId,
      requestId: asker.requestId,
      requestHash: requestHashOf(request.method, target, body),
      requestBody: endpoint.logBodies && body !== null ? body.toString('utf8') : null,
    }
    let attempts = 0
    const finish = async (outcome: 'ok' | ExchangeErrorCode, answer?: Answer): Promise<void> => {
      const durationMs = Date.now() - started
      metrics.calls.inc({ tenant: spec.tenant, endpoint: endpoint.name, outcome: outcome === 'ok' ? (answer !== undefined && answer.status >= 500 ? 'upstream-error' : 'ok') : outcome })
      metrics.duration.observe({ endpoint: endpoint.name }, durationMs / 1000)
      await log.append({
        ...record,
        status: answer?.status ?? null,
        outcome,
        durationMs,
        attempts,
        responseHash: answer === undefined ? null : responseHashOf(answer.status, answer.body),
        responseBody: endpoint.logBodies && answer !== undefined ? answer.body.toString('utf8').slice(0, 1_000_000) : null,
      })
    }
    const fail = async (code: ExchangeErrorCode, message: string, answer?: Answer): Promise<never> => {
      await finish(code, answer)
      throw failure(code, message)
    }

    const state = stateOf(endpoint)
    if (state.rate !== undefined && !state.rate.take()) return fail('EXCH_ERR_RATE_LIMITED', `more than ${endpoint.ratePerMinute} calls a minute to '${endpoint.name}'`)
    if (!state.breaker.allow()) {
      return fail('EXCH_ERR_CIRCUIT_OPEN', `'${endpoint.name}' failed ${endpoint.breaker.failures} times in a row; calls resume in ${Math.ceil(state.breaker.retryAfterMs() / 1000)} s`)
    }
    // Within the plugin's own time: the endpoint's limit, cut to the plugin's less a margin to answer in.
    const deadline = started + Math.max(50, Math.min(endpoint.timeoutMs, spec.limits.timeoutMs - 100))
    const headers = {
      ...request.headers,
      ...(request.json ? { 'content-type': 'application/json; charset=utf-8' } : {}),
      accept: request.headers.accept ?? 'application/json',
      'x-correlation-id': correlationId,
    }
    const tried = await tryUntilAnswered({ endpoint, state, method: request.method, url, target, headers, body, deadline, requestHash: record.requestHash })
    attempts = tried.attempts
    const upstreamFailed = 'code' in tried ? tried.code !== 'EXCH_ERR_RESPONSE_TOO_LARGE' : tried.answer.status >= 500
    if (upstreamFailed) state.breaker.failed()
    else state.breaker.succeeded()
    if ('code' in tried) return fail(tried.code, `'${endpoint.name}': ${tried.message}`, tried.answer)
    await finish('ok', tried.answer)
    return answerOf(tried.answer, correlationId)
  }

  /**
   * Sends a call until it is answered: again after no answer or a 502/503/504 while `retries` allow (idempotent calls
   * only) and time is left, and once more with fresh credentials after a 401 (a token or session that lapsed early:
   * the call was refused, not done). An answer bound to another request (`X-Road-Request-Hash`) is a failure.
   */
  async function tryUntilAnswered (call: Attempt): Promise<Tried> {
    const { endpoint, state } = call
    const retries = IDEMPOTENT.has(call.method) ? endpoint.retries : 0
    let renewed = false
    for (let attempts = 1; ; attempts++) {
      let answer: Answer
      try {
        const headers = { ...call.headers, ...await auth.headers(endpoint, call.method, call.target, call.body ?? Buffer.alloc(0), call.deadline) }
        const { method, body, deadline } = call
        answer = await send(call.url, { method, headers, body, deadline, maxBytes: MAX_ANSWER_BYTES, allowPrivate: endpoint.allowPrivate, agent: state.agent })
      } catch (error) {
        if (error instanceof AuthFailed) return { code: 'EXCH_ERR_AUTH_FAILED', message: error.message, attempts }
        if (!(error instanceof TransportError)) throw error
        if (error.reason === 'too-large') return { code: 'EXCH_ERR_RESPONSE_TOO_LARGE', message: error.message, attempts }
        if (attempts <= retries && await backoff(attempts, call.deadline)) continue
        return { code: error.reason === 'timeout' ? 'EXCH_ERR_TIMEOUT' : 'EXCH_ERR_UNREACHABLE', message: error.message, attempts }
      }
      if (answer.status === 401 && auth.renewable(endpoint) && !renewed) {
        renewed = true
        auth.forget(endpoint)
        continue
      }
      if (RETRIED_STATUSES.has(answer.status) && attempts <= retries && await backoff(attempts, call.deadline)) continue
      const bound = answer.headers['x-road-request-hash']
      if (bound !== undefined && bound !== Buffer.from(call.requestHash, 'hex').toString('base64')) {
        return { code: 'EXCH_ERR_HASH_MISMATCH', message: 'answered with the hash of another request', answer, attempts }
      }
      return { answer, attempts }
    }
  }

  return {
    endpoints,
    log,
    call,
    /** Each endpoint this node has called, with its circuit's state (platform status). */
    circuits: (): Array<{ tenantId: number, mount: string, endpoint: string, state: CircuitState, retryAfterMs: number }> =>
      [...per.values()].map(({ endpoint, breaker }) => ({
        tenantId: endpoint.tenantId, mount: endpoint.mount, endpoint: endpoint.name, state: breaker.state, retryAfterMs: breaker.retryAfterMs(),
      })),
    close (): void {
      for (const kept of per.values()) kept.agent.destroy()
      per.clear()
    },
  }
}

export type Exchange = ReturnType<typeof createExchange>

/** Waits before the next try (100 ms, 200 ms, 400 ms…, with jitter); false when the deadline would pass first. */
async function backoff (attempt: number, deadline: number): Promise<boolean> {
  const wait = Math.min(2000, 100 * 2 ** (attempt - 1)) * (0.5 + Math.random() / 2)
  if (Date.now() + wait + 20 >= deadline) return false
  await new Promise((resolve) => setTimeout(resolve, wait))
  return true
}

function answerOf (answer: Answer, correlationId: string): ExchangeAnswer {
  const headers: Record<string, string> = {}
  for (const [name, value] of Object.entries(answer.headers)) if (ANSWER_HEADERS.has(name)) headers[name] = value
  const text = answer.body.toString('utf8')
  if (/^application\/([a-z.+-]*\+)?json\b/i.test(answer.headers['content-type'] ?? '')) {
    try {
      return { status: answer.status, headers, json: JSON.parse(text), correlationId }
    } catch {
      // Said to be JSON and is not: the plugin gets the text.
    }
  }
  return { status: answer.status, headers, body: text, correlationId }
}

function registerMetrics (registry: Registry, circuits: () => Array<{ endpoint: Endpoint, state: CircuitState }>) {
  const calls = new Counter({
    name: 'nentang_exchange_calls_total',
    help: 'Calls to other systems, by unit, endpoint and outcome (ok, upstream-error for a 5xx answer, or the EXCH_ERR_ code)',
    labelNames: ['tenant', 'endpoint', 'outcome'],
    registers: [registry],
  })
  const duration = new Histogram({
    name: 'nentang_exchange_call_seconds',
    help: 'How long calls to other systems took, retries included',
    labelNames: ['endpoint'],
    buckets: [0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
    registers: [registry],
  })
  registry.registerMetric(new Gauge({
    name: 'nentang_exchange_circuit_open',
    help: 'Endpoints whose circuit is open (1) or half-open (0.5) on this node',
    labelNames: ['tenant_id', 'mount', 'endpoint'],
    registers: [],
    collect () {
      this.reset()
      for (const { endpoint, state } of circuits()) this.set({ tenant_id: String(endpoint.tenantId), mount: endpoint.mount, endpoint: endpoint.name }, state === 'open' ? 1 : state === 'half-open' ? 0.5 : 0)
    },
  }) as unknown as Metric)
  return { calls, duration }
}
