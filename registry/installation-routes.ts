import { appendAudit } from '../core/audit/audit-log.ts'
import { transaction, toBoolean, type Row } from '../core/db/database.ts'
import { CoreError } from '../core/errors.ts'
import { defineRoute, type Route } from '../core/http/route.ts'
import { validationError } from '../core/http/validation.ts'
import type { Services } from '../core/services.ts'
import { covers, isAtOrBelow } from '../core/tenancy/access.ts'
import { tenantInReach } from '../core/tenancy/reach.ts'
import { findTenant } from '../core/tenancy/tenants.ts'
import { tenantCode } from '../core/routes/schemas.ts'
import { RegistryError } from './errors.ts'
import type { InstallationResolver } from './installation-resolver.ts'
import {
  deleteInstallation, deleteLocalSettings, deleteSecret as removeSecret, effectiveInstallations, INSTALLATIONS_CHANGED, putLocalSettings,
  putSecret as storeSecret, saveInstallation, sealedSecrets, servingAt, touchInstallation, type InstallationRecord,
} from './installations.ts'
import { installationSchema, installBodySchema, mountParam, pageTokenSchema, secretListSchema, secretNameParam, serviceSchema } from './schemas.ts'
import { findVersion, manifestOf, type Manifests } from './versions.ts'
import { compilePluginSchema } from './plugin-schemas.ts'
import type { Manifest } from './manifest.ts'
import type { SecretBox } from '../core/auth/secret-box.ts'

interface InstallBody {
  package: string
  version: string
  settings?: Record<string, unknown>
  inherit?: boolean
}

/** How long a plugin page's token lasts; the page SDK renews it before then. */
const PAGE_TOKEN_TTL_SECONDS = 300

function view (row: Row | InstallationRecord): Record<string, unknown> {
  return {
    mount: row.mount,
    package: row.name,
    version: row.version,
    settings: JSON.parse(String(row.settings)),
    inherit: toBoolean(row.inherit),
    updatedAt: row.updated_at,
    updatedBy: row.updated_by,
  }
}

/** Where an installation's pages are served for `tenantCode`, if its version has any. */
function pagesOf (tenantCode: string, row: Row, manifests: Manifests, origin = ''): string | null {
  return manifests.get(`${row.name}@${row.version}`)?.manifest.ui === undefined ? null : `${origin}/t/${tenantCode}/${row.mount}/ui/`
}

