// SQLite pass only: what is tested is the command line's dialogue; the database under the platform does not change it.
import { mkdtempSync, readFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import t from 'tap'
import { runCli } from '../helpers/cli.ts'
import { enrolTotp, totpCode } from '../helpers/factors.ts'
import { startTestPlatform } from '../helpers/platform.ts'

t.test('nentang login asks an administrator for the code of their authenticator app, and says what to do before enrolling', async (t) => {
  const p = await startTestPlatform(t, { mfaRoles: ['platform-admin', 'developer'] })
  const env = { NENTANG_HOME: join(mkdtempSync(join(tmpdir(), 'nentang-login-')), '.nentang') }
  const fresh = await runCli(['login', '--url', p.url, '--username', 'admin', '--password-stdin'], env, 30_000, 'admin-password-for-tests\n')
  t.equal(fresh.code, 1)
  t.match(fresh.stderr, /must set up a second factor first: sign in once at http:\/\/127\.0\.0\.1:\d+\/console\//, 'not enrolled: told where to enrol')

  const { secret } = await enrolTotp(p, 'admin', 'admin-password-for-tests')
  const wrong = await runCli(['login', '--url', p.url, '--username', 'admin', '--password-stdin'], env, 30_000, 'admin-password-for-tests\n000000\n')
  t.equal(wrong.code, 1)
  t.match(wrong.stderr, /CORE_ERR_WRONG_FACTOR|does not match/)
  const login = await runCli(['login', '--url', p.url, '--username', 'admin', '--password-stdin'], env, 30_000, `admin-password-for-tests\n${totpCode(secret, 30)}\n`)
  t.equal(login.code, 0, login.stderr)
  const kept = JSON.parse(readFileSync(join(env.NENTANG_HOME, 'credentials.json'), 'utf8'))
  t.match(kept.platforms[kept.current], { username: 'admin', token: /\./ }, 'signed in with the second factor, the token kept')
})
