import SwaggerParser from '@apidevtools/swagger-parser'
import t from 'tap'
import { ADMIN_PASSWORD, startTestPlatform } from '../helpers/platform.ts'

t.test('liveness, readiness and metrics', async (t) => {
  const p = await startTestPlatform(t)
  t.same((await p.call('GET', '/healthz')).body, { status: 'ok' })
  t.same((await p.call('GET', '/readyz')).body, { status: 'ready' })

  const token = await p.signIn('admin', ADMIN_PASSWORD)
  await p.call('GET', '/api/v1/me', { token })
  await p.call('GET', '/api/v1/tenants/nowhere', { token })
  const metrics = await p.call('GET', '/metrics')
  t.equal(metrics.status, 200)
  t.match(metrics.headers.get('content-type'), /text\/plain/)
  t.match(metrics.body, /nentang_http_requests_total\{method="GET",route="\/api\/v1\/me",status="200"\} 1/, 'requests by route pattern and status')
  t.match(metrics.body, /nentang_http_requests_total\{method="GET",route="\/api\/v1\/tenants\/:code",status="404"\} 1/, 'the pattern, not the raw path')
  t.match(metrics.body, /nentang_http_request_duration_seconds_bucket\{le="0.005",method="POST",route="\/api\/v1\/auth\/token"\}/, 'a latency histogram')
  t.match(metrics.body, /nentang_process_resident_memory_bytes/, 'process metrics')

  const id = await p.call('GET', '/healthz', { headers: { 'x-request-id': 'trace-42' } })
  t.equal(id.headers.get('x-request-id'), 'trace-42', 'a sane client request id is kept')
  const generated = await p.call('GET', '/healthz', { headers: { 'x-request-id': 'bad id with spaces' } })
  t.match(generated.headers.get('x-request-id'), /^[0-9a-f-]{36}$/, 'an insane one is replaced')
})

t.test('GET /api/v1/me, answered outside the app, says what the app says: body, headers, errors in the caller\'s language', async (t) => {
  const p = await startTestPlatform(t)
  const token = await p.signIn('admin', ADMIN_PASSWORD)
  // `?` sends the same request through the Koa app: the direct path takes the exact URL only.
  const pairs = [
    [{ token }, 'signed in'],
    [{}, 'no token'],
    [{ token: `${token}x` }, 'a forged token'],
    [{ headers: { authorization: 'Basic YWRtaW46eA==' } }, 'another scheme'],
    [{ token, headers: { 'accept-language': 'en' } }, 'in English'],
    [{ headers: { 'accept-language': 'vi' } }, 'refused, in Vietnamese'],
  ] as const
  for (const [options, why] of pairs) {
    const direct = await p.call('GET', '/api/v1/me', options)
    const throughApp = await p.call('GET', '/api/v1/me?', options)
    t.equal(direct.status, throughApp.status, `${why}: the same status (${direct.status})`)
    const strip = (body: any): unknown => body?.error === undefined ? body : { ...body, error: { ...body.error, requestId: 'x' } }
    t.same(strip(direct.body), strip(throughApp.body), `${why}: the same body`)
    for (const header of ['content-type', 'x-content-type-options', 'x-frame-options', 'strict-transport-security', 'www-authenticate']) {
      t.equal(direct.headers.get(header), throughApp.headers.get(header), `${why}: the same ${header}`)
    }
    t.equal(direct.body?.error?.requestId ?? direct.headers.get('x-request-id'), direct.headers.get('x-request-id'), `${why}: the error names the request id it answered with`)
  }
  const metrics = (await p.call('GET', '/metrics')).body as string
  // Every direct 401 counts under the route (4); through the app, a token refused before routing counts as `unmatched`.
  t.match(metrics, /nentang_http_requests_total\{method="GET",route="\/api\/v1\/me",status="401"\} 6/, 'counted under its route')
  t.match(metrics, /nentang_http_requests_total\{method="GET",route="\/api\/v1\/me",status="200"\} 4/)
})

t.test('readiness fails while migrations are pending', async (t) => {
  const p = await startTestPlatform(t)
  const { db } = p.platform.services
  await db.knex('knex_migrations').delete()
  const response = await p.call('GET', '/readyz')
  t.equal(response.status, 503)
  t.equal(response.body.error.code, 'CORE_ERR_UNAVAILABLE')
  t.match(response.body.error.message, /migrations are pending/)
  t.equal((await p.call('GET', '/healthz')).status, 200, 'while the process stays alive')
})

