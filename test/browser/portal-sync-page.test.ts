// SQLite pass only: what is tested is the browser's side; the same flows run through the HTTP API on both databases.
import t from 'tap'
import { launchBrowser, signInToConsole } from '../helpers/browser.ts'
import { copyProcedure, units } from '../helpers/procedures.ts'
import { until } from '../helpers/wait.ts'

t.test("a province's administrator maps a procedure's steps to the portal's statuses on the portal sync's page; an illegal jump is refused there", async (t) => {
  const p = await units(t)
  const { as } = p
  t.equal((await p.call('PUT', '/api/v1/tenants/hn/plugins/portal', { token: p.admin, body: { package: '@vn/portal-sync', version: '1.0.0', inherit: true } })).status, 200)
  t.equal((await p.call('POST', '/t/hn/procedures/procedures', { token: as.qtv, body: copyProcedure })).status, 201)
  t.equal((await p.call('POST', `/t/hn/procedures/procedures/${copyProcedure.code}/publish`, { token: as.qtv, body: {} })).status, 201)
  await until(() => p.call('GET', '/t/hn/portal/procedures', { token: as.qtv }), (answer) => answer.body.procedures?.length === 1, 10_000)

  const browser = await launchBrowser(t)
  const page = await browser.newPage()
  await signInToConsole(page, p.url, 'qtv', 'mật-khẩu-đủ-dài')
  await page.goto(`${p.url}/console/#/services/hn/portal`)
  const frame = page.frameLocator('iframe.plugin-page')
  const form = frame.locator('form').filter({ hasText: copyProcedure.code })
  await form.waitFor()
  t.equal(await form.getByLabel('Đang xử lý (xu-ly)', { exact: true }).count(), 1, 'each step named as the workflow names it, its status chosen beside it')
  const choose = async (states: Record<string, string>): Promise<void> => {
    for (const [step, status] of Object.entries(states)) await form.locator(`select[name="${step}"]`).selectOption(status)
  }
  // Received (2) straight to result returned (10): the page says why, and nothing is saved.
  await choose({ moi: '1', 'tiep-nhan': '2', 'xu-ly': '10', 'da-xu-ly': '9', 'tra-ket-qua': '10' })
  await form.getByRole('button', { name: 'Lưu' }).click()
  await form.getByRole('status').filter({ hasText: 'Cổng không cho chuyển từ trạng thái 2 sang 10' }).waitFor()
  t.same((await p.call('GET', '/t/hn/portal/procedures', { token: as.qtv })).body.procedures[0].mapping, null, 'nothing saved')
  await choose({ 'xu-ly': '4' })
  await form.getByRole('button', { name: 'Lưu' }).click()
  await form.getByRole('status').filter({ hasText: 'Đã lưu.' }).waitFor()
  t.same((await p.call('GET', '/t/hn/portal/procedures', { token: as.qtv })).body.procedures[0].mapping, { moi: 1, 'tiep-nhan': 2, 'xu-ly': 4, 'da-xu-ly': 9, 'tra-ket-qua': 10 }, 'saved as chosen')
  await frame.locator('#counts').filter({ hasText: 'Chờ gửi' }).waitFor()
  await browser.screenshot(page, 'exchange-04-portal-mapping')
  t.same(browser.errors, [], 'no errors in any browser console')
})
