import { parseArgs } from 'node:util'
import { CoreError } from './errors.ts'

/** The platform's configuration (SPEC §11): environment variables, each overridable by a CLI flag. */
export interface Config {
  port: number
  host: string | undefined
  databaseUrl: string
  dataDir: string
  adminPassword: string | undefined
  secretKey: string | undefined
  workers: number
  devPlugins: string[]
  httpAllowPrivate: string[]
  logLevel: LogLevel
  tokenTtlSeconds: number
  /** How long a session may go unused before it ends (its refresh token's lifetime). */
  sessionTtlSeconds: number
  shutdownTimeoutMs: number
  drainMs: number
  trustProxy: boolean
  metricsToken: string | undefined
  /** `https://pages.example.gov.vn`: plugins' pages are served there only, apart from the console. */
  pagesOrigin: string | undefined
  /** The console's origin: with `pagesOrigin`, the one origin that may frame plugins' pages. */
  consoleOrigin: string | undefined
  eventRetentionDays: number
  /** Isolates one sandbox worker keeps at most; the least recently used goes first. */
  sandboxIsolates: number
  /** Isolates of one installation in one worker, for its concurrent requests. */
  sandboxIsolatesPerPlugin: number
  /** An isolate with no request this long is disposed (ms). */
  sandboxIdleMs: number
  /** Documents one plugin keeps at most at one unit. */
  sandboxQuotaDocuments: number
  /** Bytes of documents one plugin keeps at most at one unit. */
  sandboxQuotaBytes: number
  demo: boolean
  /** Roles whose holders must sign in with a second factor and rotate their password (Level 3: administrators). */
  mfaRoles: string[]
  /** An account unused this many days is disabled. */
  inactiveDays: number
  /** Holders of `mfaRoles` change their password within this many days. */
  adminPasswordDays: number
  /** A new password must differ from this many last ones. */
  passwordHistory: number
  /** Audit entries older than this are archived out of the database (at least 90). */
  auditRetentionDays: number
}

export type LogLevel = 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent'
const logLevels: readonly string[] = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']

interface Option {
  key: keyof Config
  env: string
  flag: string
  description: string
  parse: (raw: string, name: string) => Config[keyof Config]
}

const integer = (min: number, max: number) => (raw: string, name: string): number => {
  if (!/^\d+$/.test(raw.trim())) throw new Error(`${name} must be an integer from ${min} to ${max} (got "${raw}")`)
  const value = Number(raw)
  if (value < min || value > max) throw new Error(`${name} must be an integer from ${min} to ${max} (got ${value})`)
  return value
}
const boolean = (raw: string, name: string): boolean => {
  const value = raw.trim().toLowerCase()
  if (['1', 'true', 'yes', 'on'].includes(value)) return true
  if (['0', 'false', 'no', 'off', ''].includes(value)) return false
  throw new Error(`${name} must be true or false (got "${raw}")`)
}
const text = (raw: string): string => raw

