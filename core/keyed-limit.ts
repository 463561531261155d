/**
 * At most `running` tasks at once per key, and at most `queued` more waiting per key; one past those is refused at
 * once, never piled up. The one limiter behind sign-ins (password hashing: 32 MiB and tens of milliseconds on libuv's
 * four threads), an installation's storage calls (each holds a pooled connection) and its outgoing fetches.
 */
export interface KeyedLimit {
  /**
   * Waits for room under `key`: the function that gives it back, or undefined when refused (`queued` are waiting
   * already). Past `deadline` (ms since the epoch) a wait stops with what `late()` makes.
   */
  acquire(key: string, deadline?: number, late?: () => Error): Promise<(() => void) | undefined>
  /** Runs `task` with room under `key`; undefined when refused. */
  run<T>(key: string, task: () => Promise<T>): Promise<T | undefined>
}

export function createKeyedLimit (limits: { running: number, queued: number }): KeyedLimit {
  const keys = new Map<string, { running: number, waiting: Array<() => void> }>()

  async function acquire (key: string, deadline?: number, late?: () => Error): Promise<(() => void) | undefined> {
    let entry = keys.get(key)
    if (entry === undefined) keys.set(key, entry = { running: 0, waiting: [] })
    const current = entry
    if (current.running >= limits.running) {
      if (current.waiting.length >= limits.queued) return undefined
      await new Promise<void>((resolve, reject) => {
        const wake = (): void => { clearTimeout(timer); resolve() }
        const timer = deadline === undefined
          ? undefined
          : setTimeout(() => {
            current.waiting.splice(current.waiting.indexOf(wake), 1)
            reject(late?.() ?? new Error('waited past the deadline'))
          }, Math.max(0, deadline - Date.now()))
        current.waiting.push(wake)
      })
    } else current.running++
    let released = false
    return () => {
      if (released) return
      released = true
      const next = current.waiting.shift()
      if (next !== undefined) next()
      else if (--current.running === 0) keys.delete(key)
    }
  }

  return {
    acquire,
    async run (key, task) {
      const release = await acquire(key)
      if (release === undefined) return undefined
      try {
        return await task()
      } finally {
        release()
      }
    },
  }
}
