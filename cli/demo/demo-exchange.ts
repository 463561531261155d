import { spawn, type ChildProcess } from 'node:child_process'
import { existsSync } from 'node:fs'
import { appendAudit } from '../../core/audit/audit-log.ts'
import { transaction, type Database } from '../../core/db/database.ts'
import type { ChangeFeed } from '../../core/events/change-feed.ts'
import { findTenant } from '../../core/tenancy/tenants.ts'
import type { Endpoints } from '../../platform/exchange/endpoints.ts'
import { INSTALLATIONS_CHANGED, saveInstallation, servingAt } from '../../registry/installations.ts'

const SIMULATOR = new URL('../../examples/lgsp-simulator/main.ts', import.meta.url).pathname

/** What the LGSP simulator says of itself when it starts (examples/lgsp-simulator/main.ts). */
export interface DemoSimulator {
  url: string
  mtlsUrl: string
  credentials: { portal: { username: string, password: string } }
  stop(): Promise<void>
}

/**
 * The LGSP simulator beside a demo platform, in a process of its own (not imported: examples are not the platform's
 * code, and an image built without them runs the demo without it). Undefined when it is not there or does not start.
 */
export function startDemoSimulator (): Promise<DemoSimulator | undefined> {
  if (!existsSync(SIMULATOR)) return Promise.resolve(undefined)
  const child: ChildProcess = spawn(process.execPath, ['--no-node-snapshot', SIMULATOR], { stdio: ['ignore', 'pipe', 'inherit'] })
  return new Promise((resolve) => {
    let seen = ''
    const timer = setTimeout(() => { child.kill(); resolve(undefined) }, 20_000)
    child.once('exit', () => { clearTimeout(timer); resolve(undefined) })
    child.stdout!.on('data', (chunk: Buffer) => {
      seen += chunk
      const line = seen.split('\n').find((text) => text.startsWith('LGSP_SIMULATOR '))
      if (line === undefined) return
      clearTimeout(timer)
      const info = JSON.parse(line.slice('LGSP_SIMULATOR '.length)) as Omit<DemoSimulator, 'stop'>
      resolve({
        ...info,
        stop: () => new Promise((resolve) => {
          if (child.exitCode !== null) return resolve()
          child.once('exit', () => resolve())
          child.kill('SIGTERM')
        }),
      })
    })
  })
}

/**
 * The demo's data exchange: the national portal's sync installed at Hà Nội for its communes (once), and its `portal`
 * connection pointed at the simulator with the simulator's credentials of this start (every start: the simulator's
 * port and credentials are new each time). A private address: allowed, as a platform administrator would for an LGSP.
 */
export async function seedDemoExchange (db: Database, changes: ChangeFeed, endpoints: Pick<Endpoints, 'save'>, sim: DemoSimulator): Promise<void> {
  const hn = await findTenant(db, 'hn')
  if (hn === undefined) return
  if (await servingAt(db, hn, 'portal-sync') === undefined) {
    await transaction(db, async (trx) => {
      await saveInstallation(trx, { tenant_id: hn.id, mount: 'portal-sync', name: '@vn/portal-sync', version: '1.0.0', settings: '{}', inherit: true, updated_at: new Date().toISOString(), updated_by: 'demo' })
      await appendAudit(trx, { actor: null, action: 'plugin.install', tenant: hn.code, target: 'portal-sync', details: { package: '@vn/portal-sync', version: '1.0.0', from: null, inherit: true } })
      await changes.publish(trx, INSTALLATIONS_CHANGED, { tenantPath: hn.path, mount: 'portal-sync' })
    })
  }
  const { username, password } = sim.credentials.portal
  await endpoints.save(hn, 'portal-sync', 'portal', {
    baseUrl: `${sim.url}/portal`,
    auth: { kind: 'session', loginPath: '/login', username, password },
    retries: 0,
  }, 'demo', true)
}
