import { spawn } from 'node:child_process'
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { freePort, untilHealthy } from './free-port.ts'

const NGINX = process.env.NENTANG_NGINX ?? '/usr/sbin/nginx'
const SHIPPED = new URL('../../deploy/nginx/nentang.conf', import.meta.url).pathname

export interface TestNginx {
  url: string
  /** What nginx wrote to its error log so far. */
  errors(): string
  /** Takes a node out of rotation (`down`) and reloads nginx gracefully, as an operator does before stopping it. */
  takeOut(upstream: string): Promise<void>
  /** Lists one more node (a new or replacing one) and reloads nginx gracefully. */
  add(upstream: string): Promise<void>
}

/**
 * Real nginx (Debian's package) in front of `upstreams` (host:port), with the configuration the deployment guide ships
 * (`deploy/nginx/nentang.conf`): its `server` lines replaced by these nodes, its `listen` by a free loopback port.
 * Stopped when the test ends.
 */
export async function startNginx (t: { teardown(fn: () => unknown): void }, initial: string[]): Promise<TestNginx> {
  const upstreams = [...initial]
  const port = await freePort()
  const prefix = mkdtempSync(join(tmpdir(), 'nentang-nginx-'))
  for (const dir of ['logs', 'tmp']) mkdirSync(join(prefix, dir))
  const shipped = readFileSync(SHIPPED, 'utf8')
  const site = (down: readonly string[]) => shipped
    .replace(/^(\s*)server 10\.0\.0\.11:3000 (.*);$/m, (_, indent: string, rest: string) => upstreams.map((u) => `${indent}server ${u} ${rest}${down.includes(u) ? ' down' : ''};`).join('\n'))
    .replace(/^\s*server 10\.0\.0\.1[23]:3000 .*\n/gm, '')
    .replace(/listen 80;/, `listen 127.0.0.1:${port};`)
  if (!site([]).includes(upstreams[0]!)) throw new Error('deploy/nginx/nentang.conf no longer has the server lines the tests replace')
  writeFileSync(join(prefix, 'nentang.conf'), site([]))
  const down: string[] = []
  writeFileSync(join(prefix, 'nginx.conf'), `
daemon off;
worker_processes 1;
error_log ${prefix}/logs/error.log notice;
pid ${prefix}/nginx.pid;
${process.getuid?.() === 0 ? 'user root root;' : ''}
events { worker_connections 1024; }
http {
  access_log off;
  client_body_temp_path ${prefix}/tmp/body;
  proxy_temp_path ${prefix}/tmp/proxy;
  fastcgi_temp_path ${prefix}/tmp/fastcgi;
  uwsgi_temp_path ${prefix}/tmp/uwsgi;
  scgi_temp_path ${prefix}/tmp/scgi;
  include ${prefix}/nentang.conf;
}
`)
  const child = spawn(NGINX, ['-p', prefix, '-c', join(prefix, 'nginx.conf')], { stdio: ['ignore', 'ignore', 'pipe'] })
  let stderr = ''
  child.stderr.on('data', (chunk: Buffer) => { stderr += chunk })
  t.teardown(() => { if (child.exitCode === null) child.kill('SIGKILL') })
  const url = `http://127.0.0.1:${port}`
  await untilHealthy(url, child, 'nginx', () => stderr)
  const errors = (): string => { try { return readFileSync(join(prefix, 'logs', 'error.log'), 'utf8') } catch { return '' } }
  const reload = async (): Promise<void> => {
    writeFileSync(join(prefix, 'nentang.conf'), site(down))
    const reloads = (errors().match(/reconfiguring/g) ?? []).length
    child.kill('SIGHUP')
    // The master logs "reconfiguring" once it has read the new file; then the old workers finish what they hold.
    const deadline = Date.now() + 5000
    while ((errors().match(/reconfiguring/g) ?? []).length === reloads && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 20))
    await new Promise((resolve) => setTimeout(resolve, 200))
  }
  return {
    url,
    errors,
    async takeOut (upstream) {
      down.push(upstream)
      await reload()
    },
    async add (upstream) {
      upstreams.push(upstream)
      await reload()
    },
  }
}
