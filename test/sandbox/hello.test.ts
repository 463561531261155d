import t from 'tap'
import { examples, startPluginPlatform } from '../helpers/plugins.ts'

t.test('the hello example answers over HTTP from a sandbox worker', async (t) => {
  const p = await startPluginPlatform(t)
  await p.install('hn', 'hello', `${examples}hello`)
  const first = await p.call('GET', '/t/hn/hello/hello')
  t.equal(first.status, 200)
  t.same(first.body, { message: 'Xin chào, thế giới!', tenant: 'hn' })
  t.same((await p.call('GET', '/t/hn/hello/hello/Lan')).body, { message: 'Xin chào, Lan!', tenant: 'hn' })
  t.equal((await p.call('GET', '/t/hcm/hello/hello')).status, 404, 'not installed at hcm')
  t.equal((await p.call('GET', '/t/hn/hello/nothing')).status, 404)
  t.equal((await p.call('POST', '/t/hn/hello/hello', { body: {} })).status, 405)
  t.equal(p.platform.services.plugins.supervisor.pids('tenant').length, 1, 'one tenant worker started, on demand')
  t.equal(p.platform.services.plugins.supervisor.pids('first-party').length, 0, 'no first-party worker when no first-party plugin runs')

  const { supervisor } = p.platform.services.plugins
  const standby = supervisor.standby('tenant')?.pid
  const pids = [...supervisor.pids('tenant'), ...standby === undefined ? [] : [standby]]
  await p.platform.close()
  const alive = pids.filter((pid) => { try { process.kill(pid, 0); return true } catch { return false } })
  t.same(alive, [], 'closing the platform leaves no worker process behind')
})
