import { recordAudit } from '../core/audit/audit-log.ts'
import type { Database } from '../core/db/database.ts'
import type { ChangeFeed } from '../core/events/change-feed.ts'
import type { Logger } from '../core/logger.ts'
import type { ActiveInstallation, RoutingTable } from './routing-table.ts'
import { isAtOrBelow } from '../core/tenancy/access.ts'
import { INSTALLATIONS_CHANGED, localSettings, sealedSecrets, servingAt } from './installations.ts'
import { findVersion } from './versions.ts'
import { findTenant } from '../core/tenancy/tenants.ts'
import type { Supervisor } from '../sandbox/supervisor.ts'
import { activate } from './activation.ts'
import { RegistryError } from './errors.ts'
import { readPackage } from './package-reader.ts'
import { sha256, unpackPackage } from './package-store.ts'
import { REGISTRY_CHANGED } from './review.ts'
import type { RegistrySigner } from './signing.ts'
import type { SecretBox } from '../core/auth/secret-box.ts'

const RECONCILE_MS = 15_000

export interface ResolverDeps {
  db: Database
  table: RoutingTable
  supervisor: Supervisor
  signer: RegistrySigner
  secretBox: SecretBox
  dataDir: string
  changes: ChangeFeed
  logger: Logger
}

/**
 * Which plugin version serves `/t/{tenant}/{mount}`: the tenant's own installation at that mount,
 * else the nearest ancestor's installed with `inherit` (so a commune created later serves its
 * province's plugins on its first request). Built on first use and kept in the routing table;
 * before a version is served, the SHA-256 of its stored bytes and the platform's signature are
 * checked, and a mismatch is refused and audited. A revoked version answers 410.
 * When an installation or a version changes (on any node), the entries it affects are rebuilt and
 * warmed first, then swapped in; the old isolates are retired once their requests have finished.
 */
