import t from 'tap'
import { ADMIN_PASSWORD, startTestPlatform } from '../helpers/platform.ts'

// The delegated-administration scenario of issue 2, over real HTTP.
t.test('a province admin manages its subtree and nothing else', async (t) => {
  const p = await startTestPlatform(t)
  const admin = await p.signIn('admin', ADMIN_PASSWORD)

  t.equal((await p.call('POST', '/api/v1/tenants/vn/children', { token: admin, body: { code: 'hn', name: 'Thành phố Hà Nội', adminUnitCode: '01' } })).status, 201)
  const commune = await p.call('POST', '/api/v1/tenants/hn/children', { token: admin, body: { code: 'hn-ba-dinh', name: 'Phường Ba Đình', adminUnitCode: '00004' } })
  t.equal(commune.status, 201)
  t.match(commune.body, { code: 'hn-ba-dinh', name: 'Phường Ba Đình', parent: 'hn', path: 'vn/hn/hn-ba-dinh', adminUnitCode: '00004' })
  t.equal((await p.call('POST', '/api/v1/tenants/vn/children', { token: admin, body: { code: 'hcm', name: 'Thành phố Hồ Chí Minh' } })).status, 201)

  t.equal((await p.call('POST', '/api/v1/tenants/hn/users', { token: admin, body: { username: 'hn-admin', password: 'hn-admin-password', displayName: 'Quản trị Hà Nội' } })).status, 201)
  const grant = await p.call('POST', '/api/v1/tenants/hn/grants', { token: admin, body: { username: 'hn-admin', role: 'tenant-admin', includeDescendants: true } })
  t.equal(grant.status, 201)
  t.match(grant.body, { username: 'hn-admin', role: 'tenant-admin', tenant: 'hn', includeDescendants: true })

  const hnAdmin = await p.signIn('hn-admin', 'hn-admin-password')
  const officer = await p.call('POST', '/api/v1/tenants/hn-ba-dinh/users', { token: hnAdmin, body: { username: 'officer-1', password: 'officer-1-password', displayName: 'Trần Thị Bình', roles: ['officer'] } })
  t.equal(officer.status, 201, 'hn-admin creates an officer in its commune')
  t.match(officer.body, { username: 'officer-1', tenant: 'hn-ba-dinh', disabled: false })

  const children = await p.call('GET', '/api/v1/tenants/hn/children', { token: hnAdmin })
  t.same(children.body.items.map((c: { code: string }) => c.code), ['hn-ba-dinh'])

  // Outside its subtree, hcm does not exist for hn-admin.
  for (const path of ['/api/v1/tenants/hcm', '/api/v1/tenants/hcm/users', '/api/v1/tenants/hcm/children', '/api/v1/tenants/hcm/grants']) {
    const response = await p.call('GET', path, { token: hnAdmin })
    t.equal(response.status, 404, `GET ${path} is 404`)
    t.equal(response.body.error.code, 'CORE_ERR_NOT_FOUND')
  }
  t.same((await p.call('GET', '/api/v1/tenants/nowhere', { token: hnAdmin })).body.error.message, "tenant 'nowhere' not found", 'a missing tenant looks the same as one out of reach')
  const underHcm = await p.call('POST', '/api/v1/tenants/hcm/children', { token: hnAdmin, body: { code: 'hcm-x', name: 'X' } })
  t.equal(underHcm.status, 404, 'cannot create a child under hcm')

  const platformAdmin = await p.call('POST', '/api/v1/tenants/hn/grants', { token: hnAdmin, body: { username: 'officer-1', role: 'platform-admin' } })
  t.equal(platformAdmin.status, 422, 'platform-admin is never granted below vn')
  t.equal(platformAdmin.body.error.code, 'CORE_ERR_ROOT_ONLY_ROLE')
  const platformAdminAtVn = await p.call('POST', '/api/v1/tenants/vn/grants', { token: hnAdmin, body: { username: 'officer-1', role: 'platform-admin' } })
  t.equal(platformAdminAtVn.status, 404, 'vn is out of reach for hn-admin')
  for (const role of ['member', 'tenant-admin', 'officer']) {
    const atVn = await p.call('POST', '/api/v1/tenants/vn/grants', { token: hnAdmin, body: { username: 'officer-1', role } })
    t.equal(atVn.status, 404, `cannot grant ${role} at vn`)
  }
  const hnUsers = await p.call('POST', '/api/v1/tenants/hn/users', { token: admin, body: { username: 'hn-dev', password: 'hn-dev-password' } })
  t.equal(hnUsers.status, 201)
  const notHeld = await p.call('POST', '/api/v1/tenants/hn/grants', { token: hnAdmin, body: { username: 'hn-dev', role: 'platform-admin' } })
  t.equal(notHeld.status, 422, 'platform-admin is refused at hn too')

  const officerToken = await p.signIn('officer-1', 'officer-1-password')
  const me = await p.call('GET', '/api/v1/me', { token: officerToken })
  t.equal(me.status, 200)
  t.same(me.body, {
    user: { username: 'officer-1', displayName: 'Trần Thị Bình', tenant: 'hn-ba-dinh', tenantName: 'Phường Ba Đình, Thành phố Hà Nội' },
    grants: [{ role: 'officer', tenant: 'hn-ba-dinh', includeDescendants: false }],
    security: { factorRequired: false, factors: [], passwordExpiresAt: null },
  })
  t.equal((await p.call('GET', '/api/v1/tenants/hn-ba-dinh', { token: officerToken })).status, 200, 'an officer sees its own tenant')
  t.equal((await p.call('GET', '/api/v1/tenants/hn-ba-dinh/users', { token: officerToken })).status, 403, 'but does not administer it')
  t.equal((await p.call('GET', '/api/v1/tenants/hn', { token: officerToken })).status, 404, 'nor sees its parent')
})

