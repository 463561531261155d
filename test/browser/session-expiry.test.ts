// SQLite pass only: what is tested is the console's side; renewal on both databases is in test/core/sessions.test.ts.
import t from 'tap'
import { launchBrowser, signInToConsole } from '../helpers/browser.ts'
import { ADMIN_PASSWORD, startTestPlatform } from '../helpers/platform.ts'

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms))

t.test('a bearer token running out mid-form is renewed quietly; a session that ends keeps the form for after signing in', async (t) => {
  // Bearer tokens of two seconds, so that they run out while a form is being filled in.
  const p = await startTestPlatform(t, { tokenTtlSeconds: 2 })
  const browser = await launchBrowser(t)
  const page = await browser.newPage()
  await signInToConsole(page, p.url, 'admin', ADMIN_PASSWORD)

  // 1. The token runs out while the clerk types: the form goes through as if nothing happened.
  await page.goto(`${p.url}/console/#/units/vn`)
  const newChild = page.getByRole('form', { name: 'Tạo đơn vị trực thuộc' })
  await newChild.getByLabel('Mã đơn vị', { exact: true }).fill('hn')
  await newChild.getByLabel('Tên đơn vị').fill('Thành phố Hà Nội')
  await sleep(2500)
  await newChild.getByRole('button', { name: 'Tạo' }).click()
  await page.getByRole('link', { name: 'Thành phố Hà Nội' }).waitFor()
  t.pass('the unit was created after a quiet renewal')
  t.ok(await page.getByRole('heading', { name: 'Đăng nhập' }).count() === 0, 'no sign-in page was shown')

  // 2. The session itself ends (signed out elsewhere, say): the typed form is kept through signing in again.
  await page.goto(`${p.url}/console/#/units/hn/users`)
  const newUser = page.getByRole('form', { name: 'Tạo người dùng' })
  await newUser.getByLabel('Tên đăng nhập').fill('tran.van.binh')
  await newUser.getByLabel('Họ và tên').fill('Trần Văn Bình')
  await newUser.getByLabel('Mật khẩu (ít nhất 10 ký tự)').fill('mat-khau-cua-binh')
  const refreshToken = await page.evaluate(() => sessionStorage.getItem('nentang.refresh'))
  t.equal((await p.call('POST', '/api/v1/auth/sign-out', { body: { refreshToken } })).status, 204)
  await sleep(2500)
  await newUser.getByRole('button', { name: 'Tạo' }).click()
  await page.getByRole('alert').filter({ hasText: 'Phiên làm việc đã kết thúc' }).waitFor()
  t.match(await page.getByRole('alert').innerText(), /đã được giữ lại/, 'the sign-in page says the work is kept')
  await browser.screenshot(page, 'session-ended-vi')
  await page.getByLabel('Tên đăng nhập').fill('admin')
  await page.getByLabel('Mật khẩu', { exact: true }).fill(ADMIN_PASSWORD)
  await page.getByRole('button', { name: 'Đăng nhập' }).click()
  await page.getByRole('status').filter({ hasText: 'Đã khôi phục' }).waitFor()
  const restored = page.getByRole('form', { name: 'Tạo người dùng' })
  t.equal(await restored.getByLabel('Tên đăng nhập').inputValue(), 'tran.van.binh', 'the username typed before is back')
  t.equal(await restored.getByLabel('Họ và tên').inputValue(), 'Trần Văn Bình', 'and the name, with its diacritics')
  t.equal(await restored.getByLabel('Mật khẩu (ít nhất 10 ký tự)').inputValue(), '', 'a password is never kept')
  await browser.screenshot(page, 'session-restored-vi')
  await restored.getByLabel('Mật khẩu (ít nhất 10 ký tự)').fill('mat-khau-cua-binh')
  await restored.getByRole('button', { name: 'Tạo' }).click()
  await page.getByRole('cell', { name: 'tran.van.binh', exact: true }).waitFor()
  t.pass('and the form goes through')
})

t.test('a wrong password is said in words, in Vietnamese and in English, with the code only on the detail line', async (t) => {
  const p = await startTestPlatform(t)
  const browser = await launchBrowser(t)
  const page = await browser.newPage()
  await page.goto(`${p.url}/console/`)
  const tryPassword = async (language: 'vi' | 'en', password: string, submit: string): Promise<string> => {
    await page.getByLabel(language === 'vi' ? 'Tên đăng nhập' : 'Username').fill('admin')
    await page.getByLabel(language === 'vi' ? 'Mật khẩu' : 'Password', { exact: true }).fill(password)
    await page.getByRole('button', { name: submit }).click()
    const alert = page.getByRole('alert')
    await alert.waitFor()
    return alert.innerText()
  }
  const vi = await tryPassword('vi', 'sai-mật-khẩu', 'Đăng nhập')
  t.match(vi, /^Tên đăng nhập hoặc mật khẩu không đúng\./, 'Vietnamese first')
  t.match(vi, /CORE_ERR_BAD_CREDENTIALS/, 'the code on the detail line')
  await page.getByRole('button', { name: 'English' }).click()
  const en = await tryPassword('en', 'wrong-password', 'Sign in')
  t.match(en, /^Wrong username or password/, 'and English when chosen')
  await browser.screenshot(page, 'wrong-password-en')
})
