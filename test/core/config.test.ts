// SQLite pass only: no database is involved.
import { readFileSync } from 'node:fs'
import t from 'tap'
import { defaults, loadConfig, options } from '../../core/config.ts'
import { workerSettings } from '../../sandbox/protocol.ts'

t.test('defaults, environment, then flags', async (t) => {
  t.same(loadConfig([], {}), defaults)
  t.equal(defaults.databaseUrl, 'sqlite:./data/nentang.db')
  t.equal(defaults.port, 3000)
  const fromEnv = loadConfig([], { NENTANG_PORT: '8080', NENTANG_DATABASE_URL: 'postgres://u@h/db', NENTANG_WORKERS: '4', NENTANG_DEV_PLUGINS: 'a, b', NENTANG_DEMO: 'yes' })
  t.match(fromEnv, { port: 8080, databaseUrl: 'postgres://u@h/db', workers: 4, devPlugins: ['a', 'b'], demo: true })
  const fromFlags = loadConfig(['--port', '9090', '--demo'], { NENTANG_PORT: '8080' })
  t.match(fromFlags, { port: 9090, demo: true }, 'a flag wins over the environment')
})

t.test('every invalid value is reported at once', async (t) => {
  t.throws(() => loadConfig([], { NENTANG_PORT: '70000', NENTANG_LOG_LEVEL: 'loud', NENTANG_TRUST_PROXY: 'maybe' }), {
    code: 'CORE_ERR_CONFIG',
    message: /NENTANG_PORT must be an integer from 0 to 65535 \(got 70000\)[\s\S]*NENTANG_LOG_LEVEL must be one of[\s\S]*NENTANG_TRUST_PROXY must be true or false/,
  })
  t.throws(() => loadConfig([], { NENTANG_ADMIN_PASSWORD: 'short' }), { message: /NENTANG_ADMIN_PASSWORD must have 10 to 256 characters/ })
  t.throws(() => loadConfig(['--pages-origin', 'https://pages.example.gov.vn']), { message: /NENTANG_PAGES_ORIGIN needs NENTANG_CONSOLE_ORIGIN/ }, 'pages on a host of their own name who may frame them')
  t.throws(() => loadConfig(['--pages-origin', 'https://x.gov.vn', '--console-origin', 'https://x.gov.vn']), { message: /must differ/ })
  t.match(loadConfig(['--pages-origin', 'https://pages.example.gov.vn/', '--console-origin', 'https://nentang.example.gov.vn']), { pagesOrigin: 'https://pages.example.gov.vn', consoleOrigin: 'https://nentang.example.gov.vn' })
})

t.test('every setting is in docs/operations.md, with its variable and flag', async (t) => {
  const table = readFileSync(new URL('../../docs/operations.md', import.meta.url), 'utf8')
  for (const option of options) {
    const row = table.split('\n').find((line) => line.startsWith(`| \`${option.env}\` |`))
    t.ok(row?.includes(`\`--${option.flag}\``), `${option.env} is documented with --${option.flag}`)
  }
})

t.test('the sandbox settings reach a worker as its first message, built from the configuration', async (t) => {
  const config = loadConfig(['--sandbox-quota-documents', '40'], { NENTANG_SANDBOX_ISOLATES: '10', NENTANG_HTTP_ALLOW_PRIVATE: '10.0.0.5:8443' })
  t.same(workerSettings(config, 'sqlite:/tmp/x.db'), {
    databaseUrl: 'sqlite:/tmp/x.db',
    httpAllowPrivate: ['10.0.0.5:8443'],
    isolates: { max: 10, perPlugin: 4, idleMs: 600_000 },
    quota: { documents: 40, bytes: 256 * 1024 * 1024 },
  })
  t.throws(() => loadConfig([], { NENTANG_SANDBOX_ISOLATES: 'many' }), /NENTANG_SANDBOX_ISOLATES must be an integer/)
})
