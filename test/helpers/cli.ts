import { spawn } from 'node:child_process'

export const cliPath = new URL('../../cli/nentang.ts', import.meta.url).pathname

export interface CliResult {
  code: number | null
  stdout: string
  stderr: string
}

/**
 * Runs `nentang <args>` as a separate process, as an operator would, bounded in time; `input` is its standard input.
 */
export function runCli (args: string[], env: NodeJS.ProcessEnv = {}, timeoutMs = 30_000, input?: string): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--no-node-snapshot', cliPath, ...args], {
      env: { ...process.env, NENTANG_LOG_LEVEL: 'warn', ...env },
      stdio: [input === undefined ? 'ignore' : 'pipe', 'pipe', 'pipe'],
      timeout: timeoutMs,
    })
    let stdout = ''
    let stderr = ''
    child.stdout!.on('data', (chunk: Buffer) => { stdout += chunk })
    child.stderr!.on('data', (chunk: Buffer) => { stderr += chunk })
    child.stdin?.end(input)
    child.on('error', reject)
    child.on('close', (code) => resolve({ code, stdout, stderr }))
  })
}
