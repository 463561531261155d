interface Waiting<T> {
  item: T
  done: (error?: unknown) => void
}

/**
 * Appends that arrive while one is being written go together in the next write (a group commit): a burst of sixty
 * costs a few transactions, not sixty in a row behind one lock. `write` takes at most `max` items in order; when it
 * fails for a group, each item is written alone, so one item's fault fails only its own caller. With `defer`, the
 * first group also waits for the end of the turn of the event loop, gathering what the turn adds.
 */
export function createGroupCommit<T> (write: (items: T[]) => Promise<void>, options: { max?: number, defer?: boolean } = {}): (item: T) => Promise<void> {
  const max = options.max ?? 500
  const queue: Waiting<T>[] = []
  let writing = false

  async function drain (): Promise<void> {
    writing = true
    try {
      while (queue.length > 0) {
        const group = queue.splice(0, max)
        try {
          await write(group.map((one) => one.item))
          for (const one of group) one.done()
        } catch (error) {
          if (group.length === 1) {
            group[0]!.done(error)
            continue
          }
          for (const one of group) await write([one.item]).then(() => one.done(), one.done)
        }
      }
    } finally {
      writing = false
    }
  }

  return (item) => new Promise((resolve, reject) => {
    queue.push({ item, done: (error) => { if (error === undefined) resolve(); else reject(error) } })
    if (writing) return
    // Deferred, a group starts at the end of this turn of the event loop, with what the turn added.
    writing = true
    if (options.defer === true) setImmediate(() => { void drain() })
    else void drain()
  })
}