export function createInstallationResolver (deps: ResolverDeps) {
  const { db, table, supervisor } = deps
  const building = new Map<string, Promise<ActiveInstallation | undefined>>()
  // Packages this node has verified and unpacked, by what was verified: name, version, SHA-256 and signature. The
  // bytes are fetched, hashed and checked against the signature once per node and version; after that the folder they
  // were unpacked to serves (every commune's first request of an inherited plugin fetched the whole package again,
  // measured at national onboarding). Stored bytes changed later are never loaded by this node, and a node that
  // loads them afresh refuses them; a changed hash or signature on the version's row is verified anew.
  const unpacked = new Map<string, { manifest: Awaited<ReturnType<typeof readPackage>>['manifest'], dir: string }>()
  const verifiedAs = (version: Record<string, any>): string => `${version.name}@${version.version}|${version.sha256}|${version.signature}`

  interface Located {
    tenant: { id: number, code: string, path: string }
    installation: Record<string, any>
    version: Record<string, any>
    key: string
    /** What serves the unit: the installation's settings with the unit's own over them. */
    settings: Record<string, unknown>
    /** The installation's settings alone. */
    inherited: Record<string, unknown>
    /** The sealed secrets it serves with (see `secretsFor`). */
    secrets: Array<{ row: Sealed, tenantId: unknown }>
  }

  /**
   * The secrets an installation serves `tenant` with: the installation's own (the province's, for a commune that
   * inherits it), each overridden by one the serving unit set for itself at that mount (a commune's own API key).
   */
  type Sealed = Awaited<ReturnType<typeof sealedSecrets>>[number]
  async function secretsFor (installationTenantId: unknown, tenantId: number, mount: string): Promise<Array<{ row: Sealed, tenantId: unknown }>> {
    const own = (await sealedSecrets(db, installationTenantId, mount)).map((row) => ({ row, tenantId: installationTenantId }))
    if (Number(installationTenantId) === tenantId) return own
    const local = (await sealedSecrets(db, tenantId, mount)).map((row) => ({ row, tenantId }))
    const names = new Set(local.map(({ row }) => row.name))
    return [...own.filter(({ row }) => !names.has(row.name)), ...local].sort((a, b) => a.row.name.localeCompare(b.row.name))
  }

  /** Which installation and version serve `tenant/mount`, from the database only (cheap: no package bytes). */
  async function locate (tenantCode: string, mount: string): Promise<Located | undefined> {
    const tenant = await findTenant(db, tenantCode)
    if (tenant === undefined) return undefined
    const installation = await servingAt(db, tenant, mount)
    if (installation === undefined) return undefined
    const version = await findVersion(db, installation.name, installation.version)
    if (version === undefined) return undefined
    if (version.status === 'revoked') throw RegistryError.revoked(`${version.name}@${version.version} was revoked: ${version.revoke_reason ?? ''}`.trim())
    if (version.status !== 'approved') return undefined
    const secrets = await secretsFor(installation.tenant_id, tenant.id, mount)
    const secretsVersion = secrets.map(({ row }) => `${row.name}@${row.updated_at}`).join(',')
    // A unit that inherits the installation may have set settings of its own there: merged over the installation's.
    const local = Number(installation.tenant_id) === tenant.id ? undefined : await localSettings(db, tenant.id, mount)
    const settings = { ...JSON.parse(String(installation.settings)) as Record<string, unknown>, ...local?.settings }
    return {
      tenant: { id: tenant.id, code: tenant.code, path: tenant.path },
      installation,
      version,
      // What the isolate depends on: the version, the settings, and which secrets were set when.
      // Switching back to a version therefore finds its isolate again while it is kept warm.
      key: `${tenant.code}/${mount}/${version.name}@${version.version}#${installation.id}:${sha256(Buffer.from(`${JSON.stringify(settings)}|${secretsVersion}`)).slice(0, 16)}`,
      settings,
      inherited: JSON.parse(String(installation.settings)) as Record<string, unknown>,
      secrets,
    }
  }

  /** Verifies the stored package against its hash and signature, unpacks it, and activates it. */
  async function materialize (located: Located, mount: string): Promise<ActiveInstallation> {
    const { version, tenant } = located
    let pkg = unpacked.get(verifiedAs(version))
    if (pkg === undefined) {
      const blob = await db.knex('registry_blobs').where({ sha256: version.sha256 }).first('bytes')
      const bytes = blob === undefined ? Buffer.alloc(0) : Buffer.from(blob.bytes)
      if (sha256(bytes) !== version.sha256 || typeof version.signature !== 'string' || !deps.signer.verify(version.name, version.version, version.sha256, version.signature)) {
        await recordAudit(db, { actor: null, action: 'registry.integrity-failed', tenant: tenant.code, target: `${version.name}@${version.version}`, details: { sha256: version.sha256, found: sha256(bytes) } })
        deps.logger.error({ plugin: version.name, version: version.version }, 'stored package does not match its hash or signature; refused')
        throw RegistryError.integrity(`${version.name}@${version.version} does not match its recorded hash and signature; it is not loaded`)
      }
      const read = await readPackage(bytes)
      pkg = { manifest: read.manifest, dir: unpackPackage(deps.dataDir, version.sha256, read) }
      if (unpacked.size > 1000) unpacked.clear()
      unpacked.set(verifiedAs(version), pkg)
    }
    const secrets: Record<string, string> = {}
    const declared = pkg.manifest.permissions?.secrets ?? []
    for (const { row, tenantId } of located.secrets) {
      if (declared.includes(row.name)) secrets[row.name] = deps.secretBox.open(row.sealed, `${tenantId}/${mount}/${row.name}`)
    }
    const input = { secrets, tenant, mount, manifest: pkg.manifest, dir: pkg.dir, digest: String(version.sha256), settings: located.settings, key: located.key }
    try {
      return activate(input)
    } catch (error) {
      // The unit's own settings no longer fit (the installation moved to a version with another settings schema):
      // the installation's serve it, rather than nothing.
      if (located.settings === located.inherited || JSON.stringify(located.settings) === JSON.stringify(located.inherited)) throw error
      deps.logger.warn({ tenant: tenant.code, mount, err: error }, "a unit's own settings do not fit the version installed; the installation's settings serve it")
      return activate({ ...input, settings: located.inherited })
    }
  }

  async function build (tenantCode: string, mount: string): Promise<ActiveInstallation | undefined> {
    const located = await locate(tenantCode, mount)
    return located === undefined ? undefined : materialize(located, mount)
  }

  /** One build at a time per `tenant/mount`, shared by the requests waiting for it. */
  function buildOnce (tenantCode: string, mount: string): Promise<ActiveInstallation | undefined> {
    const key = `${tenantCode}/${mount}`
    let pending = building.get(key)
    if (pending === undefined) {
      pending = build(tenantCode, mount).finally(() => building.delete(key))
      building.set(key, pending)
    }
    return pending
  }

  // Installations just swapped out, by key, for as long as the supervisor keeps their isolates
  // warm: switching straight back (a rollback, or a bench switching every 100 ms) reuses what was
  // verified and built moments ago instead of fetching, hashing and verifying the package again.
  const RECENT_MS = 10_000
  const recent = new Map<string, { installation: ActiveInstallation, until: number }>()
  function keepRecent (entry: ActiveInstallation): void {
    recent.delete(entry.spec.key)
    if (recent.size >= 1000) recent.delete(recent.keys().next().value!)
    recent.set(entry.spec.key, { installation: entry, until: Date.now() + RECENT_MS })
  }
  function takeRecent (key: string): ActiveInstallation | undefined {
    const kept = recent.get(key)
    if (kept === undefined) return undefined
    recent.delete(key)
    return kept.until > Date.now() ? kept.installation : undefined
  }

  /** Rebuilds, warms and swaps in every cached entry at or below `tenantPath` (or any tenant) at `mount` (or any). */
  async function refresh (match: (entry: ActiveInstallation) => boolean): Promise<void> {
    for (const entry of table.all().filter(match)) {
      if (entry.spec.key.includes('#dev')) continue
      let next: ActiveInstallation | undefined
      try {
        const located = await locate(entry.tenant.code, entry.mount)
        if (located?.key === entry.spec.key) continue
        next = located === undefined ? undefined : takeRecent(located.key) ?? await materialize(located, entry.mount)
      } catch {
        next = undefined
      }
      if (next !== undefined && next.spec.key === entry.spec.key) continue
      if (next !== undefined) {
        await supervisor.warm(next.tier, next.spec)
        table.put(next)
      } else {
        table.remove(entry.tenant.code, entry.mount)
      }
      keepRecent(entry)
      supervisor.retire(entry.spec.key)
    }
  }

  const mountRefreshes = new Map<string, Promise<void>>()
  /**
   * Refreshes what is served at `mount` at and below `tenantPath`. The change feed and the route
   * that made the change both ask for it; they share one refresh (a second request while one runs
   * waits for it, then runs once more, since the change may have come after it started).
   */
  function refreshMount (tenantPath: string, mount: string): Promise<void> {
    const key = `${tenantPath}|${mount}`
    const previous = mountRefreshes.get(key) ?? Promise.resolve()
    const queued = queuedRefreshes.get(key)
    if (queued !== undefined) return queued
    const next = previous.then(() => {
      queuedRefreshes.delete(key)
      return refresh((entry) => entry.mount === mount && isAtOrBelow(entry.tenant.path, tenantPath))
    })
    queuedRefreshes.set(key, next)
    mountRefreshes.set(key, next)
    next.finally(() => { if (mountRefreshes.get(key) === next) mountRefreshes.delete(key) }).catch(() => undefined)
    return next
  }
  const queuedRefreshes = new Map<string, Promise<void>>()

  deps.changes.subscribe(INSTALLATIONS_CHANGED, (payload) => {
    // This node's own changes are refreshed by the route that made them, before it answers (once,
    // not twice); the reconcile below catches the rare route that failed between commit and refresh.
    if (payload.node === deps.changes.name) return
    refreshMount(String(payload.tenantPath), String(payload.mount)).catch((error) => deps.logger.error({ err: error }, 'refreshing installations failed'))
  })
  deps.changes.subscribe(REGISTRY_CHANGED, (payload) => {
    // A revoked version stops at once: its entries leave the table before anything else runs.
    if (payload.status === 'revoked') {
      for (const entry of table.all().filter((e) => e.name === payload.name && e.version === payload.version)) {
        table.remove(entry.tenant.code, entry.mount)
        supervisor.retire(entry.spec.key)
      }
      for (const [key, kept] of recent) {
        if (kept.installation.name === payload.name && kept.installation.version === payload.version) recent.delete(key)
      }
      return
    }
    refresh((entry) => entry.name === payload.name && entry.version === payload.version).catch((error) => deps.logger.error({ err: error }, 'refreshing installations failed'))
  })
  // The safety net behind notifications: a node that missed one converges within this period. Every entry is
  // rebuilt only when the database's serving epoch moved since the last look (migration 0024), read before the rebuild
  // so that a change made during it is caught by the next.
  let seenEpoch: string | undefined
  const reconcile = setInterval(() => {
    (async () => {
      const epoch = String((await db.knex('serving_epoch').where({ id: 1 }).first('n'))?.n)
      if (epoch === seenEpoch) return
      await refresh(() => true)
      seenEpoch = epoch
    })().catch((error) => deps.logger.error({ err: error }, 'reconciling installations failed'))
  }, RECONCILE_MS)
  reconcile.unref()

  deps.changes.subscribe('resync', () => {
    refresh(() => true).catch((error) => deps.logger.error({ err: error }, 'refreshing installations failed'))
  })

  return {
    /** The installation serving `tenant/mount`, or undefined; throws 410 for a revoked version. */
    async resolve (tenantCode: string, mount: string): Promise<ActiveInstallation | undefined> {
      const cached = table.get(tenantCode, mount)
      if (cached !== undefined) return cached
      const built = await buildOnce(tenantCode, mount)
      if (built !== undefined && table.get(tenantCode, mount) === undefined) table.put(built)
      return table.get(tenantCode, mount) ?? built
    },
    refresh,
    refreshMount,
    close () {
      clearInterval(reconcile)
    },
  }
}

export type InstallationResolver = ReturnType<typeof createInstallationResolver>