/** Every option, in the order `nentang --help` prints them. */
export const options: readonly Option[] = [
  { key: 'port', env: 'NENTANG_PORT', flag: 'port', description: 'HTTP port (default 3000; 0 picks a free port)', parse: integer(0, 65535) },
  { key: 'host', env: 'NENTANG_HOST', flag: 'host', description: 'address to listen on (default: all interfaces)', parse: text },
  { key: 'databaseUrl', env: 'NENTANG_DATABASE_URL', flag: 'database-url', description: 'sqlite:<file> (default sqlite:./data/nentang.db) or postgres://…', parse: parseDatabaseUrl },
  { key: 'dataDir', env: 'NENTANG_DATA_DIR', flag: 'data-dir', description: 'folder for the generated secret key (default ./data)', parse: text },
  { key: 'adminPassword', env: 'NENTANG_ADMIN_PASSWORD', flag: 'admin-password', description: "password of user 'admin' on first start (else generated and printed once)", parse: parsePassword },
  { key: 'secretKey', env: 'NENTANG_SECRET_KEY', flag: 'secret-key', description: 'key for token signing and secret encryption, at least 32 characters (else generated into the data folder)', parse: parseSecretKey },
  { key: 'workers', env: 'NENTANG_WORKERS', flag: 'workers', description: 'number of tenant sandbox worker processes (default 2)', parse: integer(1, 64) },
  { key: 'devPlugins', env: 'NENTANG_DEV_PLUGINS', flag: 'dev-plugins', description: 'comma-separated plugin folders the development watcher loads', parse: (raw) => raw.split(',').map((s) => s.trim()).filter(Boolean) },
  { key: 'httpAllowPrivate', env: 'NENTANG_HTTP_ALLOW_PRIVATE', flag: 'http-allow-private', description: 'comma-separated host:port that plugins may fetch although private or loopback', parse: (raw) => raw.split(',').map((s) => s.trim()).filter(Boolean) },
  { key: 'logLevel', env: 'NENTANG_LOG_LEVEL', flag: 'log-level', description: `log level: ${logLevels.join(', ')} (default info)`, parse: parseLogLevel },
  { key: 'sessionTtlSeconds', env: 'NENTANG_SESSION_TTL', flag: 'session-ttl', description: 'how long a session may go unused before it ends, in seconds: each use of its refresh token renews it (default 43200, 12 hours)', parse: integer(300, 30 * 24 * 3600) },
  { key: 'tokenTtlSeconds', env: 'NENTANG_TOKEN_TTL', flag: 'token-ttl', description: 'lifetime of sign-in tokens in seconds (default 3600)', parse: integer(60, 7 * 24 * 3600) },
  { key: 'drainMs', env: 'NENTANG_DRAIN', flag: 'drain', description: 'on SIGTERM, how long the node keeps serving while /readyz answers 503, so a load balancer that polls it takes the node out first, in ms (default 0)', parse: integer(0, 120_000) },
  { key: 'shutdownTimeoutMs', env: 'NENTANG_SHUTDOWN_TIMEOUT', flag: 'shutdown-timeout', description: 'how long shutdown waits for in-flight requests, in ms (default 10000)', parse: integer(0, 600_000) },
  { key: 'metricsToken', env: 'NENTANG_METRICS_TOKEN', flag: 'metrics-token', description: 'bearer token Prometheus sends for /metrics (unset: /metrics answers only on this host, over loopback)', parse: parseSecretKey },
  { key: 'pagesOrigin', env: 'NENTANG_PAGES_ORIGIN', flag: 'pages-origin', description: "origin of a host name of their own for plugins' pages, e.g. https://pages.example.gov.vn (unset: the console's)", parse: parseOrigin },
  { key: 'consoleOrigin', env: 'NENTANG_CONSOLE_ORIGIN', flag: 'console-origin', description: 'origin people reach the console at, e.g. https://nentang.example.gov.vn: with NENTANG_PAGES_ORIGIN (which needs it), the one origin that may frame plugins\' pages', parse: parseOrigin },
  { key: 'eventRetentionDays', env: 'NENTANG_EVENT_RETENTION_DAYS', flag: 'event-retention-days', description: 'days plugins\' published events are kept (default 30)', parse: integer(1, 3650) },
  { key: 'sandboxIsolates', env: 'NENTANG_SANDBOX_ISOLATES', flag: 'sandbox-isolates', description: 'isolates one sandbox worker keeps at most (default 2000)', parse: integer(1, 100_000) },
  { key: 'sandboxIsolatesPerPlugin', env: 'NENTANG_SANDBOX_ISOLATES_PER_PLUGIN', flag: 'sandbox-isolates-per-plugin', description: 'isolates of one installation in one worker, for concurrent requests (default 4)', parse: integer(1, 64) },
  { key: 'sandboxIdleMs', env: 'NENTANG_SANDBOX_IDLE_MS', flag: 'sandbox-idle-ms', description: 'an isolate idle this long is disposed, in ms (default 600000)', parse: integer(1000, 86_400_000) },
  { key: 'sandboxQuotaDocuments', env: 'NENTANG_SANDBOX_QUOTA_DOCUMENTS', flag: 'sandbox-quota-documents', description: 'documents one plugin keeps at most at one unit (default 100000)', parse: integer(1, 1_000_000_000) },
  { key: 'sandboxQuotaBytes', env: 'NENTANG_SANDBOX_QUOTA_BYTES', flag: 'sandbox-quota-bytes', description: 'bytes of documents one plugin keeps at most at one unit (default 268435456)', parse: integer(1, 2 ** 50) },
  { key: 'trustProxy', env: 'NENTANG_TRUST_PROXY', flag: 'trust-proxy', description: 'trust X-Forwarded-For from a reverse proxy (default false)', parse: boolean },
  { key: 'mfaRoles', env: 'NENTANG_MFA_ROLES', flag: 'mfa-roles', description: 'comma-separated roles whose holders must sign in with a second factor (TOTP or passkey) and change their password every NENTANG_ADMIN_PASSWORD_DAYS (default platform-admin,tenant-admin,developer; empty: nobody)', parse: (raw) => raw.split(',').map((s) => s.trim()).filter(Boolean) },
  { key: 'inactiveDays', env: 'NENTANG_INACTIVE_DAYS', flag: 'inactive-days', description: 'an account unused this many days is disabled by the daily sweep and refused at sign-in (default 45)', parse: integer(1, 3650) },
  { key: 'adminPasswordDays', env: 'NENTANG_ADMIN_PASSWORD_DAYS', flag: 'admin-password-days', description: 'holders of NENTANG_MFA_ROLES must change their password within this many days (default 60)', parse: integer(1, 3650) },
  { key: 'passwordHistory', env: 'NENTANG_PASSWORD_HISTORY', flag: 'password-history', description: 'a new password must differ from the user\'s last this many (default 10; 0: no check)', parse: integer(0, 24) },
  { key: 'auditRetentionDays', env: 'NENTANG_AUDIT_RETENTION_DAYS', flag: 'audit-retention-days', description: 'audit entries older than this many days are archived out of the database, the chain kept verifiable (default 365; under 90 is refused: Level 3 keeps logs 3 months at least)', parse: parseRetention },
  { key: 'demo', env: 'NENTANG_DEMO', flag: 'demo', description: 'create demo tenants and users on first start (default false)', parse: boolean },
]

