import t from 'tap'
import { createChangeFeed } from '../../core/events/change-feed.ts'
import { ADMIN_PASSWORD, startTestPlatform } from '../helpers/platform.ts'
import { testDialect } from '../helpers/database.ts'
import { within } from '../helpers/wait.ts'

t.test('a change is announced when its transaction commits, never when it rolls back', async (t) => {
  const p = await startTestPlatform(t)
  const { db, logger } = p.platform.services
  const feed = await createChangeFeed(db, p.config.databaseUrl, logger)
  t.teardown(() => feed.close())
  const heard: unknown[] = []
  const unsubscribe = feed.subscribe('test.topic', (payload) => heard.push(payload))

  await db.knex.transaction(async (trx) => {
    await feed.publish(trx, 'test.topic', { n: 1 })
    t.same(heard, [], 'not before the commit')
  })
  t.same(heard, [{ n: 1 }], 'at the commit')
  await t.rejects(db.knex.transaction(async (trx) => {
    await feed.publish(trx, 'test.topic', { n: 2 })
    throw new Error('roll back')
  }))
  await new Promise((resolve) => setTimeout(resolve, 50))
  t.same(heard, [{ n: 1 }], 'nothing for a rollback')
  unsubscribe()
  await feed.publish(undefined, 'test.topic', { n: 3 })
  t.same(heard, [{ n: 1 }], 'nothing after unsubscribing')
})

t.test('two gateway nodes: disabling a user on one refuses its token on the other', { skip: testDialect === 'postgres' ? false : 'several gateway nodes share a PostgreSQL database; this runs in the PostgreSQL pass' }, async (t) => {
  const a = await startTestPlatform(t)
  const b = await startTestPlatform(t, {}, a)
  const admin = await a.signIn('admin', ADMIN_PASSWORD)
  t.equal((await b.call('POST', '/api/v1/tenants/vn/children', { token: admin, body: { code: 'hn', name: 'Hà Nội' } })).status, 201, 'a token from node A works on node B')
  await a.call('POST', '/api/v1/tenants/hn/users', { token: admin, body: { username: 'clerk', password: 'clerk-password' } })
  const clerk = await b.signIn('clerk', 'clerk-password')
  t.equal((await b.call('GET', '/api/v1/me', { token: clerk })).status, 200, 'node B now caches the clerk')

  await a.call('PATCH', '/api/v1/tenants/hn/users/clerk', { token: admin, body: { disabled: true } })
  const ms = await within(2000, async () => (await b.call('GET', '/api/v1/me', { token: clerk })).status === 401)
  t.ok(ms < 1000, `node B refuses the token ${ms} ms after node A disabled the user`)

  // Cut every LISTEN connection: while node B is deaf it must not trust its cache.
  await a.call('PATCH', '/api/v1/tenants/hn/users/clerk', { token: admin, body: { disabled: false } })
  const fresh = await b.signIn('clerk', 'clerk-password')
  t.equal((await b.call('GET', '/api/v1/me', { token: fresh })).status, 200)
  await a.platform.services.db.knex.raw("select pg_terminate_backend(pid) from pg_stat_activity where query ilike 'listen %' and datname = current_database()")
  await within(2000, async () => !b.platform.services.changes.healthy)
  await a.call('POST', '/api/v1/tenants/hn/grants', { token: admin, body: { username: 'clerk', role: 'officer' } })
  const me = await b.call('GET', '/api/v1/me', { token: fresh })
  t.same(me.body.grants, [{ role: 'officer', tenant: 'hn', includeDescendants: false }], 'node B reads the grant made while it could not listen')
  await within(5000, async () => b.platform.services.changes.healthy)
  await a.call('PATCH', '/api/v1/tenants/hn/users/clerk', { token: admin, body: { disabled: true } })
  await within(2000, async () => (await b.call('GET', '/api/v1/me', { token: fresh })).status === 401)
  t.pass('after reconnecting, node B hears changes again')
})
