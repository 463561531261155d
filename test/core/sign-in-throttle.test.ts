import t from 'tap'
import { createSignInThrottle } from '../../core/auth/sign-in-throttle.ts'
import { ADMIN_PASSWORD, startTestPlatform } from '../helpers/platform.ts'

t.test('the delay doubles after the free failures and resets on success', async (t) => {
  const throttle = createSignInThrottle({ free: 3, maxDelayMs: 10_000, windowMs: 60_000 }, { free: 100, maxDelayMs: 10_000, windowMs: 60_000 })
  const now = 1_000_000
  for (let i = 0; i < 3; i++) {
    t.equal(throttle.retryAfter('u', 'a', now), 0)
    throttle.failed('u', 'a', now)
  }
  t.equal(throttle.retryAfter('u', 'a', now), 1000, 'one second after the third failure')
  throttle.failed('u', 'a', now + 1000)
  t.equal(throttle.retryAfter('u', 'a', now + 1000), 2000, 'then two')
  for (let i = 0; i < 10; i++) throttle.failed('u', 'a', now + 2000)
  t.equal(throttle.retryAfter('u', 'a', now + 2000), 10_000, 'capped')
  t.equal(throttle.retryAfter('u', 'a', now + 2000 + 60_001), 0, 'forgotten after the window')
  throttle.failed('v', 'a', now)
  throttle.succeeded('v', 'a')
  t.equal(throttle.retryAfter('v', 'a', now), 0)
})

t.test('repeated failures are slowed per username and per address, over HTTP', async (t) => {
  const p = await startTestPlatform(t)
  for (let i = 0; i < 5; i++) {
    const response = await p.call('POST', '/api/v1/auth/token', { body: { username: 'admin', password: `wrong-${i}` } })
    t.equal(response.status, 401)
  }
  const slowed = await p.call('POST', '/api/v1/auth/token', { body: { username: 'admin', password: ADMIN_PASSWORD } })
  t.equal(slowed.status, 429, 'even the right password waits')
  t.equal(slowed.body.error.code, 'CORE_ERR_TOO_MANY_ATTEMPTS')
  t.ok(Number(slowed.headers.get('retry-after')) >= 1, 'Retry-After says how long')

  for (let i = 0; i < 15; i++) await p.call('POST', '/api/v1/auth/token', { body: { username: `nobody-${i}`, password: 'whatever-it-is' } })
  const byAddress = await p.call('POST', '/api/v1/auth/token', { body: { username: 'nobody-else', password: 'whatever-it-is' } })
  t.equal(byAddress.status, 429, 'twenty failures from one address slow down every username from it')

  const audit = await p.platform.services.db.knex('audit_log').where({ action: 'auth.sign-in-failed' }).count({ n: '*' })
  t.equal(Number(audit[0]!.n), 20, 'every failed sign-in that was checked is audited')
})
