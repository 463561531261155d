import t from 'tap'
import { findTenant } from '../../core/tenancy/tenants.ts'
import { startTestPlatform } from '../helpers/platform.ts'
import { whileNeighbourServes } from '../helpers/neighbour.ts'
import { startPluginPlatform } from '../helpers/plugins.ts'

t.test('plugins\' published events are kept for the retention period, then deleted', async (t) => {
  const p = await startPluginPlatform(t, { eventRetentionDays: 30 })
  const { db } = p.platform.services
  const hn = (await findTenant(db, 'hn'))!
  const day = 24 * 60 * 60_000
  const event = (daysAgo: number, type: string) => ({ tenant_id: hn.id, plugin: '@hn/probe', version: '1.0.0', type, payload: '{}', request_id: null, created_at: new Date(Date.now() - daysAgo * day).toISOString() })
  await db.knex('plugin_events').insert([event(45, 'old.one'), event(31, 'old.two'), event(29, 'recent'), event(0, 'today')])
  // Another node starting on the same database sweeps at its start, as every node does every hour.
  const { statuses } = await whileNeighbourServes(p, async () => {
    await startTestPlatform(t, {}, p)
    await new Promise((resolve) => setTimeout(resolve, 300))
  })
  t.ok(statuses.every((s) => s === 200), 'hcm kept answering')
  const kept = (await db.knex('plugin_events').orderBy('created_at').select('type')).map((row: { type: string }) => row.type)
  t.same(kept, ['recent', 'today'])
})
