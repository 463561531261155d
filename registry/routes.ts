import { rmSync } from 'node:fs'
import { appendAudit } from '../core/audit/audit-log.ts'
import { transaction, isUniqueViolation, type Row } from '../core/db/database.ts'
import { CoreError } from '../core/errors.ts'
import { readBody } from '../core/http/body.ts'
import { defineRoute, type Route } from '../core/http/route.ts'
import type { Services } from '../core/services.ts'
import type { Supervisor } from '../sandbox/supervisor.ts'
import { canSee, holds, type Principal } from '../core/tenancy/access.ts'
import { findTenant } from '../core/tenancy/tenants.ts'
import { handlersOf, runChecks } from './checks.ts'
import { reviewFiles } from './review-files.ts'
import { RegistryError } from './errors.ts'
import { manifestSchema } from './manifest-schema.ts'
import { PACKAGE_LIMITS, readPackage } from './package-reader.ts'
import { sha256, storeBlob, unpackForCheck } from './package-store.ts'
import { entrySchema, nameParam, scopeOf, scopeParam, versionParam } from './schemas.ts'
import { findVersion, insertVersion, latestApprovedManifest, listVersions, manifestOf, versionExists, VERSION_STATUSES, type VersionRow, type VersionStatus } from './versions.ts'

const GZIP_TYPES = new Set(['application/gzip', 'application/x-gzip', 'application/octet-stream'])
/** A registry row as the API shows it; the manifest only on the detail view. */
export function entryView (row: Row, detail = false): Record<string, unknown> {
  return {
    name: row.name,
    version: row.version,
    status: row.status,
    sha256: row.sha256,
    publisher: row.publisher,
    publishedAt: row.published_at,
    checks: JSON.parse(String(row.checks)),
    ...(detail
      ? {
          manifest: JSON.parse(String(row.manifest)),
          review: row.reviewer == null
            ? null
            : {
                reviewer: row.reviewer,
                reviewedAt: row.reviewed_at,
                comment: row.review_comment,
                revokeReason: row.revoke_reason,
              },
        }
      : {}),
  }
}

/** Registry entries a caller may see: all for a platform-admin; else its scopes' and approved public ones. */
function visible (principal: Principal, row: Row, scopePath: string | undefined): boolean {
  if (holds(principal, 'platform-admin', 'vn')) return true
  if (scopePath !== undefined && canSee(principal, scopePath)) return true
  const visibility = row.visibility !== undefined ? row.visibility : manifestOf(row).visibility
  return row.status === 'approved' && visibility === 'public'
}

