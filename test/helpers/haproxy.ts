import { spawn } from 'node:child_process'
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { freePort, untilHealthy } from './free-port.ts'

const HAPROXY = process.env.NENTANG_HAPROXY ?? '/usr/sbin/haproxy'
const SHIPPED = new URL('../../deploy/haproxy/nentang.cfg', import.meta.url).pathname

/**
 * Real HAProxy (Debian's package) in front of `upstreams` (host:port), with the configuration the deployment guide
 * ships (`deploy/haproxy/nentang.cfg`): its `server` lines replaced by these nodes, `bind` by a free loopback port.
 * Stopped when the test ends.
 */
export async function startHaproxy (t: { teardown(fn: () => unknown): void }, upstreams: string[]): Promise<{ url: string }> {
  const port = await freePort()
  const shipped = readFileSync(SHIPPED, 'utf8')
  const config = shipped
    .replace(/^(\s*)server node1 10\.0\.0\.11:3000 (.*)$/m, (_, indent: string, rest: string) => upstreams.map((u, i) => `${indent}server node${i + 1} ${u} ${rest}`).join('\n'))
    .replace(/^\s*server node[23] 10\.0\.0\.1[23]:3000 .*\n/gm, '')
    .replace(/bind :80/, `bind 127.0.0.1:${port}`)
  if (!config.includes(upstreams[0]!)) throw new Error('deploy/haproxy/nentang.cfg no longer has the server lines the tests replace')
  const dir = mkdtempSync(join(tmpdir(), 'nentang-haproxy-'))
  writeFileSync(join(dir, 'haproxy.cfg'), config)
  const child = spawn(HAPROXY, ['-db', '-f', join(dir, 'haproxy.cfg')], { stdio: ['ignore', 'ignore', 'pipe'] })
  let stderr = ''
  child.stderr.on('data', (chunk: Buffer) => { stderr += chunk })
  t.teardown(() => { if (child.exitCode === null) child.kill('SIGKILL') })
  const url = `http://127.0.0.1:${port}`
  await untilHealthy(url, child, 'haproxy', () => stderr)
  return { url }
}
