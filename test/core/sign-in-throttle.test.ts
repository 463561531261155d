import t from 'tap'
import { createSignInThrottle } from '../../core/auth/sign-in-throttle.ts'
import { ADMIN_PASSWORD, startTestPlatform } from '../helpers/platform.ts'

t.test('the delay doubles after the free failures and resets on success', async (t) => {
  const roomy = { free: 100, maxDelayMs: 10_000, windowMs: 60_000 }
  const throttle = createSignInThrottle({ pair: { free: 3, maxDelayMs: 10_000, windowMs: 60_000 }, address: roomy, username: roomy })
  const now = 1_000_000
  const fail = (at: number): number => {
    const wait = throttle.begin('u', 'a', at)
    if (wait === 0) throttle.end('u', 'a', false)
    return wait
  }
  for (let i = 0; i < 3; i++) t.equal(fail(now), 0)
  t.equal(throttle.begin('u', 'a', now), 1000, 'one second after the third failure')
  t.equal(fail(now + 1000), 0)
  t.equal(throttle.begin('u', 'a', now + 1000), 2000, 'then two')
  let at = now + 1000
  for (let i = 0; i < 10; i++) {
    at += throttle.begin('u', 'a', at)
    t.equal(fail(at), 0, 'an attempt after its wait is checked')
  }
  t.equal(throttle.begin('u', 'a', at), 10_000, 'capped')
  t.equal(throttle.begin('u', 'a', at + 60_001), 0, 'forgotten after the window')
  throttle.end('u', 'a', true)
  t.equal(throttle.begin('u', 'b', now), 0, 'another address is not held back by this pair')
  throttle.end('u', 'b', false)
  t.equal(throttle.begin('v', 'a', now), 0)
  throttle.end('v', 'a', true)
  t.equal(throttle.begin('v', 'a', now), 0, 'a success leaves no failure behind')
  throttle.end('v', 'a', true)
})

t.test('an attempt counts before its check, and one check per username runs at a time', async (t) => {
  const throttle = createSignInThrottle()
  t.equal(throttle.begin('u', 'a', 0), 0)
  t.equal(throttle.begin('u', 'b', 0), 1000, 'a second attempt while the first is being checked waits')
  throttle.end('u', 'a', false)
  for (let i = 0; i < 4; i++) { t.equal(throttle.begin('u', 'a', 0), 0); throttle.end('u', 'a', false) }
  t.ok(throttle.begin('u', 'a', 0) > 0, 'five failures from one address: that pair waits')
  t.equal(throttle.begin('u', 'c', 0), 0, 'the owner, elsewhere, still signs in')
  throttle.end('u', 'c', true)
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