/** Upload and read plugin packages (SPEC §9). Review, installation and hot swap build on these rows. */
export function registryRoutes (services: Services, supervisor: Pick<Supervisor, 'check'>): Route<any>[] {
  const { db, config } = services

  const schema = defineRoute({
    method: 'GET',
    path: '/api/v1/schemas/plugin.json',
    operationId: 'pluginManifestSchema',
    summary: 'The JSON Schema of plugin.json',
    tag: 'registry',
    auth: 'public',
    responses: { 200: { description: 'JSON Schema 2020-12', schema: { type: 'object' } } },
    errors: [],
    async handle () {
      return { status: 200, body: manifestSchema }
    },
  })

  const upload = defineRoute({
    method: 'POST',
    path: '/api/v1/registry/packages',
    operationId: 'uploadPackage',
    summary: 'Upload a plugin package (.tgz) under a scope you develop for; it waits for review',
    tag: 'registry',
    auth: 'user',
    rawBody: { contentType: 'application/gzip', description: 'The package: a gzipped tar with plugin.json at its root (at most 5 MiB)' },
    responses: { 201: { description: 'Uploaded, pending review', schema: entrySchema } },
    errors: [
      CoreError.unsupportedMediaType,
      CoreError.bodyTooLarge,
      RegistryError.packageInvalid,
      RegistryError.packageTooLarge,
      RegistryError.manifestInvalid,
      RegistryError.scopeForbidden,
      RegistryError.versionExists,
    ],
    async handle ({ ctx, principal, requestId }) {
      const type = (ctx.get('content-type').split(';')[0] ?? '').trim().toLowerCase()
      if (!GZIP_TYPES.has(type)) throw CoreError.unsupportedMediaType('send the package as application/gzip', { field: '(body)' })
      const bytes = await readBody(ctx.req, PACKAGE_LIMITS.packageBytes)
      const pkg = await readPackage(bytes)
      const { manifest } = pkg
      const [scopeName = '', shortName = ''] = manifest.name.slice(1).split('/')
      const scope = await findTenant(db, scopeName)
      if (scope === undefined || !(holds(principal, 'developer', scope.path) || holds(principal, 'tenant-admin', scope.path))) {
        throw RegistryError.scopeForbidden(`you are not a developer or tenant-admin of '${scopeName}', so you cannot publish @${scopeName}/${shortName}`, { field: 'name' })
      }
      const exists = (): Error => RegistryError.versionExists(`${manifest.name}@${manifest.version} exists; versions are immutable, publish a new version`, { field: 'version' })
      if (await versionExists(db, manifest.name, manifest.version)) throw exists()
      const digest = sha256(bytes)
      // Unreviewed code is unpacked only for its check, apart from approved packages, and removed after.
      const dir = unpackForCheck(config.dataDir, pkg)
      let load: Awaited<ReturnType<typeof supervisor.check>>
      try {
        load = await supervisor.check(dir, manifest.main, handlersOf(manifest))
      } finally {
        rmSync(dir, { recursive: true, force: true })
      }
      const checks = runChecks(manifest, load, await latestApprovedManifest(db, manifest.name))
      const row = {
        name: manifest.name,
        scope: scopeName,
        version: manifest.version,
        sha256: digest,
        status: 'pending',
        manifest: JSON.stringify(manifest),
        checks: JSON.stringify(checks),
        publisher: principal.username,
        published_at: new Date().toISOString(),
      }
      try {
        await transaction(db, async (trx) => {
          await storeBlob(trx, digest, bytes)
          await insertVersion(trx, row)
          await appendAudit(trx, { actor: principal.username, action: 'registry.upload', tenant: scopeName, target: `${manifest.name}@${manifest.version}`, details: { sha256: digest, size: bytes.length }, requestId })
        })
      } catch (error) {
        if (isUniqueViolation(error)) throw exists()
        throw error
      }
      return { status: 201, body: entryView(row), headers: { Location: `/api/v1/registry/packages/${scopeName}/${shortName}/versions/${manifest.version}` } }
    },
  })

  const list = defineRoute({
    method: 'GET',
    path: '/api/v1/registry/packages',
    operationId: 'listPackages',
    summary: 'Registry entries visible to you, newest first; ?status=pending|approved|rejected|revoked',
    tag: 'registry',
    auth: 'user',
    responses: { 200: { description: 'Entries', schema: { type: 'object', properties: { items: { type: 'array', items: entrySchema } } } } },
    errors: [CoreError.invalidField],
    async handle ({ ctx, principal }) {
      const status = ctx.query.status
      if (status !== undefined && !VERSION_STATUSES.includes(String(status) as VersionStatus)) {
        throw CoreError.invalidField('status is pending, approved, rejected or revoked', { field: 'status' })
      }
      const rows = await listVersions(db, status === undefined ? undefined : String(status) as VersionStatus)
      const paths = new Map<string, string | undefined>()
      const items = []
      for (const row of rows) {
        if (!paths.has(row.scope)) paths.set(row.scope, (await findTenant(db, row.scope))?.path)
        if (visible(principal, row, paths.get(row.scope))) items.push(entryView(row))
      }
      return { status: 200, body: { items } }
    },
  })

  /** The version a path names, if the caller may see it (else 404, whether or not it exists). */
  async function visibleVersion (principal: Principal, params: Record<string, string | undefined>): Promise<{ name: string, row: VersionRow }> {
    const name = `@${scopeOf(params.scope)}/${params.name}`
    const row = await findVersion(db, name, params.version!)
    const scope = await findTenant(db, scopeOf(params.scope))
    if (row === undefined || !visible(principal, row, scope?.path)) throw CoreError.notFound(`${name}@${params.version} not found`)
    return { name, row }
  }

  const detail = defineRoute({
    method: 'GET',
    path: '/api/v1/registry/packages/:scope/:name/versions/:version',
    operationId: 'getPackageVersion',
    summary: 'One version: manifest, status, sha256, publisher, checks, review',
    tag: 'registry',
    auth: 'user',
    params: { scope: scopeParam, name: nameParam, version: versionParam },
    responses: { 200: { description: 'The entry', schema: entrySchema } },
    errors: [CoreError.notFound],
    async handle ({ params, principal }) {
      return { status: 200, body: entryView((await visibleVersion(principal, params)).row, true) }
    },
  })

  const files = defineRoute({
    method: 'GET',
    path: '/api/v1/registry/packages/:scope/:name/versions/:version/files',
    operationId: 'getPackageVersionFiles',
    summary: "A version's files for its reviewer: each one's text, and what changed since the newest approved version (unified diffs)",
    tag: 'registry',
    auth: 'user',
    params: { scope: scopeParam, name: nameParam, version: versionParam },
    responses: {
      200: {
        description: 'The files, by path',
        schema: {
          type: 'object',
          properties: {
            previous: { type: ['string', 'null'], description: 'the approved version compared with' },
            files: {
              type: 'array',
              items: {
                type: 'object',
                properties: {
                  path: { type: 'string' },
                  size: { type: 'integer' },
                  status: { type: 'string', enum: ['added', 'changed', 'same'] },
                  text: { type: ['string', 'null'] },
                  patch: { type: ['string', 'null'] },
                },
              },
            },
            removed: { type: 'array', items: { type: 'string' } },
          },
        },
      },
    },
    errors: [CoreError.notFound],
    async handle ({ params, principal }) {
      const { name, row } = await visibleVersion(principal, params)
      return { status: 200, body: await reviewFiles(db, name, { id: Number(row.id), version: String(row.version), sha256: String(row.sha256) }) }
    },
  })

  return [schema, upload, list, detail, files]
}
