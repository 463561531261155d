import { randomBytes } from 'node:crypto'
import { defaults, type Config } from '../../core/config.ts'
import { startPlatform, type Platform, type StartOptions } from '../../platform/start.ts'
import { createTestDatabase } from './database.ts'
import { request, type RequestOptions, type TestResponse } from './http.ts'

export const ADMIN_PASSWORD = 'admin-password-for-tests'

interface Teardown {
  teardown(fn: () => unknown): void
}

export interface TestPlatform {
  platform: Platform
  url: string
  config: Config
  call<T = any>(method: string, path: string, options?: RequestOptions): Promise<TestResponse<T>>
  /** Signs in and returns the token; fails the test's expectations loudly when sign-in fails. */
  signIn(username: string, password: string): Promise<string>
}

/**
 * A platform on a fresh database, listening on a free loopback port, closed when the test ends.
 * With `sameDatabaseAs`, a second gateway node on that platform's database and secret key; `options` as the platform's
 * (a logger that keeps its lines).
 */
export async function startTestPlatform (
  t: Teardown, overrides: Partial<Config> = {}, sameDatabaseAs?: TestPlatform, options: StartOptions = {}
): Promise<TestPlatform> {
  if (sameDatabaseAs !== undefined) {
    const platform = await startPlatform({ ...sameDatabaseAs.config, ...overrides }, options)
    t.teardown(() => platform.close())
    return withClient(platform, sameDatabaseAs.config)
  }
  const database = await createTestDatabase()
  const config: Config = {
    ...defaults,
    port: 0,
    host: '127.0.0.1',
    databaseUrl: database.url,
    dataDir: database.dir,
    adminPassword: ADMIN_PASSWORD,
    secretKey: randomBytes(32).toString('hex'),
    logLevel: 'silent',
    // Second factors are asked for in the identity tests; elsewhere administrators sign in with a password alone.
    mfaRoles: [],
    ...overrides,
  }
  const platform = await startPlatform(config, options)
  t.teardown(async () => {
    await platform.close()
    await database.drop()
  })
  return withClient(platform, config)
}

function withClient (platform: Platform, config: Config): TestPlatform {
  const call = <T = any>(method: string, path: string, options?: RequestOptions): Promise<TestResponse<T>> => request<T>(platform.url, method, path, options)
  return {
    platform,
    url: platform.url,
    config,
    call,
    async signIn (username, password) {
      const response = await call('POST', '/api/v1/auth/token', { body: { username, password } })
      if (response.status !== 200) throw new Error(`sign-in of ${username} failed: ${response.status} ${JSON.stringify(response.body)}`)
      return response.body.token as string
    },
  }
}
