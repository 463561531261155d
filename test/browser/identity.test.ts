// SQLite pass only: the flows are the browser's (the API-level tests of identity run on both databases).
import type { Page } from 'playwright-core'
import t from 'tap'
import { accessibilityProblems, launchBrowser } from '../helpers/browser.ts'
import { enrolTotp, totpCode } from '../helpers/factors.ts'
import { startTestProvider } from '../helpers/oidc-provider.ts'
import { ADMIN_PASSWORD, startTestPlatform } from '../helpers/platform.ts'
import { helloPackage } from '../helpers/tgz.ts'

const LEVEL_3 = { mfaRoles: ['platform-admin', 'tenant-admin', 'developer'] }

t.test('a citizen signs in with the national identity provider and sees their unit\'s services; a tampered state, a replayed code, a wrong nonce, another audience are refused', async (t) => {
  const idp = await startTestProvider(t, { an: { identity_number: '001099012345', name: 'Nguyễn Văn An' } })
  const p = await startTestPlatform(t, { httpAllowPrivate: [new URL(idp.issuer).host] })
  idp.serve([`${p.url}/api/v1/auth/oidc/vneid/callback`])
  const admin = await p.signIn('admin', ADMIN_PASSWORD)
  await p.call('POST', '/api/v1/tenants/vn/children', { token: admin, body: { code: 'hn', name: 'Thành phố Hà Nội' } })
  await p.call('POST', '/api/v1/tenants/hn/children', { token: admin, body: { code: 'hn-ba-dinh', name: 'Phường Ba Đình' } })
  await p.call('POST', '/api/v1/tenants/hn-ba-dinh/users', { token: admin, body: { username: 'ba-dinh-citizen', password: 'mật-khẩu-của-dân', displayName: 'Nguyễn Văn An', roles: ['member'] } })
  await p.call('PATCH', '/api/v1/tenants/hn-ba-dinh/users/ba-dinh-citizen', { token: admin, body: { identityNumber: '001099012345' } })
  const added = await p.call('POST', '/api/v1/tenants/vn/identity-providers', { token: admin, body: { code: 'vneid', name: 'VNeID', issuer: idp.issuer, clientId: idp.clientId, clientSecret: idp.clientSecret } })
  t.equal(added.status, 201)

  const browser = await launchBrowser(t)
  const page = await browser.newPage({ width: 390, height: 844 })
  await page.goto(`${p.url}/console/`)
  const button = page.getByRole('link', { name: 'Đăng nhập bằng VNeID' })
  await button.waitFor()
  t.same((await accessibilityProblems(page)).map((problem) => problem.rule), [], 'the sign-in page with its provider: nothing for axe-core to flag')
  const callbacks: string[] = []
  page.on('request', (request) => { if (request.url().includes('/api/v1/auth/oidc/vneid/callback')) callbacks.push(request.url()) })
  await throughProvider(page, 'an')
  await page.getByRole('heading', { name: 'Xin chào, Nguyễn Văn An' }).waitFor()
  t.equal(new URL(page.url()).hash, '#/', 'the ticket left the address bar')
  t.ok(await page.getByText('Đơn vị của bạn: Phường Ba Đình, Thành phố Hà Nội').isVisible(), 'linked to ba-dinh-citizen, at their unit')
  await page.getByRole('heading', { name: 'Thủ tục hành chính' }).waitFor()
  t.pass("and sees their unit's services")
  await page.getByText('Qua vneid').waitFor()
  t.pass('their session says how it began')
  await browser.screenshot(page, 'identity-01-citizen-vneid')

  // Someone hands the browser a provider's answer whose state was changed, or replays the one that worked: refused,
  // said in words, nobody signed in.
  const refused = async (what: string, go: (other: Page) => Promise<unknown>) => {
    const other = await browser.newPage()
    await go(other)
    await other.getByText('Đăng nhập qua VNeID không thành công').waitFor({ timeout: 10_000 }).catch(async (error) => {
      await browser.screenshot(other, `identity-refused-${what.replace(/\W+/g, '-')}`)
      throw error
    })
    t.equal(await other.getByRole('heading', { name: /^Xin chào/ }).count(), 0, `${what}: refused`)
    await other.context().close()
  }
  const answer = new URL(callbacks[0]!)
  const tampered = new URL(answer)
  tampered.searchParams.set('state', 'not-the-state-we-gave')
  await refused('a tampered state', (other) => other.goto(tampered.href))
  await refused('a replayed code', (other) => other.goto(answer.href))
  // An attacker in the middle changes the nonce of the authorization request: the ID token then carries theirs.
  await refused('a wrong nonce', async (other) => {
    // (Playwright intercepts a redirect's first hop only: the platform's 302 to the provider is rewritten.)
    await other.route('**/api/v1/auth/oidc/vneid/start', async (route) => {
      const response = await route.fetch({ maxRedirects: 0 })
      const url = new URL(response.headers().location!)
      url.searchParams.set('nonce', 'a-nonce-the-platform-never-gave')
      await route.fulfill({ status: 302, headers: { location: url.href } })
    })
    await other.goto(`${p.url}/console/`)
    await throughProvider(other, 'an')
  })
  idp.tamper = { aud: 'another-app' }
  await refused('an ID token for another audience', async (other) => {
    await other.goto(`${p.url}/console/`)
    await throughProvider(other, 'an')
  })
  idp.tamper = undefined
  t.same(browser.errors.filter((e) => !e.startsWith(idp.issuer)), [], 'no script error')
})