t.test('a tenant-admin can pass on only what it holds', async (t) => {
  const p = await startTestPlatform(t)
  const admin = await p.signIn('admin', ADMIN_PASSWORD)
  await p.call('POST', '/api/v1/tenants/vn/children', { token: admin, body: { code: 'hn', name: 'Hà Nội' } })
  await p.call('POST', '/api/v1/tenants/hn/children', { token: admin, body: { code: 'hn-ba-dinh', name: 'Ba Đình' } })
  await p.call('POST', '/api/v1/tenants/hn-ba-dinh/users', { token: admin, body: { username: 'commune-admin', password: 'commune-admin-pw', roles: ['tenant-admin'] } })
  await p.call('POST', '/api/v1/tenants/hn/users', { token: admin, body: { username: 'someone', password: 'someone-password' } })
  const communeAdmin = await p.signIn('commune-admin', 'commune-admin-pw')

  t.equal((await p.call('POST', '/api/v1/tenants/hn-ba-dinh/users', { token: communeAdmin, body: { username: 'helper', password: 'helper-password', roles: ['tenant-admin'] } })).status, 201, 'it may make another tenant-admin of its own tenant')
  const withDescendants = await p.call('POST', '/api/v1/tenants/hn-ba-dinh/grants', { token: communeAdmin, body: { username: 'helper', role: 'member', includeDescendants: true } })
  t.equal(withDescendants.status, 403, 'it does not hold member over a subtree')
  const grantee = await p.call('POST', '/api/v1/tenants/hn-ba-dinh/grants', { token: communeAdmin, body: { username: 'someone', role: 'tenant-admin' } })
  t.equal(grantee.status, 404, 'a user homed above its reach does not exist for it')
  t.equal(grantee.body.error.field, 'username')

  const duplicate = await p.call('POST', '/api/v1/tenants/hn-ba-dinh/users', { token: admin, body: { username: 'helper', password: 'helper-password' } })
  t.equal(duplicate.status, 409)
  t.equal(duplicate.body.error.code, 'CORE_ERR_USER_EXISTS')
  const dupTenant = await p.call('POST', '/api/v1/tenants/vn/children', { token: admin, body: { code: 'hn-ba-dinh', name: 'again' } })
  t.equal(dupTenant.status, 409, 'tenant codes are unique platform-wide')
  t.equal(dupTenant.body.error.code, 'CORE_ERR_TENANT_EXISTS')

  const grants = await p.call('GET', '/api/v1/tenants/hn-ba-dinh/grants', { token: communeAdmin })
  const helperGrant = grants.body.items.find((g: { username: string }) => g.username === 'helper')
  t.equal((await p.call('DELETE', `/api/v1/tenants/hn-ba-dinh/grants/${helperGrant.id}`, { token: communeAdmin })).status, 204, 'revokes what it granted')
  const helper = await p.signIn('helper', 'helper-password')
  t.same((await p.call('GET', '/api/v1/me', { token: helper })).body.grants, [], 'the revoked grant is gone at once')
})

