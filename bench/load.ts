import { spawn } from 'node:child_process'

export interface LoadResult {
  requestsPerSecond: number
  p50: number
  p99: number
  errors: number
  non2xx: number
}

const autocannon = new URL('../node_modules/autocannon/autocannon.js', import.meta.url).pathname

/**
 * Generates load from a separate autocannon process on 127.0.0.1, bounded in time, and returns its
 * figures. Latencies are in milliseconds.
 */
export function load (
  url: string,
  options: { seconds: number, connections: number, headers?: Record<string, string>, method?: string, body?: string }
): Promise<LoadResult> {
  const args = [autocannon, '--json', '-c', String(options.connections), '-d', String(options.seconds)]
  if (options.method !== undefined) args.push('-m', options.method)
  if (options.body !== undefined) args.push('-b', options.body)
  for (const [name, value] of Object.entries(options.headers ?? {})) args.push('-H', `${name}=${value}`)
  args.push(url)
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'ignore'] })
    let out = ''
    child.stdout.on('data', (chunk: Buffer) => { out += chunk })
    child.on('error', reject)
    child.on('close', (code) => {
      try {
        const result = JSON.parse(out)
        resolve({
          requestsPerSecond: result.requests.average,
          p50: result.latency.p50,
          p99: result.latency.p99,
          errors: result.errors + result.timeouts,
          non2xx: result.non2xx,
        })
      } catch (error) {
        reject(new Error(`autocannon exited ${code} with unreadable output: ${out.slice(0, 200)}`, { cause: error }))
      }
    })
  })
}