/** From the console's sign-in page through the provider's own sign-in and consent pages (any login, any password). */
async function throughProvider (page: Page, login: string): Promise<void> {
  await page.getByRole('link', { name: 'Đăng nhập bằng VNeID' }).click()
  await page.locator('input[name="login"]').fill(login)
  await page.locator('input[name="password"]').fill('whatever-vneid-asks')
  await page.getByRole('button', { name: 'Sign-in' }).click()
  await page.getByRole('button', { name: 'Continue' }).click()
}

async function signInWithPassword (page: Page, url: string, username: string, password: string): Promise<void> {
  await page.goto(`${url}/console/`)
  await page.getByLabel('Tên đăng nhập').fill(username)
  await page.getByLabel('Mật khẩu', { exact: true }).fill(password)
  await page.getByRole('button', { name: 'Đăng nhập' }).click()
}

t.test('an administrator is made to enrol a second factor first; with TOTP they approve a package, asked for the factor again', async (t) => {
  const p = await startTestPlatform(t, LEVEL_3)
  const browser = await launchBrowser(t)
  const page = await browser.newPage()
  await signInWithPassword(page, p.url, 'admin', ADMIN_PASSWORD)
  await page.getByRole('heading', { name: 'Thiết lập xác thực hai yếu tố' }).waitFor()
  t.equal(await page.getByRole('heading', { name: /^Xin chào/ }).count(), 0, 'nothing else before enrolling')
  t.same((await accessibilityProblems(page)).map((problem) => problem.rule), [], 'the enrolment page: nothing for axe-core to flag')
  await page.getByRole('button', { name: /ứng dụng xác thực/ }).click()
  const secret = (await page.getByTestId('totp-secret').textContent())!.replace(/\s/g, '')
  const form = page.getByRole('form', { name: 'Xác nhận mã' })
  await form.getByLabel('Mã xác thực').fill('000000')
  await form.getByRole('button', { name: 'Xác nhận mã' }).click()
  await page.getByRole('alert').filter({ hasText: 'Mã xác thực hoặc khóa bảo mật không đúng' }).waitFor()
  t.pass('a wrong code is said in words')
  await form.getByLabel('Mã xác thực').fill(totpCode(secret))
  await form.getByRole('button', { name: 'Xác nhận mã' }).click()
  await page.getByRole('heading', { name: 'Mã khôi phục' }).waitFor()
  t.equal(await page.getByTestId('recovery-codes').locator('li').count(), 10, 'ten recovery codes, shown once')
  await browser.screenshot(page, 'identity-02-recovery-codes')
  await page.getByRole('button', { name: 'Tôi đã lưu các mã, tiếp tục' }).click()
  await page.getByRole('heading', { name: /^Xin chào/ }).waitFor()

  // A developer's package waits for approval.
  const token = (await page.evaluate(() => (globalThis as unknown as { sessionStorage: Storage }).sessionStorage.getItem('nentang.token')))!
  await p.call('POST', '/api/v1/tenants/vn/children', { token, body: { code: 'hn', name: 'Hà Nội' } })
  const created = await p.call('POST', '/api/v1/tenants/hn/users', { token, body: { username: 'hn-dev', password: 'hn-dev-password', roles: ['developer'] } })
  t.equal(created.status, 201, 'the factor shown at sign-in lets the administrator grant a developer role at once')
  const dev = await enrolTotp(p, 'hn-dev', 'hn-dev-password')
  const uploaded = await p.call('POST', '/api/v1/registry/packages', { token: dev.token, raw: await helloPackage('1.0.0'), headers: { 'content-type': 'application/gzip' } })
  t.equal(uploaded.status, 201)

  // Ten minutes later (the session's factor moved back, the token renewed as the console does each hour).
  await p.platform.services.db.knex('sessions').update({ factor_at: new Date(Date.now() - 600_000).toISOString() })
  await page.evaluate(async () => {
    const storage = (globalThis as unknown as { sessionStorage: Storage }).sessionStorage
    const response = await fetch('/api/v1/auth/refresh', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ refreshToken: storage.getItem('nentang.refresh') }) })
    const renewed = await response.json() as { token: string, refreshToken: string }
    storage.setItem('nentang.token', renewed.token)
    storage.setItem('nentang.refresh', renewed.refreshToken)
  })
  await page.goto(`${p.url}/console/#/registry/pending`)
  await page.reload()
  await page.getByRole('link', { name: 'Xem @hn/hello@1.0.0' }).click()
  const approve = page.getByRole('form', { name: 'Phê duyệt' })
  await approve.getByRole('button', { name: 'Phê duyệt' }).click()
  const dialog = page.getByRole('dialog', { name: 'Xác nhận thao tác quan trọng' })
  await dialog.waitFor()
  t.pass('approving asks for the second factor again')
  await browser.screenshot(page, 'identity-03-step-up')
  await dialog.getByLabel('Mã xác thực').fill(totpCode(secret, 30))
  await dialog.getByRole('button', { name: 'Xác nhận và tiếp tục' }).click()
  await page.getByTestId('status').filter({ hasText: 'Đã duyệt' }).waitFor()
  t.pass('and the approval goes through once it is shown')
})

