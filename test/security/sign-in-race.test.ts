import t from 'tap'
import { ADMIN_PASSWORD, startTestPlatform } from '../helpers/platform.ts'

const signIn = (p: Awaited<ReturnType<typeof startTestPlatform>>, username: string, password: string, headers: Record<string, string> = {}) =>
  p.call('POST', '/api/v1/auth/token', { body: { username, password }, headers })

t.test('60 guesses raced at once are checked one at a time, so the throttle holds and the right one among them fails', async (t) => {
  const p = await startTestPlatform(t)
  const guesses = Array.from({ length: 59 }, (_, i) => `guess-${i}-wrong-password`)
  guesses.splice(30, 0, ADMIN_PASSWORD)
  const answers = await Promise.all(guesses.map((password) => signIn(p, 'admin', password)))
  const statuses = answers.map((a) => a.status)
  t.ok(statuses.filter((s) => s === 401 || s === 200).length <= 5, `at most five were checked (${statuses.filter((s) => s !== 429).length})`)
  t.ok(statuses.filter((s) => s === 429).length >= 55, 'the rest were refused unchecked, with Retry-After')
  t.ok(answers.filter((a) => a.status === 429).every((a) => Number(a.headers.get('retry-after')) >= 1))
  const audit = await p.platform.services.db.knex('audit_log').where({ action: 'auth.sign-in-failed' }).count({ n: '*' })
  t.ok(Number(audit[0]!.n) <= 5, 'only checked attempts are audited as failures')
})

t.test('a stranger cannot lock an account away from its owner', async (t) => {
  const p = await startTestPlatform(t, { trustProxy: true })
  for (let i = 0; i < 12; i++) await signIn(p, 'admin', `wrong-${i}`, { 'x-forwarded-for': '203.0.113.9' })
  const attacker = await signIn(p, 'admin', ADMIN_PASSWORD, { 'x-forwarded-for': '203.0.113.9' })
  t.equal(attacker.status, 429, 'the guessing address waits, even with the right password')
  const owner = await signIn(p, 'admin', ADMIN_PASSWORD, { 'x-forwarded-for': '198.51.100.7' })
  t.equal(owner.status, 200, 'the owner, from elsewhere, signs in')
})

t.test('behind a trusted proxy the right-most X-Forwarded-For hop counts: a forged left-most entry changes nothing', async (t) => {
  const p = await startTestPlatform(t, { trustProxy: true })
  for (let i = 0; i < 6; i++) {
    await signIn(p, 'admin', `wrong-${i}`, { 'x-forwarded-for': `10.9.9.${i}, 203.0.113.9` })
  }
  const forged = await signIn(p, 'admin', ADMIN_PASSWORD, { 'x-forwarded-for': '1.2.3.4, 203.0.113.9' })
  t.equal(forged.status, 429, 'a new forged entry did not make a new address')
  const failures = await p.platform.services.db.knex('audit_log').where({ action: 'auth.sign-in-failed' }).select('details')
  t.ok(failures.every((row: { details: string }) => JSON.parse(row.details).address === '203.0.113.9'), 'the audit records the address the proxy saw')
})

t.test('a neighbour signs in while a flood of sign-ins from one address is refused', async (t) => {
  const p = await startTestPlatform(t, { trustProxy: true })
  const flood = Promise.all(Array.from({ length: 300 }, (_, i) => signIn(p, `flood-${i}`, 'not-the-password', { 'x-forwarded-for': '203.0.113.66' })))
  const neighbour = await signIn(p, 'admin', ADMIN_PASSWORD, { 'x-forwarded-for': '198.51.100.7' })
  const statuses = (await flood).map((a) => a.status)
  t.equal(neighbour.status, 200, 'the admin signed in during the flood')
  t.ok(statuses.every((s) => s === 401 || s === 429 || s === 503), 'every flood request got a clear answer')
  // The address counts checked failures: one address holds at most eight places in the check queue (two checked,
  // six waiting) whatever it sends, then 20 free failures and one more a second at most.
  t.ok(statuses.filter((s) => s === 401).length <= 30, `one address had a bounded number of passwords checked (${statuses.filter((s) => s === 401).length} of 300)`)
  const later = await signIn(p, 'flood-late', 'not-the-password', { 'x-forwarded-for': '203.0.113.66' })
  t.equal(later.status, 429, 'and the flooding address waits afterwards')
})
