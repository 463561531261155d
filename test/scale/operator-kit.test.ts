// SQLite pass only: the operator's files (rules, dashboard, images) are the same whatever the database.
import { spawnSync } from 'node:child_process'
import { mkdtempSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import AjvModule from 'ajv'
import t from 'tap'
import { parse as parseYaml } from 'yaml'
import { options } from '../../core/config.ts'
import { examples, startPluginPlatform } from '../helpers/plugins.ts'

const root = new URL('../../', import.meta.url).pathname
const PROMTOOL = process.env.NENTANG_PROMTOOL ?? '/usr/bin/promtool'
/** Grafana's variable for the Prometheus data source the dashboard is imported with. */
const DATASOURCE = '$' + '{datasource}'
const read = (path: string): string => readFileSync(join(root, path), 'utf8')

function promtool (args: string[], cwd: string): { ok: boolean, out: string } {
  const run = spawnSync(PROMTOOL, args, { cwd, encoding: 'utf8', timeout: 30_000 })
  if (run.error !== undefined) throw new Error(`${PROMTOOL} cannot run (.ci/run installs Debian's prometheus package): ${run.error.message}`)
  return { ok: run.status === 0, out: `${run.stdout}${run.stderr}` }
}

/** The metric names an expression uses (histogram series by their family's name). */
function metricNames (expr: string): string[] {
  return [...new Set([...expr.matchAll(/\b(nentang_[a-z0-9_]+)/g)].map((m) => m[1]!.replace(/_(bucket|sum|count)$/, '')))]
}

interface Panel {
  id: number
  type: string
  title: string
  gridPos: { x: number, y: number, w: number, h: number }
  targets: Array<{ expr: string, refId: string }>
}

const dashboardSchema = {
  type: 'object',
  required: ['title', 'uid', 'schemaVersion', 'panels', 'templating', 'time'],
  properties: {
    title: { type: 'string', minLength: 1 },
    uid: { type: 'string', pattern: '^[a-zA-Z0-9_-]{1,40}$' },
    schemaVersion: { type: 'integer', minimum: 36 },
    time: { type: 'object', required: ['from', 'to'] },
    templating: {
      type: 'object',
      required: ['list'],
      properties: { list: { type: 'array', contains: { type: 'object', required: ['name', 'type', 'query'], properties: { name: { const: 'datasource' }, type: { const: 'datasource' }, query: { const: 'prometheus' } } } } },
    },
    panels: {
      type: 'array',
      minItems: 1,
      items: {
        type: 'object',
        required: ['id', 'type', 'title', 'gridPos', 'targets', 'datasource'],
        properties: {
          id: { type: 'integer', minimum: 1 },
          type: { enum: ['timeseries', 'stat', 'bargauge', 'table', 'gauge'] },
          title: { type: 'string', minLength: 1 },
          datasource: { type: 'object', required: ['type', 'uid'], properties: { type: { const: 'prometheus' }, uid: { const: DATASOURCE } } },
          gridPos: {
            type: 'object',
            required: ['x', 'y', 'w', 'h'],
            properties: { x: { type: 'integer', minimum: 0, maximum: 23 }, y: { type: 'integer', minimum: 0 }, w: { type: 'integer', minimum: 1, maximum: 24 }, h: { type: 'integer', minimum: 1 } },
          },
          targets: { type: 'array', minItems: 1, items: { type: 'object', required: ['expr', 'refId'], properties: { expr: { type: 'string', minLength: 1 }, refId: { type: 'string' } } } },
        },
      },
    },
  },
}

t.test('the Prometheus rules and configuration pass promtool, and the alerts fire as their unit tests say', async (t) => {
  const dir = join(root, 'deploy/prometheus')
  const rules = promtool(['check', 'rules', 'rules.yml'], dir)
  t.ok(rules.ok, `promtool check rules: ${rules.out.trim()}`)
  const tests = promtool(['test', 'rules', 'rules.test.yml'], dir)
  t.ok(tests.ok, `promtool test rules: ${tests.out.trim()}`)
  // The configuration names the token file where compose mounts it: checked with the file put elsewhere.
  const scratch = mkdtempSync(join(tmpdir(), 'nentang-prometheus-'))
  writeFileSync(join(scratch, 'metrics-token'), 'token')
  writeFileSync(join(scratch, 'rules.yml'), read('deploy/prometheus/rules.yml'))
  writeFileSync(join(scratch, 'prometheus.yml'), read('deploy/prometheus/prometheus.yml').replace('/etc/prometheus/metrics-token', join(scratch, 'metrics-token')))
  const config = promtool(['check', 'config', 'prometheus.yml'], scratch)
  t.ok(config.ok, `promtool check config: ${config.out.trim()}`)
  const targets = (parseYaml(read('deploy/prometheus/prometheus.yml')) as any).scrape_configs[0].static_configs[0].targets as string[]
  const upstream = [...read('deploy/nginx/nentang.conf').matchAll(/^\s*server (\S+) /gm)].map((m) => m[1])
  t.same(targets, upstream, 'Prometheus scrapes the very nodes nginx balances over')
})

t.test('the HAProxy configuration is valid and balances over the nodes nginx lists', async (t) => {
  const checked = spawnSync(process.env.NENTANG_HAPROXY ?? '/usr/sbin/haproxy', ['-c', '-f', join(root, 'deploy/haproxy/nentang.cfg')], { encoding: 'utf8', timeout: 30_000 })
  if (checked.error !== undefined) throw new Error(`haproxy cannot run (.ci/run installs Debian's haproxy package): ${checked.error.message}`)
  t.equal(checked.status, 0, `haproxy -c: ${checked.stdout}${checked.stderr}`)
  const servers = [...read('deploy/haproxy/nentang.cfg').matchAll(/^\s*server node\d (\S+) /gm)].map((m) => m[1])
  const upstream = [...read('deploy/nginx/nentang.conf').matchAll(/^\s*server (\S+) /gm)].map((m) => m[1])
  t.same(servers, upstream, 'the same three nodes')
})

t.test('the dashboard loads: its schema, its PromQL, and every metric it or a rule names exists on a running node', async (t) => {
  const dashboard = JSON.parse(read('deploy/grafana/nentang-cluster.json')) as { panels: Panel[] }
  const ajv = new AjvModule.default({ allErrors: true, strict: false })
  const valid = ajv.validate(dashboardSchema, dashboard)
  t.ok(valid, `the dashboard model: ${ajv.errorsText(ajv.errors)}`)
  const ids = dashboard.panels.map((p) => p.id)
  t.equal(new Set(ids).size, ids.length, 'panel ids are unique')
  t.ok(dashboard.panels.every((p) => p.gridPos.x + p.gridPos.w <= 24), 'every panel fits the 24-column grid')
  const cells = new Set<string>()
  let overlap = false
  for (const { gridPos: g } of dashboard.panels) {
    for (let x = g.x; x < g.x + g.w; x++) for (let y = g.y; y < g.y + g.h; y++) overlap ||= cells.has(`${x},${y}`) || !cells.add(`${x},${y}`)
  }
  t.notOk(overlap, 'no two panels overlap')

  // Every expression parses as PromQL: checked by promtool as recording rules (Grafana's interval variable made 5m).
  const exprs = dashboard.panels.flatMap((p) => p.targets.map((target) => target.expr))
  const scratch = mkdtempSync(join(tmpdir(), 'nentang-dashboard-'))
  const asRules = { groups: [{ name: 'dashboard', rules: exprs.map((expr, i) => ({ record: `dashboard:expr_${i}`, expr: expr.replaceAll('$__rate_interval', '5m') })) }] }
  writeFileSync(join(scratch, 'dashboard-rules.yml'), JSON.stringify(asRules))
  const parsed = promtool(['check', 'rules', 'dashboard-rules.yml'], scratch)
  t.ok(parsed.ok, `${exprs.length} dashboard expressions parse: ${parsed.out.trim()}`)

  // A node that served a plugin route: the metric families it exposes.
  const p = await startPluginPlatform(t)
  await p.install('hn', 'hello', join(examples, 'hello'))
  t.equal((await p.call('GET', '/t/hn/hello/hello')).status, 200)
  const scraped = await (await fetch(`${p.url}/metrics`)).text()
  const families = new Set([...scraped.matchAll(/^# TYPE (\S+) /gm)].map((m) => m[1]!))
  const named = new Set([...exprs, read('deploy/prometheus/rules.yml')].flatMap(metricNames))
  t.same([...named].filter((name) => !families.has(name)), [], `the ${named.size} metrics the dashboard and rules use are all exposed`)
  t.ok(/^nentang_plugin_requests_total\{tenant="hn",plugin="@hn\/hello",class="2xx"\} 1$/m.test(scraped), 'the plugin request counted by unit and plugin')
})

t.test('the image and the compose file: non-root, Node 24 without its snapshot, health on /readyz, the shipped nginx file', async (t) => {
  const dockerfile = read('Dockerfile')
  t.match(dockerfile, /^FROM node:24-/m, 'Node 24')
  const user = [...dockerfile.matchAll(/^USER (\S+)/gm)].at(-1)?.[1]
  t.ok(user !== undefined && user !== 'root' && user !== '0', `the node runs as ${user}, not root`)
  t.match(dockerfile, /ENTRYPOINT \["node", "--no-node-snapshot", "cli\/nentang.ts"\]/, 'isolated-vm\'s --no-node-snapshot')
  t.match(dockerfile, /HEALTHCHECK[\s\S]*\/readyz/, 'the health check asks /readyz')
  // Every folder of the platform's own code is in the image (a new one forgotten would fail at start).
  const copied = new Set([...dockerfile.matchAll(/^COPY (\w+) \.\/\1$/gm)].map((m) => m[1]))
  // Not the server's: benchmarks, documents, examples, tests, and the CLI's own npm package (packages/cli).
  const outside = new Set(['bench', 'deploy', 'docs', 'examples', 'node_modules', 'packages', 'test', 'data'])
  // The folders git keeps (not what a run left beside them: artifacts, coverage).
  const tracked = new Set(spawnSync('git', ['ls-files'], { cwd: root, encoding: 'utf8' }).stdout.split('\n').filter((path) => path.includes('/')).map((path) => path.split('/')[0]!))
  const folders = readdirSync(root).filter((name) => tracked.has(name) && !name.startsWith('.') && !outside.has(name) && statSync(join(root, name)).isDirectory())
  t.same(folders.filter((name) => !copied.has(name)), [], `the image holds ${[...copied].join(', ')}`)

  const compose = parseYaml(read('compose.yaml'), { merge: true }) as any
  const nodes = Object.entries(compose.services).filter(([name]) => /^node\d$/.test(name)) as Array<[string, any]>
  t.equal(nodes.length, 3, 'three nodes')
  const known = new Set(options.map((option) => option.env))
  for (const [name, node] of nodes) {
    t.same(Object.keys(node.environment).filter((key) => !known.has(key)), [], `${name}'s settings are all the platform's`)
    t.equal(node.environment.NENTANG_TRUST_PROXY, 'true', `${name} trusts nginx's X-Forwarded-For`)
  }
  const upstream = [...read('deploy/nginx/nentang.conf').matchAll(/^\s*server ([\d.]+):3000 /gm)].map((m) => m[1])
  t.same(nodes.map(([, node]) => node.networks.nentang.ipv4_address), upstream, 'the nodes have the addresses the shipped nginx file lists')
  t.ok(compose.services.nginx.volumes.includes('./deploy/nginx/nentang.conf:/etc/nginx/conf.d/default.conf:ro'), 'nginx runs the shipped file')
  t.ok(compose.services.postgres !== undefined, 'with PostgreSQL')
})