/** Installations (SPEC §9): install, switch version (rollback is installing the previous one), uninstall. */
export function installationRoutes (services: Services, resolver: InstallationResolver, secretBox: SecretBox): Route<any>[] {
  const { db, changes } = services

  const list = defineRoute({
    method: 'GET',
    path: '/api/v1/tenants/:code/plugins',
    operationId: 'listInstallations',
    summary: 'Plugins installed at this tenant, and those it inherits from an ancestor (`inherited`, with `from`)',
    tag: 'installations',
    auth: 'user',
    params: { code: tenantCode },
    responses: { 200: { description: 'Installations', schema: { type: 'object', properties: { items: { type: 'array', items: installationSchema }, inherited: { type: 'array', items: { ...installationSchema, properties: { ...installationSchema.properties, from: tenantCode } } } } } } },
    errors: [CoreError.notFound, CoreError.forbidden],
    async handle ({ params, principal }) {
      const tenant = await tenantInReach(db, principal, params.code!, 'admin')
      const { own, inherited, manifests } = await effectiveInstallations(db, tenant)
      const withPages = (row: Row): Record<string, unknown> => ({ ...view(row), pages: pagesOf(tenant.code, row, manifests, services.config.pagesOrigin) })
      return {
        status: 200,
        body: {
          items: own.map(withPages),
          inherited: inherited.map((row) => ({ ...withPages(row), from: row.tenant_code })),
        },
      }
    },
  })

  const servicesList = defineRoute({
    method: 'GET',
    path: '/api/v1/tenants/:code/services',
    operationId: 'listServices',
    summary: 'The plugins that serve this tenant (its own and those inherited), as its users see them: name, description, where its pages are; no settings',
    tag: 'installations',
    auth: 'user',
    params: { code: tenantCode },
    responses: { 200: { description: 'Services, by mount', schema: { type: 'object', properties: { items: { type: 'array', items: serviceSchema } } } } },
    errors: [CoreError.notFound],
    async handle ({ params, principal }) {
      const tenant = await tenantInReach(db, principal, params.code!, 'see')
      const { own, inherited, manifests } = await effectiveInstallations(db, tenant)
      const items = [...own, ...inherited]
        .filter((row) => manifests.get(`${row.name}@${row.version}`)?.status === 'approved')
        .sort((a, b) => String(a.mount).localeCompare(String(b.mount)))
        .map((row) => ({ mount: row.mount, package: row.name, version: row.version, description: manifests.get(`${row.name}@${row.version}`)?.manifest.description ?? null, pages: pagesOf(tenant.code, row, manifests, services.config.pagesOrigin) }))
      return { status: 200, body: { items } }
    },
  })

  const put = defineRoute<InstallBody>({
    method: 'PUT',
    path: '/api/v1/tenants/:code/plugins/:mount',
    operationId: 'installPlugin',
    summary: 'Install an approved version at a mount, or switch to another version with no failed request',
    tag: 'installations',
    auth: 'user',
    params: { code: tenantCode, mount: mountParam },
    body: installBodySchema,
    responses: { 200: { description: 'Installed', schema: installationSchema } },
    errors: [CoreError.notFound, CoreError.forbidden, RegistryError.notInstallable, RegistryError.notApproved],
    async handle ({ params, body, principal, requestId }) {
      const tenant = await tenantInReach(db, principal, params.code!, 'admin')
      const version = await findVersion(db, body.package, body.version)
      const manifest = version === undefined ? undefined : manifestOf(version)
      const scope = version === undefined ? undefined : await findTenant(db, String(version.scope))
      const reachable = manifest !== undefined && scope !== undefined && (manifest.visibility === 'public' || isAtOrBelow(tenant.path, scope.path))
      if (!reachable || version === undefined) throw RegistryError.notInstallable(`${body.package}@${body.version} cannot be installed at '${tenant.code}'`, { field: 'package' })
      if (version.status !== 'approved') throw RegistryError.notApproved(`${body.package}@${body.version} is ${version.status}`, { field: 'version' })
      const settings = checkedSettings(manifest, body.settings ?? {})
      const row: InstallationRecord = {
        tenant_id: tenant.id,
        mount: params.mount!,
        name: body.package,
        version: body.version,
        settings: JSON.stringify(settings),
        inherit: body.inherit ?? false,
        updated_at: new Date().toISOString(),
        updated_by: principal.username,
      }
      await transaction(db, async (trx) => {
        const { previous, secretsDeleted } = await saveInstallation(trx, row)
        await appendAudit(trx, { actor: principal.username, action: previous === undefined ? 'plugin.install' : 'plugin.switch', tenant: tenant.code, target: `${params.mount}`, details: { package: body.package, version: body.version, from: previous === undefined ? null : `${previous.name}@${previous.version}`, inherit: row.inherit, ...(secretsDeleted > 0 ? { secretsDeleted } : {}) }, requestId })
        await changes.publish(trx, INSTALLATIONS_CHANGED, { tenantPath: tenant.path, mount: params.mount, node: changes.name })
      })
      await resolver.refreshMount(tenant.path, params.mount!)
      return { status: 200, body: view(row) }
    },
  })

  const remove = defineRoute({
    method: 'DELETE',
    path: '/api/v1/tenants/:code/plugins/:mount',
    operationId: 'uninstallPlugin',
    summary: 'Uninstall; the plugin\'s data is kept, the secrets set for it are deleted',
    tag: 'installations',
    auth: 'user',
    params: { code: tenantCode, mount: mountParam },
    responses: { 204: { description: 'Uninstalled' } },
    errors: [CoreError.notFound, CoreError.forbidden],
    async handle ({ params, principal, requestId }) {
      const tenant = await tenantInReach(db, principal, params.code!, 'admin')
      const deleted = await transaction(db, async (trx) => {
        const existing = await deleteInstallation(trx, tenant.id, params.mount!)
        if (existing === undefined) return false
        await appendAudit(trx, { actor: principal.username, action: 'plugin.uninstall', tenant: tenant.code, target: `${params.mount}`, details: { package: existing.name, version: existing.version, secretsDeleted: existing.secretsDeleted }, requestId })
        await changes.publish(trx, INSTALLATIONS_CHANGED, { tenantPath: tenant.path, mount: params.mount, node: changes.name })
        return true
      })
      if (!deleted) throw CoreError.notFound(`nothing is installed at '${params.mount}'`)
      await resolver.refreshMount(tenant.path, params.mount!)
      return { status: 204 }
    },
  })

  const secretParams = { code: tenantCode, mount: mountParam, name: secretNameParam }

  /** After a secret changes, the installation is rebuilt (its key carries `updated_at`) on every node. */
  async function touched (tenant: { id: number, path: string }, mount: string, trx: Parameters<typeof touchInstallation>[0], username: string): Promise<void> {
    await touchInstallation(trx, tenant.id, mount, username)
    await changes.publish(trx, INSTALLATIONS_CHANGED, { tenantPath: tenant.path, mount, node: changes.name })
  }

  const listSecrets = defineRoute({
    method: 'GET',
    path: '/api/v1/tenants/:code/plugins/:mount/secrets',
    operationId: 'listPluginSecrets',
    summary: 'Names of the secrets set for a mount (never their values)',
    tag: 'installations',
    auth: 'user',
    params: { code: tenantCode, mount: mountParam },
    responses: { 200: { description: 'Secret names', schema: secretListSchema } },
    errors: [CoreError.notFound, CoreError.forbidden],
    async handle ({ params, principal }) {
      const tenant = await tenantInReach(db, principal, params.code!, 'admin')
      const rows = await sealedSecrets(db, tenant.id, params.mount!)
      return { status: 200, body: { items: rows.map((row) => ({ name: row.name, updatedAt: row.updated_at, updatedBy: row.updated_by })) } }
    },
  })

  const putSecret = defineRoute<{ value: string }>({
    method: 'PUT',
    path: '/api/v1/tenants/:code/plugins/:mount/secrets/:name',
    operationId: 'setPluginSecret',
    summary: 'Set a secret for the plugin at a mount: sealed at rest, never returned or logged',
    tag: 'installations',
    auth: 'user',
    params: secretParams,
    body: { type: 'object', additionalProperties: false, required: ['value'], properties: { value: { type: 'string', minLength: 1, maxLength: 4096 } } },
    responses: { 204: { description: 'Set' } },
    errors: [CoreError.notFound, CoreError.forbidden],
    async handle ({ params, body, principal, requestId }) {
      const tenant = await tenantInReach(db, principal, params.code!, 'admin')
      const sealed = secretBox.seal(body.value, `${tenant.id}/${params.mount}/${params.name}`)
      await transaction(db, async (trx) => {
        await storeSecret(trx, tenant.id, params.mount!, params.name!, sealed, principal.username)
        await appendAudit(trx, { actor: principal.username, action: 'plugin.secret-set', tenant: tenant.code, target: `${params.mount}/${params.name}`, requestId })
        await touched(tenant, params.mount!, trx, principal.username)
      })
      await resolver.refreshMount(tenant.path, params.mount!)
      return { status: 204 }
    },
  })

  const deleteSecret = defineRoute({
    method: 'DELETE',
    path: '/api/v1/tenants/:code/plugins/:mount/secrets/:name',
    operationId: 'deletePluginSecret',
    summary: 'Remove a secret',
    tag: 'installations',
    auth: 'user',
    params: secretParams,
    responses: { 204: { description: 'Removed' } },
    errors: [CoreError.notFound, CoreError.forbidden],
    async handle ({ params, principal, requestId }) {
      const tenant = await tenantInReach(db, principal, params.code!, 'admin')
      const removed = await transaction(db, async (trx) => {
        if (!await removeSecret(trx, tenant.id, params.mount!, params.name!)) return false
        await appendAudit(trx, { actor: principal.username, action: 'plugin.secret-delete', tenant: tenant.code, target: `${params.mount}/${params.name}`, requestId })
        await touched(tenant, params.mount!, trx, principal.username)
        return true
      })
      if (!removed) throw CoreError.notFound(`no secret '${params.name}' at '${params.mount}'`)
      await resolver.refreshMount(tenant.path, params.mount!)
      return { status: 204 }
    },
  })

  const pageToken = defineRoute({
    method: 'POST',
    path: '/api/v1/tenants/:code/plugins/:mount/page-token',
    operationId: 'issuePageToken',
    summary: "A short token for a plugin's page to act as you on that plugin's routes at this tenant, and nowhere else (5 minutes)",
    tag: 'installations',
    auth: 'user',
    params: { code: tenantCode, mount: mountParam },
    responses: { 200: { description: 'The token, what it is good for, and who it acts as', schema: pageTokenSchema } },
    errors: [CoreError.notFound],
    async handle ({ params, principal }) {
      const tenant = await tenantInReach(db, principal, params.code!, 'see')
      if (await resolver.resolve(tenant.code, params.mount!) === undefined) throw CoreError.notFound(`nothing is served at '${params.mount}'`)
      const state = await services.principals.get(principal.id)
      if (state === undefined) throw CoreError.notFound('no such user')
      const audience = `t/${tenant.code}/${params.mount}`
      const issued = await services.tokens.issue(principal.id, state.tokenVersion, {
        audience, ttlSeconds: PAGE_TOKEN_TTL_SECONDS, session: principal.session?.id, factorAt: principal.session?.factorAt,
      })
      const roles = [...new Set(principal.grants.filter((g) => covers(g, tenant.path)).map((g) => g.role))]
      const user = { username: principal.username, displayName: principal.displayName, tenant: principal.home.code, roles }
      return { status: 200, body: { ...issued, audience, user } }
    },
  })

  const putSettings = defineRoute<{ settings: Record<string, unknown> }>({
    method: 'PUT',
    path: '/api/v1/tenants/:code/plugins/:mount/settings',
    operationId: 'setInheritedPluginSettings',
    summary: "This unit's own settings for a plugin it inherits, merged over the installation's (a commune's own hours or fee)",
    tag: 'installations',
    auth: 'user',
    params: { code: tenantCode, mount: mountParam },
    body: { type: 'object', additionalProperties: false, required: ['settings'], properties: { settings: { type: 'object', maxProperties: 100 } } },
    responses: { 200: { description: 'The settings that now serve this unit', schema: { type: 'object', properties: { settings: { type: 'object' } } } } },
    errors: [CoreError.notFound, CoreError.forbidden, CoreError.invalidField],
    async handle ({ params, body, principal, requestId }) {
      const tenant = await tenantInReach(db, principal, params.code!, 'admin')
      const serving = await servingAt(db, tenant, params.mount!)
      if (serving === undefined) throw CoreError.notFound(`nothing is installed or inherited at '${params.mount}'`)
      if (serving.tenant_code === tenant.code) {
        throw CoreError.invalidField(`'${tenant.code}' installed '${params.mount}' itself: set its settings when installing (PUT /api/v1/tenants/${tenant.code}/plugins/${params.mount})`, { field: 'settings' })
      }
      const version = await findVersion(db, String(serving.name), String(serving.version))
      const manifest = version === undefined ? undefined : manifestOf(version)
      const over = { ...JSON.parse(String(serving.settings)) as Record<string, unknown>, ...body.settings }
      const merged = manifest === undefined ? over : checkedSettings(manifest, over)
      await transaction(db, async (trx) => {
        await putLocalSettings(trx, tenant.id, params.mount!, body.settings, principal.username)
        await appendAudit(trx, { actor: principal.username, action: 'plugin.settings-set', tenant: tenant.code, target: `${params.mount}`, details: { settings: body.settings, over: `${serving.tenant_code}` }, requestId })
        await changes.publish(trx, INSTALLATIONS_CHANGED, { tenantPath: tenant.path, mount: params.mount, node: changes.name })
      })
      await resolver.refreshMount(tenant.path, params.mount!)
      return { status: 200, body: { settings: merged } }
    },
  })

  const deleteSettings = defineRoute({
    method: 'DELETE',
    path: '/api/v1/tenants/:code/plugins/:mount/settings',
    operationId: 'deleteInheritedPluginSettings',
    summary: "Drop this unit's own settings at a mount it inherits: the installation's serve it again",
    tag: 'installations',
    auth: 'user',
    params: { code: tenantCode, mount: mountParam },
    responses: { 204: { description: 'Removed' } },
    errors: [CoreError.notFound, CoreError.forbidden],
    async handle ({ params, principal, requestId }) {
      const tenant = await tenantInReach(db, principal, params.code!, 'admin')
      const removed = await transaction(db, async (trx) => {
        if (!await deleteLocalSettings(trx, tenant.id, params.mount!)) return false
        await appendAudit(trx, { actor: principal.username, action: 'plugin.settings-delete', tenant: tenant.code, target: `${params.mount}`, requestId })
        await changes.publish(trx, INSTALLATIONS_CHANGED, { tenantPath: tenant.path, mount: params.mount, node: changes.name })
        return true
      })
      if (!removed) throw CoreError.notFound(`'${tenant.code}' set no settings of its own at '${params.mount}'`)
      await resolver.refreshMount(tenant.path, params.mount!)
      return { status: 204 }
    },
  })

  return [list, servicesList, put, remove, listSecrets, putSecret, deleteSecret, putSettings, deleteSettings, pageToken]
}

/** Settings checked against the manifest's `settings` schema, defaults filled in (a copy); 422 naming the field. */
function checkedSettings (manifest: Manifest, given: Record<string, unknown>): Record<string, unknown> {
  const settings = structuredClone(given)
  if (manifest.settings === undefined) return settings
  const validate = compilePluginSchema(manifest, manifest.settings)
  if (!validate(settings)) {
    const failure = validationError(validate.errors ?? [])
    throw CoreError.invalidField(`settings: ${failure.message}`, { field: `settings/${failure.field ?? ''}`.replace(/\/$/, '') })
  }
  return settings
}
