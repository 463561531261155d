import type { ChildProcess } from 'node:child_process'
import { createServer } from 'node:net'

/** A loopback port nothing listens on now (for a server started as another process). */
export async function freePort (): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer()
    server.once('error', reject)
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number }
      server.close(() => resolve(port))
    })
  })
}

/** Waits (10 s at most) until `url`/healthz answers 200 through a balancer `child` started; throws with its stderr. */
export async function untilHealthy (url: string, child: ChildProcess, name: string, stderr: () => string): Promise<void> {
  const deadline = Date.now() + 10_000
  for (;;) {
    if (child.exitCode !== null) throw new Error(`${name} exited: ${stderr()}`)
    if (await fetch(`${url}/healthz`).then((r) => r.status === 200, () => false)) return
    if (Date.now() > deadline) throw new Error(`${name} did not answer within 10 s: ${stderr()}`)
    await new Promise((resolve) => setTimeout(resolve, 50))
  }
}
