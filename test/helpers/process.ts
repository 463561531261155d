import { spawn, type ChildProcess } from 'node:child_process'
import { cliPath } from './cli.ts'

export interface RunningNode {
  child: ChildProcess
  url: string
  stderr(): string
  /** Resolves with the exit code once the process has ended. */
  exited: Promise<number | null>
}

/**
 * Starts `nentang start` as its own process on a free port and waits until it listens. The process
 * is killed when the test ends if it is still running, so no test leaves one behind.
 */
export function startNode (t: { teardown(fn: () => unknown): void }, args: string[], env: NodeJS.ProcessEnv, program?: string[]): Promise<RunningNode> {
  return startNodeWith(t, ['start', '--port', '0', '--host', '127.0.0.1', ...args], env, /listening on http:\/\/localhost:(\d+)/, undefined, program)
}

/**
 * Runs `nentang <args>` (in `cwd`) and waits for `listening` to match its port on stderr; `program`, another `nentang`
 * to run (an installed one).
 */
export async function startNodeWith (
  t: { teardown(fn: () => unknown): void },
  args: string[],
  env: NodeJS.ProcessEnv,
  listening: RegExp,
  cwd?: string,
  program: string[] = [process.execPath, '--no-node-snapshot', cliPath]
): Promise<RunningNode> {
  const child = spawn(program[0]!, [...program.slice(1), ...args], {
    cwd,
    env: { ...process.env, NENTANG_LOG_LEVEL: 'warn', NENTANG_MFA_ROLES: '', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  let stderr = ''
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)))
  t.teardown(() => { if (child.exitCode === null) child.kill('SIGKILL') })
  child.stdout.resume()
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`nentang did not start within 20 s:\n${stderr}`)), 20_000)
    child.stderr.on('data', (chunk: Buffer) => {
      stderr += chunk
      const match = listening.exec(stderr)
      if (match !== null) {
        clearTimeout(timer)
        resolve(`http://127.0.0.1:${match[1]}`)
      }
    })
    exited.then((code) => reject(new Error(`nentang exited with ${code} before listening:\n${stderr}`)))
  })
  return { child, url, stderr: () => stderr, exited }
}