t.test('a developer enrols a passkey (a WebAuthn virtual authenticator) and signs in with it', async (t) => {
  const p = await startTestPlatform(t, LEVEL_3)
  const first = await p.call('POST', '/api/v1/auth/token', { body: { username: 'admin', password: ADMIN_PASSWORD } })
  const enrol = await p.call('POST', '/api/v1/auth/enrol/totp', { body: { ticket: first.body.ticket } })
  const admin = (await p.call('POST', '/api/v1/auth/enrol/totp/confirm', { body: { ticket: first.body.ticket, code: totpCode(enrol.body.secret) } })).body.token
  await p.call('POST', '/api/v1/tenants/vn/children', { token: admin, body: { code: 'hn', name: 'Hà Nội' } })
  await p.call('POST', '/api/v1/tenants/hn/users', { token: admin, body: { username: 'hn-dev', password: 'hn-dev-password', displayName: 'Phạm Minh Đức', roles: ['developer'] } })

  const browser = await launchBrowser(t)
  const page = await browser.newPage()
  const cdp = await page.context().newCDPSession(page)
  await cdp.send('WebAuthn.enable')
  await cdp.send('WebAuthn.addVirtualAuthenticator', { options: { protocol: 'ctap2', transport: 'internal', hasResidentKey: true, hasUserVerification: true, isUserVerified: true, automaticPresenceSimulation: true } })
  // WebAuthn wants a host name, not an IP address: the console at localhost.
  const url = p.url.replace('127.0.0.1', 'localhost')
  await signInWithPassword(page, url, 'hn-dev', 'hn-dev-password')
  await page.getByRole('button', { name: 'Dùng khóa bảo mật hoặc passkey của thiết bị' }).click()
  await page.getByRole('heading', { name: 'Mã khôi phục' }).waitFor()
  await page.getByRole('button', { name: 'Tôi đã lưu các mã, tiếp tục' }).click()
  await page.getByRole('heading', { name: 'Xin chào, Phạm Minh Đức' }).waitFor()
  t.match(await page.getByText(/Yếu tố xác thực thứ hai của bạn/).textContent(), /khóa bảo mật/, 'the passkey is listed')

  await page.getByRole('button', { name: 'Đăng xuất' }).click()
  await signInWithPassword(page, url, 'hn-dev', 'hn-dev-password')
  await page.getByRole('button', { name: 'Dùng khóa bảo mật (passkey)' }).click()
  await page.getByRole('heading', { name: 'Xin chào, Phạm Minh Đức' }).waitFor()
  t.pass('signed in with the passkey')
  await page.getByTestId('session-row').first().waitFor()
  const sessions = await page.getByTestId('session-row').count()
  t.equal(sessions, 1, 'signing out ended the first session; one stands')
})
