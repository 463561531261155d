import t from 'tap'
import { findTenant } from '../../core/tenancy/tenants.ts'
import { until } from '../helpers/wait.ts'
import { whileNeighbourServes } from '../helpers/neighbour.ts'
import { startPluginPlatform } from '../helpers/plugins.ts'

t.test('plugins\' published events are kept for the retention period, then deleted', async (t) => {
  const p = await startPluginPlatform(t, { eventRetentionDays: 30 })
  const { db } = p.platform.services
  const hn = (await findTenant(db, 'hn'))!
  const day = 24 * 60 * 60_000
  const event = (daysAgo: number, type: string) => ({ tenant_id: hn.id, plugin: '@hn/probe', version: '1.0.0', type, payload: '{}', request_id: null, created_at: new Date(Date.now() - daysAgo * day).toISOString() })
  await db.knex('plugin_events').insert([event(45, 'old.one'), event(31, 'old.two'), event(29, 'recent'), event(0, 'today')])
  // The hourly sweep, made due now: whichever node takes it (one here) deletes what is past the retention.
  const { statuses } = await whileNeighbourServes(p, async () => {
    await db.knex('scheduled_jobs').where({ name: 'event-retention' }).update({ due_at: new Date(Date.now() - 1000).toISOString() })
    await until(async () => Number((await db.knex('plugin_events').count({ n: '*' }))[0]!.n), (n) => n === 2, 5000)
  })
  t.ok(statuses.every((s) => s === 200), 'hcm kept answering')
  const kept = (await db.knex('plugin_events').orderBy('created_at').select('type')).map((row: { type: string }) => row.type)
  t.same(kept, ['recent', 'today'])
})
