import t from 'tap'
import { ADMIN_PASSWORD } from '../helpers/platform.ts'
import { whileNeighbourServes } from '../helpers/neighbour.ts'
import { startPluginPlatform } from '../helpers/plugins.ts'

/**
 * A commune's tenant-admin against accounts homed in its commune that hold more than it does: a
 * province admin and a platform-admin. Setting a password is signing in as the account.
 */
t.test('a commune admin cannot reset, disable or rename an account that outranks it, even one homed in the commune', async (t) => {
  const p = await startPluginPlatform(t)
  const admin = p.admin
  await p.call('POST', '/api/v1/tenants/hn/children', { token: admin, body: { code: 'hn-ba-dinh', name: 'Phường Ba Đình' } })
  const create = (username: string, roles: string[] = []) => p.call('POST', '/api/v1/tenants/hn-ba-dinh/users', { token: admin, body: { username, password: `${username}-password`, roles } })
  await create('ba-dinh-admin', ['tenant-admin'])
  await create('clerk', ['officer'])
  await create('province-admin')
  await create('national-admin')
  await create('hn-developer')
  await p.call('POST', '/api/v1/tenants/hn/grants', { token: admin, body: { username: 'province-admin', role: 'tenant-admin', includeDescendants: true } })
  await p.call('POST', '/api/v1/tenants/vn/grants', { token: admin, body: { username: 'national-admin', role: 'platform-admin', includeDescendants: false } })
  await p.call('POST', '/api/v1/tenants/hn/grants', { token: admin, body: { username: 'hn-developer', role: 'developer', includeDescendants: false } })
  const communeAdmin = await p.signIn('ba-dinh-admin', 'ba-dinh-admin-password')

  for (const target of ['province-admin', 'national-admin', 'hn-developer']) {
    const { statuses } = await whileNeighbourServes(p, async () => {
      for (const change of [{ password: 'taken-over-password' }, { disabled: true }, { displayName: 'Người khác' }]) {
        const answer = await p.call('PATCH', `/api/v1/tenants/hn-ba-dinh/users/${target}`, { token: communeAdmin, body: change })
        t.equal(answer.status, 403, `${target}: ${Object.keys(change)[0]}`)
        t.equal(answer.body.error.code, 'CORE_ERR_ROLE_NOT_HELD')
      }
    })
    t.ok(statuses.every((s) => s === 200), 'hcm kept answering')
    t.equal((await p.call('POST', '/api/v1/auth/token', { body: { username: target, password: 'taken-over-password' } })).status, 401, `${target}'s password is unchanged`)
    await p.signIn(target, `${target}-password`)
  }
  const audit = await p.call('GET', '/api/v1/tenants/vn/audit?action=user.update', { token: admin })
  t.equal(audit.status, 200)
  t.same(audit.body.items, [], 'nothing was changed, so nothing was audited')

  const clerk = await p.call('PATCH', '/api/v1/tenants/hn-ba-dinh/users/clerk', { token: communeAdmin, body: { password: 'a-new-clerk-password', displayName: 'Trần Văn Bình' } })
  t.equal(clerk.status, 200, 'its own officer is still managed as before')
  t.equal(clerk.body.displayName, 'Trần Văn Bình')
  await p.signIn('clerk', 'a-new-clerk-password')

  const byProvince = await p.call('PATCH', '/api/v1/tenants/hn-ba-dinh/users/hn-developer', { token: await p.signIn('province-admin', 'province-admin-password'), body: { disabled: true } })
  t.equal(byProvince.status, 200, 'the province admin manages the developer of its province')
  const byRoot = await p.call('PATCH', '/api/v1/tenants/hn-ba-dinh/users/national-admin', { token: await p.signIn('admin', ADMIN_PASSWORD), body: { displayName: 'Quản trị quốc gia' } })
  t.equal(byRoot.status, 200, 'a platform-admin manages a platform-admin')
})
