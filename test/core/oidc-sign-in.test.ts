import t, { type Test } from 'tap'
import { generateKeyPair, SignJWT } from 'jose'
import { signOutAtProvider, startTestProvider, throughProvider } from '../helpers/oidc-provider.ts'
import { ADMIN_PASSWORD, startTestPlatform, type TestPlatform } from '../helpers/platform.ts'

const people = {
  an: { identity_number: '001099012345', name: 'Nguyễn Văn An', birthdate: '1990-05-02' },
  hong: { identity_number: '079200001234', name: 'Lê Thị Hồng', birthdate: '2000-01-15', unit: 'hn-ba-dinh' },
  'no-number': { name: 'Người Không Số' },
}

async function setUp (t: Test) {
  const idp = await startTestProvider(t, people)
  const p = await startTestPlatform(t, { httpAllowPrivate: [new URL(idp.issuer).host] })
  const callback = `${p.url}/api/v1/auth/oidc/vneid/callback`
  idp.serve([callback], `${p.url}/api/v1/auth/oidc/vneid/backchannel-logout`)
  const admin = await p.signIn('admin', ADMIN_PASSWORD)
  await p.call('POST', '/api/v1/tenants/vn/children', { token: admin, body: { code: 'hn', name: 'Thành phố Hà Nội' } })
  await p.call('POST', '/api/v1/tenants/hn/children', { token: admin, body: { code: 'hn-ba-dinh', name: 'Phường Ba Đình' } })
  await p.call('POST', '/api/v1/tenants/hn-ba-dinh/users', { token: admin, body: { username: 'ba-dinh-citizen', password: 'mật-khẩu-của-dân', displayName: 'Nguyễn Văn An', roles: ['member'] } })
  const linked = await p.call('PATCH', '/api/v1/tenants/hn-ba-dinh/users/ba-dinh-citizen', { token: admin, body: { identityNumber: '001099012345' } })
  t.equal(linked.body.identityNumber, '*********345', 'an administrator links the identity number; only its last digits are shown')
  const added = await p.call('POST', '/api/v1/tenants/vn/identity-providers', {
    token: admin,
    body: { code: 'vneid', name: 'VNeID', issuer: idp.issuer, clientId: idp.clientId, clientSecret: idp.clientSecret, scopes: 'openid profile', claims: { unit: 'unit' } },
  })
  t.equal(added.status, 201, JSON.stringify(added.body).slice(0, 300))
  t.equal(added.body.redirectUri, callback, 'the answer says what to register at the provider')
  t.notOk(JSON.stringify(added.body).includes(idp.clientSecret), 'the secret is never shown')
  return { idp, p, admin, callback }
}

/** A person's way from the platform's start through the provider, to the callback URL the provider sends back. */
async function toCallback (p: TestPlatform, login: string, callback: string, onAuthorize?: (url: URL) => URL, jar?: Map<string, string>): Promise<URL> {
  const start = await fetch(`${p.url}/api/v1/auth/oidc/vneid/start`, { redirect: 'manual' })
  if (start.status !== 302) throw new Error(`start answered ${start.status}`)
  return throughProvider(start.headers.get('location')!, login, callback, onAuthorize, jar)
}

async function back (p: TestPlatform, url: URL): Promise<string> {
  const response = await fetch(`${p.url}${url.pathname}${url.search}`, { redirect: 'manual' })
  return response.headers.get('location') ?? `status ${response.status}`
}

