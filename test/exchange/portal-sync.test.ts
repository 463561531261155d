import t from 'tap'
import { startSimulator } from '../../examples/lgsp-simulator/simulator.ts'
import { copyProcedure as copy, units } from '../helpers/procedures.ts'
import { until } from '../helpers/wait.ts'

/** yyyyMMddHHmmss in Vietnam's time, as the portal wants it, worked out here independently of the plugin. */
const vietnamTime = (iso: string): string => {
  const parts = Object.fromEntries(new Intl.DateTimeFormat('en-GB', { timeZone: 'Asia/Ho_Chi_Minh', year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit', second: '2-digit', hourCycle: 'h23' })
    .formatToParts(new Date(iso)).map((part) => [part.type, part.value]))
  return `${parts.year}${parts.month}${parts.day}${parts.hour}${parts.minute}${parts.second}`
}

t.test('a dossier filed and processed at a ward reaches the portal as 1 → 2 → 4 → 9 → 10, in Vietnam time; an illegal mapping is refused; an outage loses nothing', async (t) => {
  const p = await units(t)
  const { as } = p
  const sim = await startSimulator()
  t.teardown(() => sim.close())
  const installed = await p.call('PUT', '/api/v1/tenants/hn/plugins/portal', { token: p.admin, body: { package: '@vn/portal-sync', version: '1.0.0', inherit: true, settings: { retryBaseSeconds: 1 } } })
  t.equal(installed.status, 200, JSON.stringify(installed.body))
  const endpoint = await p.call('PUT', '/api/v1/tenants/hn/plugins/portal/endpoints/portal', {
    token: p.admin,
    body: { baseUrl: `${sim.url}/portal`, auth: { kind: 'session', loginPath: '/login', username: sim.credentials.portal.username, password: sim.credentials.portal.password }, allowPrivate: true, retries: 0 },
  })
  t.equal(endpoint.status, 201)

  const procedures = (who: string, method: string, path: string, body?: unknown) => p.call(method, `/t/hn-ba-dinh/procedures${path}`, { token: as[who], ...(body === undefined ? {} : { body }) })
  const defined = await p.call('POST', '/t/hn/procedures/procedures', { token: as.qtv, body: copy })
  t.equal(defined.status, 201, JSON.stringify(defined.body).slice(0, 300))
  t.equal((await p.call('POST', `/t/hn/procedures/procedures/${copy.code}/publish`, { token: as.qtv, body: {} })).status, 201)
  const known = await until(() => p.call('GET', '/t/hn/portal/procedures', { token: as.qtv }), (answer) => answer.body.procedures?.length === 1, 10_000)
  t.match(known.body.procedures, [{ code: copy.code, version: 1, mapping: null }], 'the portal sync heard the procedure published')

  const map = (states: Record<string, number>) => p.call('PUT', `/t/hn/portal/mappings/${copy.code}`, { token: as.qtv, body: { states } })
  const jump = await map({ moi: 1, 'tiep-nhan': 2, 'xu-ly': 10, 'da-xu-ly': 9, 'tra-ket-qua': 10 })
  t.equal(jump.status, 422, 'received (2) cannot jump to result returned (10)')
  t.match(jump.body.error, { code: 'PORTAL_SYNC_ILLEGAL_MAPPING', field: 'states/xu-ly', message: /Cổng không cho chuyển từ trạng thái 2 sang 10/ })
  const english = await p.call('PUT', `/t/hn/portal/mappings/${copy.code}`, { token: as.qtv, body: { states: { moi: 1, 'tiep-nhan': 2, 'xu-ly': 10, 'da-xu-ly': 9, 'tra-ket-qua': 10 } }, headers: { 'accept-language': 'en' } })
  t.match(english.body.error, { message: /does not allow status 2 → 10/ }, 'in English when asked')
  t.match((await map({ moi: 2, 'tiep-nhan': 2, 'xu-ly': 4, 'da-xu-ly': 9, 'tra-ket-qua': 10 })).body.error, { field: 'states/moi' }, 'the first step is newly registered')
  t.match((await map({ moi: 1, 'tiep-nhan': 2 })).body.error.errors, [{ field: 'states/xu-ly' }, { field: 'states/da-xu-ly' }, { field: 'states/tra-ket-qua' }], 'every step needs a status')
  t.equal((await map({ moi: 1, 'tiep-nhan': 2, 'xu-ly': 4, 'da-xu-ly': 9, 'tra-ket-qua': 10, extra: 3 })).status, 422, 'a step the workflow does not have')
  t.equal((await p.call('PUT', `/t/hn-ba-dinh/portal/mappings/${copy.code}`, { token: as.canbo, body: { states: {} } })).status, 403, 'an officer cannot map')
  t.equal((await map({ moi: 1, 'tiep-nhan': 2, 'xu-ly': 4, 'da-xu-ly': 9, 'tra-ket-qua': 10 })).status, 200)

  // A citizen of Ba Đình files under the province's procedure; an officer takes it all the way.
  const filed = await procedures('dan', 'POST', '/dossiers', { procedure: copy.code, data: { hoTen: 'Nguyễn Thị Mai' } })
  t.equal(filed.status, 201)
  const dossier = filed.body
  for (const action of ['nhan', 'xu-ly', 'duyet', 'tra']) {
    const acted = await procedures('canbo', 'POST', `/dossiers/${dossier._id}/actions`, { action })
    t.equal(acted.status, 200, `${action}: ${JSON.stringify(acted.body).slice(0, 200)}`)
  }
  const reached = await until(async () => sim.portal.get(dossier.receipt)?.statuses ?? [], (statuses) => statuses.length >= 5, 15_000)
  t.same(reached, [1, 2, 4, 9, 10], 'the portal saw every status, in order')
  const calls = sim.portal.get(dossier.receipt)!.calls
  t.same(calls.map((call) => call.call), ['DongBoHoSoMC', 'CapNhatTienDoHoSoMC', 'CapNhatTienDoHoSoMC', 'CapNhatTienDoHoSoMC', 'CapNhatTienDoHoSoMC'])
  t.match(calls[0]!.payload, { MaHoSo: dossier.receipt, MaTTHC: copy.code, TenTTHC: 'Cấp bản sao từ sổ gốc', MaDonVi: 'hn-ba-dinh', ChuHoSo: 'Nguyễn Văn An', TrangThaiHoSo: 1 })
  t.equal(calls[0]!.payload.NgayTiepNhan, vietnamTime(dossier.filedAt), `filed at ${dossier.filedAt}: ${String(calls[0]!.payload.NgayTiepNhan)} in Vietnam time`)
  for (const call of calls.slice(1)) t.match(call.payload.NgayCapNhat, /^20\d{12}$/)
  t.equal(sim.issued.sessions, 1, 'one portal session served every call')
  const shown = (await procedures('canbo', 'GET', '/dossiers').then(() => p.call('GET', `/t/hn-ba-dinh/portal/dossiers/${dossier.receipt}`, { token: as.canbo }))).body
  t.same(shown.calls.map((call: { status: number, state: string }) => `${call.status}:${call.state}`), ['1:sent', '2:sent', '4:sent', '9:sent', '10:sent'], 'each call shown with the dossier')

  // The portal goes down: calls wait, are retried by timer, and arrive in order when it is back.
  sim.behave({ failAll: true })
  const second = (await procedures('dan', 'POST', '/dossiers', { procedure: copy.code, data: { hoTen: 'Trần Văn Bình' } })).body
  t.equal((await procedures('canbo', 'POST', `/dossiers/${second._id}/actions`, { action: 'nhan' })).status, 200)
  const failing = await until(() => p.call('GET', `/t/hn-ba-dinh/portal/dossiers/${second.receipt}`, { token: as.canbo }), (answer) => answer.body.calls?.[0]?.attempts >= 2 && answer.body.calls[0].state === 'failed', 15_000)
  t.match(failing.body.calls, [{ call: 'DongBoHoSoMC', state: 'failed', error: /503/ }, { call: 'CapNhatTienDoHoSoMC', state: 'pending' }], 'the failure is shown, the next call waits behind it')
  const waiting = (await p.call('GET', '/t/hn-ba-dinh/portal/queue', { token: as.qtvbd })).body.counts
  t.same([waiting.failed + waiting.sending, waiting.pending], [1, 1], 'the queue shows one failing (or being retried), one waiting')
  sim.behave({ failAll: false })
  const recovered = await until(async () => sim.portal.get(second.receipt)?.statuses ?? [], (statuses) => statuses.length >= 2, 20_000)
  t.same(recovered, [1, 2], 'nothing lost, nothing out of order')
  t.match((await p.call('GET', '/t/hn-ba-dinh/portal/queue', { token: as.qtvbd })).body.counts, { failed: 0, pending: 0, sent: 7 })

  // Every portal call is in the ward's exchange log, its chain intact.
  const log = (await p.call('GET', '/api/v1/tenants/hn-ba-dinh/exchange-log?limit=500', { token: p.admin })).body.items
  t.ok(log.filter((entry: { outcome: string }) => entry.outcome === 'ok').length >= 7, 'logged')
  t.same((await p.call('GET', '/api/v1/tenants/hn-ba-dinh/exchange-log/verification', { token: p.admin })).body.ok, true)
})
