import { spawn, type ChildProcess } from 'node:child_process'

export interface Started {
  child: ChildProcess
  url: string
  /** The line the port was read from. */
  firstLine(): string
  stop(): Promise<void>
}

/** Starts a server process and waits for a line on stdout or stderr that `findPort` reads a port from. */
export function startProcess (
  args: string[],
  env: NodeJS.ProcessEnv,
  findPort: (text: string) => number | undefined,
  options: { discardStdout?: boolean } = {}
): Promise<Started> {
  // The platform's JSON log goes to /dev/null: reading it here would load the CPU the servers share.
  const child = spawn(process.execPath, ['--no-node-snapshot', ...args], { env: { ...process.env, ...env }, stdio: ['ignore', options.discardStdout === true ? 'ignore' : 'pipe', 'pipe'] })
  return new Promise((resolve, reject) => {
    let seen = ''
    const timer = setTimeout(() => reject(new Error(`not started in 120 s: ${seen.slice(-2000)}`)), 120_000)
    const onData = (chunk: Buffer): void => {
      if (seen.length < 100_000) seen += chunk
      const port = findPort(seen)
      if (port === undefined) return
      clearTimeout(timer)
      const line = seen.split('\n').find((l) => findPort(l) !== undefined) ?? ''
      resolve({
        child,
        firstLine: () => line,
        url: `http://127.0.0.1:${port}`,
        stop: () => new Promise((resolve) => {
          if (child.exitCode !== null) return resolve()
          child.once('exit', () => resolve())
          child.kill('SIGTERM')
        }),
      })
    }
    child.stdout?.on('data', onData)
    child.stderr?.on('data', onData)
    child.once('exit', (code) => reject(new Error(`exited ${code}: ${seen}`)))
  })
}
