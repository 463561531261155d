/**
 * At most `concurrency` tasks run at once and at most `queued` wait; a task beyond those is refused
 * at once (undefined) instead of piling up. Password hashing takes 32 MiB and tens of milliseconds
 * on libuv's four threads, so a flood of sign-ins must queue briefly or be told to retry, never
 * starve the node's other file and crypto work.
 */
export function createConcurrencyLimit (concurrency: number, queued: number) {
  let running = 0
  const waiting: Array<() => void> = []
  return async function limited<T> (task: () => Promise<T>): Promise<T | undefined> {
    if (running >= concurrency) {
      if (waiting.length >= queued) return undefined
      await new Promise<void>((resolve) => waiting.push(resolve))
    } else running++
    try {
      return await task()
    } finally {
      const next = waiting.shift()
      if (next !== undefined) next()
      else running--
    }
  }
}
