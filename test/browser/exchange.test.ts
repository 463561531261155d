// SQLite pass only: what is tested is the browser's side; the same flows run through the HTTP API on both databases.
import { readFileSync } from 'node:fs'
import t from 'tap'
import { launchBrowser, signInToConsole } from '../helpers/browser.ts'
import { startExchangePlatform } from '../helpers/exchange.ts'
import { ADMIN_PASSWORD } from '../helpers/platform.ts'

t.test('a tenant-admin connects a plugin to the LGSP, reads and exports the exchange log, and registers a system, all in the console', async (t) => {
  const p = await startExchangePlatform(t)
  const { sim } = p
  const browser = await launchBrowser(t)
  const admin = await browser.newPage()
  await signInToConsole(admin, p.url, 'admin', ADMIN_PASSWORD)

  // The installation's connection, set in its form: key/secret authentication as the LGSP issued it.
  await admin.goto(`${p.url}/console/#/units/hn/plugins`)
  const form = admin.getByRole('form', { name: 'Cấu hình kết nối lgsp' })
  await form.getByLabel('Địa chỉ gốc').fill(`${sim.url}/lgsp`)
  await form.getByLabel('Cách xác thực').selectOption('hmac')
  await form.getByLabel('Tên ứng dụng (AppName)').fill(sim.credentials.lgsp.appName)
  await form.getByLabel('AccessKey').fill(sim.credentials.lgsp.accessKey)
  await form.getByLabel('SecretKey').fill(sim.credentials.lgsp.secretKey)
  await form.getByLabel('Cho phép địa chỉ mạng nội bộ (chỉ quản trị nền tảng)').check()
  await form.getByRole('button', { name: 'Lưu' }).click()
  await admin.getByTestId('endpoint-lgsp').filter({ hasText: 'hoạt động bình thường' }).waitFor()
  t.match(await admin.getByTestId('endpoint-lgsp').textContent(), `${sim.url}/lgsp · hmac`)
  t.equal(await form.getByLabel('SecretKey').inputValue(), '', 'the secret is never shown back')
  await form.getByText('Đã đặt; để trống để giữ nguyên').waitFor()
  await browser.screenshot(admin, 'exchange-01-endpoint')

  // Mutual TLS: a certificate, its key and a private CA pasted as PEM keep their lines.
  const tls = admin.getByRole('form', { name: 'Cấu hình kết nối mtls' })
  await tls.getByLabel('Địa chỉ gốc').fill(sim.mtlsUrl)
  await tls.getByLabel('Cách xác thực').selectOption('mtls')
  await tls.getByLabel('Chứng thư số máy khách (PEM)').fill(sim.pki.clientCertificate)
  await tls.getByLabel('Khoá bí mật của chứng thư (PEM)').fill(sim.pki.clientKey)
  await tls.getByLabel('Tổ chức chứng thực riêng (PEM)').fill(sim.pki.ca)
  await tls.getByLabel('Cho phép địa chỉ mạng nội bộ (chỉ quản trị nền tảng)').check()
  await tls.getByRole('button', { name: 'Lưu' }).click()
  await admin.getByTestId('endpoint-mtls').filter({ hasText: 'mtls' }).waitFor()
  t.equal((await p.exchange('mtls', { path: '/lien-thong' })).body.json?.clientCertificate, 'UBND TP Ha Noi', 'the simulator saw the certificate set in the console')

  const called = await p.exchange('lgsp', { method: 'POST', path: '/cong-dan/tra-cuu', json: { hoTen: 'Nguyễn Văn An' } }, { headers: { 'x-correlation-id': 'tra-cuu-0001' } })
  t.equal(called.body.status, 200, 'the plugin reaches the LGSP with what was set in the console')

  // The exchange log: the call, its chain intact, searchable, exported as CSV.
  await admin.goto(`${p.url}/console/#/exchange`)
  await admin.getByRole('heading', { name: 'Liên thông', level: 1 }).waitFor()
  await admin.getByTestId('exchange-log').getByText('tra-cuu-0001').waitFor()
  t.match(await admin.getByTestId('exchange-log').textContent(), /hn #1/, 'a province\'s calls show at the root too, each with its unit')
  await admin.getByRole('form', { name: 'Đơn vị' }).getByLabel('Đơn vị').fill('hn')
  await admin.getByRole('form', { name: 'Đơn vị' }).getByRole('button', { name: 'Lọc' }).click()
  const log = admin.getByTestId('exchange-log')
  await log.getByText('tra-cuu-0001').waitFor()
  t.match(await log.textContent(), /POST \/lgsp\/cong-dan\/tra-cuu/)
  t.match(await admin.getByTestId('exchange-chain').textContent(), /Chuỗi nguyên vẹn: 2 mục/)
  const download = admin.waitForEvent('download')
  await admin.getByRole('button', { name: 'Xuất CSV' }).click()
  const csv = readFileSync(await (await download).path(), 'utf8')
  t.match(csv, /tra-cuu-0001/, 'the CSV holds the call')
  await browser.screenshot(admin, 'exchange-02-log')

  // Another agency's system, registered with a plugin role: its secret is shown this once.
  const register = admin.getByRole('form', { name: 'Đăng ký hệ thống mới' })
  await register.getByLabel('Tên hệ thống').fill('Một cửa Sở Tư pháp Hà Nội')
  await register.getByLabel('Vai trò (cách nhau bởi dấu phẩy)').fill('lgsp-client')
  await register.getByRole('button', { name: 'Đăng ký' }).click()
  const shown = admin.getByTestId('client-secret')
  await shown.waitFor()
  const secret = (await shown.locator('code').textContent()) ?? ''
  t.match(secret, /^[A-Za-z0-9_-]{43}$/)
  await admin.getByTestId('clients').getByText('Một cửa Sở Tư pháp Hà Nội').waitFor()
  await browser.screenshot(admin, 'exchange-03-clients')
  await admin.reload()
  await admin.getByTestId('clients').getByText('Một cửa Sở Tư pháp Hà Nội').waitFor()
  t.equal(await admin.getByTestId('client-secret').count(), 0, 'gone after a reload: shown once')

  // A commune inheriting the plugin: the province's connection serves it until it sets its own.
  t.equal((await p.call('PUT', '/api/v1/tenants/hn/plugins/x', { token: p.admin, body: { package: '@hn/exchanger', version: '1.0.0', inherit: true } })).status, 200)
  t.equal((await p.call('POST', '/api/v1/tenants/hn/children', { token: p.admin, body: { code: 'hn-ba-dinh', name: 'Phường Ba Đình' } })).status, 201)
  await admin.goto(`${p.url}/console/#/units/hn-ba-dinh/plugins`)
  await admin.getByTestId('endpoint-lgsp').filter({ hasText: 'dùng kết nối của hn' }).waitFor()
  const own = admin.getByRole('form', { name: 'Cấu hình kết nối lgsp' })
  await own.getByLabel('Địa chỉ gốc').fill(`${sim.url}/echo`)
  await own.getByLabel('Cho phép địa chỉ mạng nội bộ (chỉ quản trị nền tảng)').check()
  await own.getByRole('button', { name: 'Lưu' }).click()
  await admin.getByTestId('endpoint-lgsp').filter({ hasText: `${sim.url}/echo · none` }).waitFor()
  t.equal((await p.call('POST', '/t/hn-ba-dinh/x/call/lgsp', { body: { path: '/phuong' } })).body.json.target, '/echo/phuong', "the commune's own connection serves it")
  t.equal((await p.exchange('lgsp', { method: 'POST', path: '/cong-dan/tra-cuu', json: {} })).body.status, 200, "the province's still serves the province")
  t.equal(browser.errors.length, 0, `no console errors: ${browser.errors.join('; ')}`)
})
