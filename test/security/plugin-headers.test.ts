// SQLite pass only: what is tested is the isolate, the worker process or the HTTP layer, not storage.
import t from 'tap'
import { whileNeighbourServes } from '../helpers/neighbour.ts'
import { startPluginPlatform } from '../helpers/plugins.ts'

t.test('a plugin sets only the response headers it may: no redirect off the platform, no sign-out, no policies', async (t) => {
  const p = await startPluginPlatform(t)
  await p.install('hn', 'bad', 'misbehave')
  const get = (kind: string) => fetch(`${p.url}/t/hn/bad/hostile-headers/${kind}`, { redirect: 'manual' })
  const { statuses, result } = await whileNeighbourServes(p, async () => Object.fromEntries(await Promise.all(['redirect', 'protocolRelative', 'backslash', 'refresh', 'clearSite', 'policy', 'many', 'fine'].map(async (kind) => [kind, await get(kind)] as const))))
  for (const kind of ['redirect', 'protocolRelative', 'backslash']) t.equal(result[kind]!.headers.get('location'), null, `${kind}: no Location to another site`)
  t.equal(result.refresh!.headers.get('refresh'), null)
  t.equal(result.clearSite!.headers.get('clear-site-data'), null)
  t.equal(result.policy!.headers.get('content-security-policy'), null)
  t.equal(result.policy!.headers.get('access-control-allow-origin'), '*', 'CORS stays the platform\'s')
  t.equal(result.policy!.headers.get('access-control-allow-credentials'), null)
  t.equal(result.policy!.headers.get('x-frame-options'), null)
  t.equal(result.many!.status, 502, '5,000 headers are a bad response')
  t.equal(((await result.many!.json()) as { error: { code: string } }).error.code, 'SBX_ERR_BAD_RESPONSE')
  t.equal(result.fine!.status, 201)
  t.equal(result.fine!.headers.get('location'), '/t/hn/bad/items/7', 'a path on the platform is fine')
  t.equal(result.fine!.headers.get('cache-control'), 'no-store')
  t.equal(result.fine!.headers.get('x-trace'), 'abc')
  t.equal(result.fine!.headers.get('content-disposition'), 'attachment; filename="bao-cao.csv"')
  t.ok(statuses.every((s) => s === 200), 'hcm kept answering')
})