t.test('a citizen signs in through the identity provider and is linked by identity number to their existing user', async (t) => {
  const { p, callback } = await setUp(t)
  const providers = await p.call('GET', '/api/v1/auth/providers')
  t.same(providers.body.providers, [{ code: 'vneid', name: 'VNeID', tenant: 'vn', start: '/api/v1/auth/oidc/vneid/start' }], 'the sign-in page lists it')
  const start = await fetch(`${p.url}/api/v1/auth/oidc/vneid/start`, { redirect: 'manual' })
  const authorize = new URL(start.headers.get('location')!)
  t.match(Object.fromEntries(authorize.searchParams), { client_id: 'nentang', response_type: 'code', code_challenge_method: 'S256', scope: 'openid profile', redirect_uri: callback, state: /.{20,}/, nonce: /.{20,}/ }, 'code flow with PKCE, state and nonce')

  const location = await back(p, await toCallback(p, 'an', callback))
  t.match(location, /^\/console\/#\/continue\?ticket=[A-Za-z0-9_-]{43}$/, 'back to the console with a one-time ticket, never a token')
  const ticket = location.split('ticket=')[1]!
  const session = await p.call('POST', '/api/v1/auth/continue', { body: { ticket } })
  t.equal(session.status, 200)
  t.equal(session.body.user.username, 'ba-dinh-citizen', 'linked to the existing user by identity number')
  const me = await p.call('GET', '/api/v1/me', { token: session.body.token })
  t.equal(me.body.user.tenant, 'hn-ba-dinh')
  t.same(me.body.grants.map((g: any) => g.role), ['member'], 'roles come from grants on the platform only')
  t.equal((await p.call('POST', '/api/v1/auth/continue', { body: { ticket } })).body.error.code, 'CORE_ERR_TICKET_ENDED', 'the ticket works once')
  const sessions = await p.call('GET', '/api/v1/me/sessions', { token: session.body.token })
  t.equal(sessions.body.sessions[0].method, 'oidc:vneid')

  // A person the platform has not met is created at the unit their claim names, with no grant.
  const hong = await p.call('POST', '/api/v1/auth/continue', { body: { ticket: (await back(p, await toCallback(p, 'hong', callback))).split('ticket=')[1] } })
  const hongMe = await p.call('GET', '/api/v1/me', { token: hong.body.token })
  t.match(hongMe.body, { user: { displayName: 'Lê Thị Hồng', tenant: 'hn-ba-dinh' }, grants: [] }, 'a new citizen, homed by the unit claim, with the name in Vietnamese')
  const again = await p.call('POST', '/api/v1/auth/continue', { body: { ticket: (await back(p, await toCallback(p, 'hong', callback))).split('ticket=')[1] } })
  t.equal(again.body.user.username, hong.body.user.username, 'the second sign-in finds the same user')
})

t.test('a tampered state, a replayed code, a wrong nonce, an ID token for another audience are each refused', async (t) => {
  const { idp, p, admin, callback } = await setUp(t)
  const failed = /^\/console\/#\/sign-in\?failed=vneid$/

  const good = await toCallback(p, 'an', callback)
  const tampered = new URL(good)
  tampered.searchParams.set('state', good.searchParams.get('state')!.replace(/^./, (c) => c === 'A' ? 'B' : 'A'))
  t.match(await back(p, tampered), failed, 'a tampered state is refused')
  t.match(await back(p, good), /ticket=/, 'the untampered answer still works')
  t.match(await back(p, good), failed, 'the same answer again (a replayed callback) is refused')

  // The old code with the state of a new sign-in: the provider refuses a used code (and the PKCE verifier differs).
  const fresh = await fetch(`${p.url}/api/v1/auth/oidc/vneid/start`, { redirect: 'manual' })
  const freshState = new URL(fresh.headers.get('location')!).searchParams.get('state')!
  const replayed = new URL(good)
  replayed.searchParams.set('state', freshState)
  t.match(await back(p, replayed), failed, 'a replayed code is refused')

  const wrongNonce = await toCallback(p, 'an', callback, (url) => { url.searchParams.set('nonce', 'a-nonce-the-platform-never-gave'); return url })
  t.match(await back(p, wrongNonce), failed, 'an ID token with a nonce the platform did not give is refused')

  for (const [what, tamper] of [['another audience', { aud: 'another-app' }], ['another issuer', { iss: 'https://evil.example' }], ['expired', { exp: Math.floor(Date.now() / 1000) - 3600 }]] as const) {
    idp.tamper = tamper
    t.match(await back(p, await toCallback(p, 'an', callback)), failed, `an ID token for ${what} is refused`)
  }
  idp.tamper = undefined
  t.match(await back(p, await toCallback(p, 'no-number', callback)), failed, 'a person with no identity number is not signed in')

  const audit = await p.call('GET', '/api/v1/tenants/vn/audit?action=auth.oidc-failed', { token: admin })
  const reasons = audit.body.items.map((item: any) => String(item.details.reason))
  t.equal(reasons.length, 8, 'each refusal is audited')
  for (const word of [/unknown state/, /used already/, /nonce/, /aud/, /iss/, /exp/, /identity number/]) t.ok(reasons.some((r: string) => word.test(r)), `a reason says ${word}`)
})

t.test('an identity provider is configured only by an administrator, and never pointed inside the network', async (t) => {
  const p = await startTestPlatform(t)
  const admin = await p.signIn('admin', ADMIN_PASSWORD)
  const body = { code: 'sso-hn', name: 'SSO Hà Nội', clientId: 'nentang', clientSecret: 'secret' }
  for (const [issuer, why] of [['http://sso.hanoi.gov.vn', /https/], ['https://127.0.0.1:8443', /private or loopback/], ['https://10.1.2.3', /private/], ['https://[::1]:9000', /private/], ['not a url', /not a URL/], ['https://user:pw@sso.example', /credentials/]] as const) {
    const refused = await p.call('POST', '/api/v1/tenants/vn/identity-providers', { token: admin, body: { ...body, issuer } })
    t.equal(refused.status, 422, issuer)
    t.match(refused.body.error, { field: 'issuer', message: why })
  }
  await p.call('POST', '/api/v1/tenants/vn/children', { token: admin, body: { code: 'hn', name: 'Hà Nội' } })
  await p.call('POST', '/api/v1/tenants/hn/users', { token: admin, body: { username: 'hn-clerk', password: 'clerk-password' } })
  const clerk = await p.signIn('hn-clerk', 'clerk-password')
  t.equal((await p.call('POST', '/api/v1/tenants/hn/identity-providers', { token: clerk, body: { ...body, issuer: 'https://sso.hanoi.gov.vn' } })).status, 403, 'a user who is no administrator cannot')
  t.equal((await p.call('GET', '/api/v1/auth/oidc/nothing/start', { })).status, 404)
})

t.test('signing out at the provider ends the sessions begun through it (back-channel logout); a forged logout token is refused', async (t) => {
  const { idp, p, admin, callback } = await setUp(t)
  const jar = new Map<string, string>()
  const ticket = (await back(p, await toCallback(p, 'an', callback, undefined, jar))).split('ticket=')[1]
  const session = (await p.call('POST', '/api/v1/auth/continue', { body: { ticket } })).body
  const other = (await p.call('POST', '/api/v1/auth/token', { body: { username: 'ba-dinh-citizen', password: 'mật-khẩu-của-dân' } })).body
  t.equal((await p.call('GET', '/api/v1/me', { token: session.token })).status, 200)

  const logoutUri = `${p.url}/api/v1/auth/oidc/vneid/backchannel-logout`
  const post = (body: string, type = 'application/x-www-form-urlencoded') => fetch(logoutUri, { method: 'POST', headers: { 'content-type': type }, body })
  const { privateKey } = await generateKeyPair('RS256')
  const forged = await new SignJWT({ sub: 'an', events: { 'http://schemas.openid.net/event/backchannel-logout': {} }, jti: 'x' })
    .setProtectedHeader({ alg: 'RS256', kid: 'test-key' }).setIssuer(idp.issuer).setAudience(idp.clientId).setIssuedAt().sign(privateKey)
  t.equal((await post(`logout_token=${forged}`)).status, 401, 'a logout token signed with another key is refused')
  t.equal((await post('logout_token=not.a.token')).status, 401, 'so is one that is no token')
  t.equal((await post(JSON.stringify({ logout_token: forged }), 'application/json')).status, 415, 'it comes form-encoded')
  t.equal((await p.call('GET', '/api/v1/me', { token: session.token })).status, 200, 'and the session stands')

  await signOutAtProvider(idp.issuer, jar)
  const start = Date.now()
  let status = 200
  while (status === 200 && Date.now() - start < 5000) {
    status = (await p.call('GET', '/api/v1/me', { token: session.token })).status
    if (status === 200) await new Promise((resolve) => setTimeout(resolve, 20))
  }
  t.equal(status, 401, `signed out at VNeID: the session begun through it ended (${Date.now() - start} ms)`)
  t.equal((await p.call('POST', '/api/v1/auth/refresh', { body: { refreshToken: session.refreshToken } })).status, 401, 'it renews nothing')
  t.equal((await p.call('GET', '/api/v1/me', { token: other.token })).status, 200, 'the password session of the same person stands')
  const audit = await p.call('GET', '/api/v1/tenants/vn/audit?action=auth.oidc-logout', { token: admin })
  t.match(audit.body.items[0], { target: 'vneid', details: { ended: 1 } })
  t.equal((await p.call('GET', '/api/v1/tenants/vn/audit?action=auth.oidc-logout-refused', { token: admin })).body.items.length, 2, 'the forged ones are audited')
})
