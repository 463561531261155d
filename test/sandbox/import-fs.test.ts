// SQLite pass only: what is tested is the isolate, the worker process or the HTTP layer, not storage.
import t from 'tap'
import { startPluginPlatform } from '../helpers/plugins.ts'
import { whileNeighbourServes } from '../helpers/neighbour.ts'

t.test("a plugin importing 'fs' fails to load, with a message naming the import", async (t) => {
  const p = await startPluginPlatform(t)
  await p.install('hn', 'fs', 'imports-fs')
  const { statuses, result } = await whileNeighbourServes(p, () => p.call('GET', '/t/hn/fs/read'))
  t.equal(result.status, 500)
  t.equal(result.body.error.code, 'SBX_ERR_LOAD_FAILED')
  t.match(result.body.error.message, /may import its own files and 'nentang:sdk' only, not 'fs'/)
  t.ok(statuses.every((s) => s === 200), 'hcm kept answering')
})