t.test('every route is in the OpenAPI document', async (t) => {
  const p = await startTestPlatform(t)
  const document = (await p.call('GET', '/api/v1/openapi.json')).body
  t.equal(document.openapi, '3.1.0')
  const routes = [
    'get /healthz', 'get /readyz', 'get /metrics', 'get /api/v1/openapi.json',
    'post /api/v1/auth/token', 'post /api/v1/auth/refresh', 'post /api/v1/auth/sign-out', 'get /api/v1/me', 'post /api/v1/me/password',
    'post /api/v1/auth/factor', 'post /api/v1/auth/factor/passkey-options', 'post /api/v1/auth/enrol/totp', 'post /api/v1/auth/enrol/totp/confirm',
    'post /api/v1/auth/enrol/passkey-options', 'post /api/v1/auth/enrol/passkey', 'post /api/v1/auth/new-password', 'post /api/v1/auth/step-up',
    'post /api/v1/auth/step-up/passkey-options', 'get /api/v1/me/sessions', 'delete /api/v1/me/sessions/{id}', 'delete /api/v1/me/sessions',
    'get /api/v1/auth/providers', 'get /api/v1/auth/oidc/{provider}/start', 'get /api/v1/auth/oidc/{provider}/callback', 'post /api/v1/auth/continue',
    'post /api/v1/auth/oidc/{provider}/backchannel-logout', 'get /api/v1/tenants/{code}/security-policy', 'put /api/v1/tenants/{code}/security-policy',
    'get /api/v1/tenants/{code}/identity-providers', 'post /api/v1/tenants/{code}/identity-providers',
    'patch /api/v1/tenants/{code}/identity-providers/{provider}', 'delete /api/v1/tenants/{code}/identity-providers/{provider}',
    'get /api/v1/tenants/{code}', 'get /api/v1/tenants/{code}/children', 'post /api/v1/tenants/{code}/children',
    'get /api/v1/tenants/{code}/users', 'post /api/v1/tenants/{code}/users',
    'get /api/v1/tenants/{code}/users/{username}', 'patch /api/v1/tenants/{code}/users/{username}',
    'get /api/v1/tenants/{code}/grants', 'post /api/v1/tenants/{code}/grants', 'patch /api/v1/tenants/{code}/grants/{id}', 'delete /api/v1/tenants/{code}/grants/{id}',
    'get /api/v1/schemas/plugin.json', 'post /api/v1/registry/packages', 'get /api/v1/registry/packages',
    'get /api/v1/registry/packages/{scope}/{name}/versions/{version}',
    'get /api/v1/registry/packages/{scope}/{name}/versions/{version}/files',
    'post /api/v1/registry/packages/{scope}/{name}/versions/{version}/approve',
    'post /api/v1/registry/packages/{scope}/{name}/versions/{version}/reject',
    'post /api/v1/registry/packages/{scope}/{name}/versions/{version}/revoke',
    'get /api/v1/tenants/{code}/plugins', 'put /api/v1/tenants/{code}/plugins/{mount}', 'delete /api/v1/tenants/{code}/plugins/{mount}',
    'get /api/v1/tenants/{code}/plugins/{mount}/secrets', 'put /api/v1/tenants/{code}/plugins/{mount}/secrets/{name}', 'delete /api/v1/tenants/{code}/plugins/{mount}/secrets/{name}',
    'get /api/v1/tenants/{code}/search', 'get /api/v1/tenants/{code}/services', 'get /api/v1/tenants/{code}/roles', 'get /api/v1/tenants/{code}/audit', 'get /api/v1/audit/verification', 'get /api/v1/platform/status',
    'get /', 'get /console/', 'get /console/{file}', 'get /api/docs', 'get /api/docs/{file}',
    'post /api/v1/tenants/{code}/plugins/{mount}/page-token',
    'get /api/v1/tenants/{code}/trust-anchors', 'post /api/v1/tenants/{code}/trust-anchors', 'delete /api/v1/tenants/{code}/trust-anchors/{id}',
    'put /api/v1/tenants/{code}/trust-anchors/{id}/revocation-list',
    'get /api/v1/me/certificates', 'post /api/v1/me/certificates',
    'get /api/v1/tenants/{code}/seal', 'put /api/v1/tenants/{code}/seal', 'delete /api/v1/tenants/{code}/seal',
    'get /api/v1/files/{tenant}/{file}',
    'put /api/v1/tenants/{code}/plugins/{mount}/settings', 'delete /api/v1/tenants/{code}/plugins/{mount}/settings',
    'get /api/v1/tenants/{code}/plugins/{mount}/endpoints', 'put /api/v1/tenants/{code}/plugins/{mount}/endpoints/{name}',
    'delete /api/v1/tenants/{code}/plugins/{mount}/endpoints/{name}',
    'get /api/v1/tenants/{code}/clients', 'post /api/v1/tenants/{code}/clients', 'patch /api/v1/tenants/{code}/clients/{client}',
    'post /api/v1/tenants/{code}/clients/{client}/secret', 'post /api/v1/auth/client-token',
    'get /api/v1/catalogue', 'get /api/v1/catalogue/{code}', 'get /api/v1/catalogue/{code}/{service}/openapi.json',
    'put /api/v1/tenants/{code}/published-services/{service}', 'delete /api/v1/tenants/{code}/published-services/{service}',
    'get /api/v1/tenants/{code}/exchange-log', 'get /api/v1/tenants/{code}/exchange-log/export', 'get /api/v1/tenants/{code}/exchange-log/verification',
  ]
  const documented = Object.entries(document.paths as Record<string, Record<string, unknown>>).flatMap(([path, ops]) => Object.keys(ops).map((m) => `${m} ${path}`))
  t.same(documented.sort(), routes.sort())
  const mounted = p.platform.router.stack.flatMap((layer) => layer.methods.filter((m) => m !== 'HEAD').map((m) => `${m.toLowerCase()} ${String(layer.path).replace(/:([a-z]+)/g, '{$1}')}`))
  t.same(mounted.sort(), documented.sort(), 'every mounted route is documented, and nothing else')
  t.match(document.paths['/api/v1/tenants/{code}/children'].post.responses, { 201: {}, 404: {}, 409: {}, 422: {}, 415: {} })
  t.match(document.paths['/api/v1/registry/packages'].post.requestBody.content, { 'application/gzip': {} }, 'the package upload body is described')
  await t.resolves(SwaggerParser.validate(structuredClone(document)), 'the document passes an OpenAPI 3.1 validator')
})
