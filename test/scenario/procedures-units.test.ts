import t from 'tap'
import { loadAdminUnits } from '../../cli/demo/demo-tenants.ts'

interface Province { code: string, name: string, communes: Array<{ code: string, name: string }> }
// The procedures plugin's unit list: plain JavaScript that its pages and its isolate both load.
const { provinces, unitOf } = await import(new URL('../../plugins/procedures/ui/units.js', import.meta.url).href) as {
  provinces: () => Province[]
  unitOf: (code: string) => { code: string, name: string, province: string | null } | undefined
}

t.test("the procedures plugin's unit list is Vietnam's 34 provinces and 3,321 communes, as the demo's data", async (t) => {
  const data = loadAdminUnits()
  const list = provinces()
  t.same(list, data.provinces.map(({ code, name, communes }) => ({ code, name, communes: communes.map(({ code, name }) => ({ code, name })) })))
  t.equal(list.reduce((n, p) => n + p.communes.length, 0), 3321)
  t.same(unitOf('01'), { code: '01', name: 'Thành phố Hà Nội', province: null })
  t.same(unitOf('00004'), { code: '00004', name: 'Phường Ba Đình', province: '01' })
  t.equal(unitOf('99999'), undefined, 'an unknown code is no unit')
  t.equal(provinces(), list, 'read once')
})

t.test("the codes the plugin's isolate checks a unit field against are the same units, and nothing else", async (t) => {
  const { isUnitCode } = await import(new URL('../../plugins/procedures/ui/unit-codes.js', import.meta.url).href) as { isUnitCode: (code: unknown) => boolean }
  const codes = loadAdminUnits().provinces.flatMap((p) => [p.code, ...p.communes.map((c) => c.code)])
  t.equal(codes.filter((code) => !isUnitCode(code)).length, 0, 'every province and commune')
  const text = (await import('node:fs')).readFileSync(new URL('../../plugins/procedures/ui/unit-codes.js', import.meta.url), 'utf8')
  const listed = /const CODES = '([^']*)'/.exec(text)![1]!.split(/[;=,]/)
  t.same(listed.sort(), [...codes].sort(), 'no code beyond them')
  for (const other of ['', '0', '00005', '001', 'hn', '__proto__', 'constructor']) t.notOk(isUnitCode(other), `'${other}' is no unit`)
})
