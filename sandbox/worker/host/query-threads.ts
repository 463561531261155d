import { Worker } from 'node:worker_threads'
import { HostCallError } from '../../host-error.ts'

/** Threads per worker process that run long queries; more wait their turn (within their request's time). */
const THREADS = 2

type Row = Record<string, unknown>

export interface QueryThreads {
  /** The rows of `sql`, read on a query thread; a Timeout when `deadline` passes first (the thread is killed). */
  all(sql: string, params: readonly unknown[], deadline: number | undefined): Promise<Row[]>
  close(): Promise<void>
}

interface Slot {
  worker: Worker
  busy: boolean
}

/**
 * Long SQLite queries (aggregates, searches, counts) off the worker's thread: better-sqlite3 answers synchronously,
 * and a report over 100,000 documents on the worker's own thread stalled every tenant served by that worker, with
 * no time limit able to stop it. Here each runs on a thread with its own read-only connection (WAL: it sees every
 * committed write), and a query past its request's deadline is stopped by terminating its thread (a new one takes
 * its place). Queries that find no free thread wait in order.
 */
export function createQueryThreads (filename: string): QueryThreads {
  const slots: Slot[] = []
  const waiting: Array<(slot: Slot) => void> = []
  let nextId = 1
  let closed = false

  const spawn = (): Slot => {
    const worker = new Worker(new URL(`./query-thread-main.${import.meta.url.endsWith('.ts') ? 'ts' : 'js'}`, import.meta.url), { workerData: { filename } })
    worker.unref()
    const slot = { worker, busy: false }
    worker.on('error', () => replace(slot))
    return slot
  }
  const replace = (slot: Slot): void => {
    const index = slots.indexOf(slot)
    if (index === -1) return
    void slot.worker.terminate()
    slots.splice(index, 1)
    if (!closed) release(spawn())
  }
  const release = (slot: Slot): void => {
    if (!slots.includes(slot)) slots.push(slot)
    const next = waiting.shift()
    if (next !== undefined) {
      slot.busy = true
      next(slot)
    } else slot.busy = false
  }
  const acquire = (deadline: number | undefined): Promise<Slot> => {
    const free = slots.find((slot) => !slot.busy)
    if (free !== undefined) {
      free.busy = true
      return Promise.resolve(free)
    }
    if (slots.length < THREADS) {
      const slot = spawn()
      slots.push(slot)
      slot.busy = true
      return Promise.resolve(slot)
    }
    return new Promise((resolve, reject) => {
      const timer = deadline === undefined
        ? undefined
        : setTimeout(() => {
          waiting.splice(waiting.indexOf(take), 1)
          reject(new HostCallError('Timeout', 'the query waited past the request\'s time'))
        }, Math.max(0, deadline - Date.now()))
      const take = (slot: Slot): void => { clearTimeout(timer); resolve(slot) }
      waiting.push(take)
    })
  }

  return {
    async all (sql, params, deadline) {
      const slot = await acquire(deadline)
      const id = nextId++
      return new Promise<Row[]>((resolve, reject) => {
        const left = deadline === undefined ? 30_000 : deadline - Date.now()
        const timer = setTimeout(() => {
          slot.worker.off('message', answer)
          // The query runs on: only ending its thread stops it.
          replace(slot)
          reject(new HostCallError('Timeout', 'the query ran past the request\'s time'))
        }, Math.max(0, left))
        const answer = (message: { id: number, rows?: Row[], error?: { message: string, code?: string } }): void => {
          if (message.id !== id) return
          clearTimeout(timer)
          slot.worker.off('message', answer)
          release(slot)
          if (message.error !== undefined) reject(Object.assign(new Error(message.error.message), { code: message.error.code }))
          else resolve(message.rows!)
        }
        slot.worker.on('message', answer)
        slot.worker.postMessage({ id, sql, params })
      })
    },
    async close () {
      closed = true
      await Promise.all(slots.map((slot) => slot.worker.terminate()))
      slots.length = 0
    },
  }
}
