import type { AccessLog } from './access-log.ts'
import type { RoleCatalog } from './tenancy/roles.ts'
import type { PrincipalCache } from './auth/principal-cache.ts'
import type { ChangeFeed } from './events/change-feed.ts'
import type { SignInThrottle } from './auth/sign-in-throttle.ts'
import type { Identity } from './auth/identity.ts'
import type { TokenService } from './auth/tokens.ts'
import type { Config } from './config.ts'
import type { Database } from './db/database.ts'
import type { FileLinks } from './files/file-links.ts'
import type { SecretBox } from './auth/secret-box.ts'
import type { Logger } from './logger.ts'
import type { HttpMetrics } from './metrics.ts'

/** What the core's routes and middleware share: built once at start, passed down, never global. */
export interface Services {
  readonly config: Config
  readonly db: Database
  readonly logger: Logger
  readonly accessLog: AccessLog
  readonly tokens: TokenService
  /** Sessions, sign-in tickets, second factors and identity numbers (core/auth/identity.ts). */
  readonly identity: Identity
  readonly throttle: SignInThrottle
  readonly metrics: HttpMetrics
  readonly changes: ChangeFeed
  readonly principals: PrincipalCache
  /** Which roles exist at a tenant (built-in, and those its installed plugins declare). */
  readonly roles: RoleCatalog
  readonly lifecycle: { ready: boolean, shuttingDown: boolean }
  /** The audit chain's key (core/audit/audit-log.ts), derived from the platform secret. */
  readonly auditKey: Uint8Array
  /** Signed, expiring download links for plugins' files (core/files/file-links.ts). */
  readonly fileLinks: FileLinks
  /** Encryption at rest for what administrators set and nobody reads back (secrets, a unit's seal key). */
  readonly secretBox: SecretBox
}
