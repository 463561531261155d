import { startSimulator, type Simulator } from '../../examples/lgsp-simulator/simulator.ts'
import { captureLog } from './log-capture.ts'
import { startPluginPlatform, type PluginPlatform } from './plugins.ts'
import { publishFixture } from './registry.ts'

interface ExchangeOptions {
  /** Call the route that lets an exchange failure through. */
  raw?: boolean
  headers?: Record<string, string>
}

export interface ExchangePlatform extends PluginPlatform {
  sim: Simulator
  /** Every line the platform logged, as text. */
  lines: string[]
  /** Sets `name` for the exchanger at hn (mount `x`) as the platform-admin; fails loudly unless 200 or 201. */
  endpoint(name: string, body: Record<string, unknown>): Promise<void>
  /** Calls the exchanger's `call` route for `endpoint` with the exchange request `request`. */
  exchange(endpoint: string, request?: Record<string, unknown>, options?: ExchangeOptions): Promise<{ status: number, body: any }>
}

/** A platform with the exchanger published, approved and installed at hn (mount `x`), and the LGSP simulator. */
export async function startExchangePlatform (t: { teardown(fn: () => unknown): void }): Promise<ExchangePlatform> {
  const { logger, chunks: lines } = captureLog()
  const p = await startPluginPlatform(t, {}, { logger })
  const sim = await startSimulator()
  t.teardown(() => sim.close())
  await publishFixture(p, p.admin, 'exchanger')
  const installed = await p.call('PUT', '/api/v1/tenants/hn/plugins/x', { token: p.admin, body: { package: '@hn/exchanger', version: '1.0.0' } })
  if (installed.status !== 200 && installed.status !== 201) throw new Error(JSON.stringify(installed.body))
  return {
    ...p,
    sim,
    lines,
    async endpoint (name, body) {
      const answer = await p.call('PUT', `/api/v1/tenants/hn/plugins/x/endpoints/${name}`, { token: p.admin, body })
      if (answer.status !== 200 && answer.status !== 201) throw new Error(`endpoint ${name}: ${answer.status} ${JSON.stringify(answer.body)}`)
    },
    exchange: (endpoint, request = {}, options = {}) =>
      p.call('POST', `/t/hn/x/${options.raw === true ? 'raw' : 'call'}/${endpoint}`, { body: request, ...(options.headers === undefined ? {} : { headers: options.headers }) }),
  }
}