t.test('a grant is widened to the units below, or narrowed, in place; only by who could grant the wider one', async (t) => {
  const p = await startTestPlatform(t)
  const admin = await p.signIn('admin', ADMIN_PASSWORD)
  await p.call('POST', '/api/v1/tenants/vn/children', { token: admin, body: { code: 'hn', name: 'Hà Nội' } })
  await p.call('POST', '/api/v1/tenants/hn/children', { token: admin, body: { code: 'hn-ba-dinh', name: 'Ba Đình' } })
  await p.call('POST', '/api/v1/tenants/hn/users', { token: admin, body: { username: 'tinh', password: 'mật-khẩu-tỉnh', roles: ['officer'] } })
  await p.call('POST', '/api/v1/tenants/hn-ba-dinh/users', { token: admin, body: { username: 'xa', password: 'mật-khẩu-xã-dài', roles: ['tenant-admin'] } })
  const grant = (await p.call('GET', '/api/v1/tenants/hn/grants', { token: admin })).body.items.find((g: { username: string }) => g.username === 'tinh')
  const again = await p.call('POST', '/api/v1/tenants/hn/grants', { token: admin, body: { username: 'tinh', role: 'officer', includeDescendants: true } })
  t.equal(again.status, 409)
  t.match(again.body.error.message, /PATCH the grant/, 'the conflict says how to widen it')
  const tinh = await p.signIn('tinh', 'mật-khẩu-tỉnh')
  const reachesWard = async (): Promise<boolean> => (await p.call('GET', '/api/v1/me', { token: tinh })).body.grants.some((g: { includeDescendants: boolean }) => g.includeDescendants)

  const xa = await p.signIn('xa', 'mật-khẩu-xã-dài')
  t.equal((await p.call('PATCH', `/api/v1/tenants/hn/grants/${grant.id}`, { token: xa, body: { includeDescendants: true } })).status, 404, 'a ward admin does not reach the province\'s grants')
  const widened = await p.call('PATCH', `/api/v1/tenants/hn/grants/${grant.id}`, { token: admin, body: { includeDescendants: true } })
  t.equal(widened.status, 200)
  t.match(widened.body, { id: grant.id, role: 'officer', includeDescendants: true })
  t.ok(await reachesWard(), 'the holder\'s session sees it at once')
  t.match((await p.call('PATCH', `/api/v1/tenants/hn/grants/${grant.id}`, { token: admin, body: { includeDescendants: true } })).body, { includeDescendants: true }, 'asked again: already so')
  t.equal((await p.call('PATCH', `/api/v1/tenants/hn/grants/${grant.id}`, { token: admin, body: { includeDescendants: 'có' } })).status, 422)
  t.equal((await p.call('PATCH', `/api/v1/tenants/hn/grants/${grant.id}`, { token: admin, body: { includeDescendants: false } })).status, 200)
  t.notOk(await reachesWard(), 'narrowed, at once')
  const audit = (await p.call('GET', '/api/v1/tenants/hn/audit?action=grant.update', { token: admin })).body.items
  t.match(audit.map((e: { details: unknown }) => e.details), [{ includeDescendants: false, was: true }, { includeDescendants: true, was: false }], 'each change audited, newest first')
})
