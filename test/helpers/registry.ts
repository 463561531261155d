import { request } from './http.ts'
import { fixtures } from './plugins.ts'
import type { TestPlatform } from './platform.ts'
import { folderEntries, tgz } from './tgz.ts'

/**
 * Publishes a fixture plugin folder through the registry as `admin` and has a second platform-admin approve it
 * (the publisher may not review its own upload): what every node then learns from the database.
 */
export async function publishFixture (p: Pick<TestPlatform, 'url' | 'call' | 'signIn'>, admin: string, folder: string): Promise<void> {
  const uploaded = await request(p.url, 'POST', '/api/v1/registry/packages', { token: admin, raw: await tgz(folderEntries(`${fixtures}${folder}`)), headers: { 'content-type': 'application/gzip' } })
  if (uploaded.status !== 201) throw new Error(`upload of ${folder}: ${JSON.stringify(uploaded.body)}`)
  const created = await p.call('POST', '/api/v1/tenants/vn/users', { token: admin, body: { username: 'reviewer', password: 'reviewer-password', displayName: 'Người duyệt', roles: ['platform-admin'] } })
  if (created.status !== 201 && created.body?.error?.code !== 'CORE_ERR_USER_EXISTS') throw new Error(JSON.stringify(created.body))
  const reviewer = await p.signIn('reviewer', 'reviewer-password')
  const { name, version } = uploaded.body as { name: string, version: string }
  const approved = await p.call('POST', `/api/v1/registry/packages/${name.slice(1)}/versions/${version}/approve`, { token: reviewer, body: {} })
  if (approved.status !== 200) throw new Error(`approval of ${folder}: ${JSON.stringify(approved.body)}`)
}
