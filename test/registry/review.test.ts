import { join } from 'node:path'
import t from 'tap'
import { createRegistrySigner } from '../../registry/signing.ts'
import { request } from '../helpers/http.ts'
import { examples, startPluginPlatform } from '../helpers/plugins.ts'
import { folderEntries, helloPackage, permitsPackage, tgz } from '../helpers/tgz.ts'

t.test('review: platform-admins approve or reject, never their own upload; approval is signed; revoke', async (t) => {
  const p = await startPluginPlatform(t)
  await p.call('POST', '/api/v1/tenants/hn/users', { token: p.admin, body: { username: 'hn-dev', password: 'hn-dev-password', roles: ['developer'] } })
  await p.call('POST', '/api/v1/tenants/vn/users', { token: p.admin, body: { username: 'reviewer', password: 'reviewer-password', roles: ['platform-admin'] } })
  const dev = await p.signIn('hn-dev', 'hn-dev-password')
  const reviewer = await p.signIn('reviewer', 'reviewer-password')
  const upload = async (version: string, token: string) => request(p.url, 'POST', '/api/v1/registry/packages', { token, raw: await permitsPackage(version), headers: { 'content-type': 'application/gzip' } })
  const act = (version: string, action: string, token: string, body: Record<string, unknown> = {}) => p.call('POST', `/api/v1/registry/packages/hn/permits/versions/${version}/${action}`, { token, body })

  t.equal((await upload('1.0.0', dev)).status, 201)
  t.equal((await upload('1.1.0', p.admin)).status, 201, 'admin may publish under hn: it is tenant-admin above it')

  const byDeveloper = await act('1.0.0', 'approve', dev, { comment: 'looks fine to me' })
  t.equal(byDeveloper.status, 403, 'a developer cannot approve')
  const ownUpload = await act('1.1.0', 'approve', p.admin, {})
  t.equal(ownUpload.status, 403)
  t.equal(ownUpload.body.error.code, 'REG_ERR_SELF_REVIEW', 'the publisher cannot approve its own upload')

  const approved = await act('1.0.0', 'approve', reviewer, { comment: 'storage only; fine' })
  t.equal(approved.status, 200)
  t.match(approved.body, { status: 'approved', review: { reviewer: 'reviewer', comment: 'storage only; fine' } })
  const row = await p.platform.services.db.knex('registry_versions').where({ name: '@hn/permits', version: '1.0.0' }).first()
  const signer = createRegistrySigner(p.config.secretKey!)
  t.ok(signer.verify('@hn/permits', '1.0.0', row.sha256, row.signature), 'the approval carries a valid platform signature')
  t.notOk(signer.verify('@hn/permits', '1.0.0', '0'.repeat(64), row.signature), 'which does not fit other bytes')

  t.equal((await act('1.0.0', 'approve', reviewer)).body.error.code, 'REG_ERR_WRONG_STATUS', 'approving twice is refused')
  const rejected = await act('1.1.0', 'reject', reviewer, { comment: 'needs a README' })
  t.match(rejected.body, { status: 'rejected', review: { comment: 'needs a README' } })
  t.equal((await act('1.1.0', 'revoke', reviewer, { reason: 'x' })).status, 409, 'only an approved version is revoked')
  const noReason = await act('1.0.0', 'revoke', reviewer, {})
  t.equal(noReason.status, 422)
  t.equal(noReason.body.error.field, 'reason')
  const revoked = await act('1.0.0', 'revoke', reviewer, { reason: 'leaks permit owners' })
  t.match(revoked.body, { status: 'revoked', review: { revokeReason: 'leaks permit owners' } })

  const audit = (await p.platform.services.db.knex('audit_log').where('action', 'like', 'registry.%').orderBy('seq').select('action', 'actor')).map((a) => `${a.action}:${a.actor}`)
  t.same(audit, ['registry.first-party:null', 'registry.first-party:null', 'registry.first-party:null', 'registry.upload:hn-dev', 'registry.upload:admin', 'registry.approve:reviewer', 'registry.reject:reviewer', 'registry.revoke:reviewer'])
})