export const defaults: Config = {
  port: 3000,
  host: undefined,
  databaseUrl: 'sqlite:./data/nentang.db',
  dataDir: './data',
  adminPassword: undefined,
  secretKey: undefined,
  workers: 2,
  devPlugins: [],
  httpAllowPrivate: [],
  logLevel: 'info',
  tokenTtlSeconds: 3600,
  sessionTtlSeconds: 12 * 3600,
  shutdownTimeoutMs: 10_000,
  drainMs: 0,
  trustProxy: false,
  demo: false,
  metricsToken: undefined,
  pagesOrigin: undefined,
  consoleOrigin: undefined,
  eventRetentionDays: 30,
  sandboxIsolates: 2000,
  sandboxIsolatesPerPlugin: 4,
  sandboxIdleMs: 10 * 60_000,
  sandboxQuotaDocuments: 100_000,
  sandboxQuotaBytes: 256 * 1024 * 1024,
  mfaRoles: ['platform-admin', 'tenant-admin', 'developer'],
  inactiveDays: 45,
  adminPasswordDays: 60,
  passwordHistory: 10,
  auditRetentionDays: 365,
}

function parseDatabaseUrl (raw: string, name: string): string {
  if (/^sqlite:.+/.test(raw) || /^postgres(ql)?:\/\/.+/.test(raw)) return raw
  throw new Error(`${name} must be sqlite:<file> or postgres://user@host:port/database (got "${raw}")`)
}
function parsePassword (raw: string, name: string): string {
  if (raw.length < 10 || raw.length > 256) throw new Error(`${name} must have 10 to 256 characters`)
  return raw
}
function parseSecretKey (raw: string, name: string): string {
  if (raw.length < 32) throw new Error(`${name} must have at least 32 characters`)
  return raw
}
function parseOrigin (raw: string, name: string): string {
  let url: URL
  try {
    url = new URL(raw)
  } catch {
    throw new Error(`${name} must be an origin such as https://pages.example.gov.vn (got "${raw}")`)
  }
  if ((url.protocol !== 'https:' && url.protocol !== 'http:') || url.origin !== raw.replace(/\/$/, '')) throw new Error(`${name} must be an origin such as https://pages.example.gov.vn, with no path (got "${raw}")`)
  return url.origin
}
function parseRetention (raw: string, name: string): number {
  const days = integer(1, 36_500)(raw, name)
  if (days < 90) throw new Error(`${name} must be at least 90 days: a Level-3 system keeps its logs 3 months at least (Decree 85/2016, TCVN 11930) (got ${days})`)
  return days
}
function parseLogLevel (raw: string, name: string): LogLevel {
  if (!logLevels.includes(raw)) throw new Error(`${name} must be one of ${logLevels.join(', ')} (got "${raw}")`)
  return raw as LogLevel
}

/**
 * Reads the configuration from `env`, then from `--flags` in `args`, which win. Throws one
 * `CORE_ERR_CONFIG` that lists every invalid value, so an operator fixes them all at once.
 */
export function loadConfig (args: string[] = [], env: NodeJS.ProcessEnv = process.env): Config {
  let flags: Record<string, string | boolean | undefined>
  try {
    const parsed = parseArgs({
      args,
      options: Object.fromEntries(options.map((o) => [o.flag, { type: o.key === 'demo' || o.key === 'trustProxy' ? 'boolean' : 'string' }])),
      strict: true,
      allowPositionals: false,
    })
    flags = parsed.values
  } catch (error) {
    throw CoreError.config((error as Error).message)
  }
  const config: Record<string, unknown> = { ...defaults }
  const problems: string[] = []
  for (const option of options) {
    const fromFlag = flags[option.flag]
    const raw = typeof fromFlag === 'boolean' ? String(fromFlag) : fromFlag ?? env[option.env]
    if (raw === undefined) continue
    try {
      config[option.key] = option.parse(raw, fromFlag === undefined ? option.env : `--${option.flag}`)
    } catch (error) {
      problems.push((error as Error).message)
    }
  }
  if (config.pagesOrigin !== undefined && config.consoleOrigin === undefined) {
    problems.push("NENTANG_PAGES_ORIGIN needs NENTANG_CONSOLE_ORIGIN: plugins' pages on a host of their own may be framed by the console's origin only")
  }
  if (config.pagesOrigin !== undefined && config.pagesOrigin === config.consoleOrigin) problems.push('NENTANG_PAGES_ORIGIN must differ from NENTANG_CONSOLE_ORIGIN')
  if (problems.length > 0) throw CoreError.config(`invalid configuration:\n  - ${problems.join('\n  - ')}`)
  return config as unknown as Config
}

/** `--help` text for the options. */
export function describeOptions (): string {
  return options.map((o) => `  --${o.flag.padEnd(18)} ${o.env.padEnd(26)} ${o.description}`).join('\n')
}