t.test('a version that failed a check is approved only with an override and its reason; a rejection says why', async (t) => {
  const p = await startPluginPlatform(t)
  await p.call('POST', '/api/v1/tenants/hn/users', { token: p.admin, body: { username: 'hn-dev', password: 'hn-dev-password', roles: ['developer'] } })
  const dev = await p.signIn('hn-dev', 'hn-dev-password')
  // A route for the role "publik", which nobody can hold, and a handler main does not export.
  const first = await request(p.url, 'POST', '/api/v1/registry/packages', { token: dev, raw: await helloPackage('1.0.0'), headers: { 'content-type': 'application/gzip' } })
  t.equal(first.status, 201)
  t.equal((await p.call('POST', '/api/v1/registry/packages/hn/hello/versions/1.0.0/approve', { token: p.admin, body: {} })).status, 200)
  const broken = folderEntries(join(examples, 'hello'), (m) => ({
    ...m,
    version: '2.0.0',
    routes: [...(m.routes as unknown[]), { method: 'GET', path: '/secret', handler: 'hello', access: 'publik' }, { method: 'GET', path: '/gone', handler: 'notThere', access: 'public' }],
  })).map((entry) => entry.name === 'index.js' ? { ...entry, content: `${String(entry.content)}\n// phiên bản 2: gửi lời chào kèm ngày\n` } : entry)
  const uploaded = await request(p.url, 'POST', '/api/v1/registry/packages', { token: dev, raw: await tgz(broken), headers: { 'content-type': 'application/gzip' } })
  t.equal(uploaded.status, 201)
  // The reviewer reads the code and what changed since the approved 1.0.0.
  const files = (await p.call('GET', '/api/v1/registry/packages/@hn/hello/versions/2.0.0/files', { token: p.admin })).body
  t.equal(files.previous, '1.0.0')
  const byPath = new Map(files.files.map((f: { path: string }) => [f.path, f]))
  t.match(byPath.get('index.js'), { status: 'changed', text: /export/, patch: /\n\+\/\/ phiên bản 2: gửi lời chào kèm ngày\n/ }, 'the changed line, in a unified diff')
  t.match(byPath.get('plugin.json'), { status: 'changed', patch: /\+.*publik/ })
  t.same(files.removed, [])
  t.equal((await p.call('GET', '/api/v1/registry/packages/@hn/hello/versions/2.0.0/files', { token: dev })).status, 200, 'its publisher reads them too')
  t.match(uploaded.body.checks.filter((c: { ok: boolean }) => !c.ok), [
    { id: 'handlers', message: /notThere/ },
    { id: 'access', message: /GET \/secret: 'publik'/ },
  ], 'both problems named')
  const act = (action: string, body: Record<string, unknown>) => p.call('POST', `/api/v1/registry/packages/@hn/hello/versions/2.0.0/${action}`, { token: p.admin, body })
  const plain = await act('approve', { comment: '' })
  t.equal(plain.status, 422)
  t.match(plain.body.error, { code: 'REG_ERR_CHECKS_FAILED', field: 'override', message: /handlers, access/ })
  t.match((await act('approve', { override: true, comment: 'ok' })).body.error, { code: 'CORE_ERR_INVALID_FIELD', field: 'comment' }, 'an override needs a reason')
  t.match((await act('reject', {})).body.error, { field: 'comment' }, 'a rejection needs its reason')
  t.match((await act('reject', { comment: '' })).body.error, { field: 'comment' })
  const overridden = await act('approve', { override: true, comment: 'Thử nghiệm nội bộ: tuyến /secret không dùng đến' })
  t.equal(overridden.status, 200)
  const audited = (await p.call('GET', '/api/v1/tenants/hn/audit?action=registry.approve', { token: p.admin })).body.items
  t.match(audited[0], { actor: 'admin', target: '@hn/hello@2.0.0', details: { override: true, failed: ['handlers', 'access'], comment: /Thử nghiệm nội bộ/ } }, 'the override and its reason are in the audit log')
})
