import ivm from 'isolated-vm'

/** An isolate with an empty context that has never run any code, made before a plugin needs it. */
export interface BlankIsolate {
  isolate: ivm.Isolate
  context: ivm.Context
  memoryMb: number
}

/**
 * One blank isolate kept ready per worker, so a plugin's first request does not wait for one:
 * `new ivm.Isolate` costs 3–5 ms in a worker holding many isolates (its fresh heap's page faults,
 * measured), then 1 ms for the context. A spare is made after the request that took the last one
 * has been answered (the constructor blocks the worker's thread), with the memory limit of the
 * installation that last asked (most plugins use the default). It is given to one installation
 * only, and only with the memory limit it was made with.
 */
export function createSpareIsolates () {
  let spare: BlankIsolate | undefined
  /** The spare being made (its context is created off this thread). */
  let making: Promise<BlankIsolate | undefined> | undefined
  let closed = false
  let wantedMb: number | undefined

  /** Whether a spare should be made: none ready or being made, and a memory limit known. */
  const wanted = (): boolean => !closed && making === undefined && spare === undefined && wantedMb !== undefined

  function make (): void {
    if (!wanted()) return
    const memoryMb = wantedMb!
    let isolate: ivm.Isolate
    try {
      isolate = new ivm.Isolate({ memoryLimit: memoryMb })
    } catch {
      return
    }
    // The context off this thread: only the constructor above blocks it.
    making = isolate.createContext().then((context) => {
      making = undefined
      if (closed) { isolate.dispose(); return undefined }
      spare = { isolate, context, memoryMb }
      return spare
    }, () => {
      making = undefined
      if (!isolate.isDisposed) isolate.dispose()
      return undefined
    })
  }

  return {
    /**
     * The spare isolate if it has this memory limit (it is then no longer the spare), waiting for
     * the one being made rather than making another; undefined when there is none to give.
     */
    async take (memoryMb: number): Promise<BlankIsolate | undefined> {
      wantedMb = memoryMb
      if (spare === undefined && making !== undefined) await making
      const taken = spare
      if (taken === undefined) return undefined
      // Never handed out twice; one of another size makes way for the size asked for now.
      spare = undefined
      if (taken.memoryMb === memoryMb && !taken.isolate.isDisposed) return taken
      if (!taken.isolate.isDisposed) taken.isolate.dispose()
      return undefined
    },
    /** Makes a spare once this turn's answers are sent, if none is ready or being made. */
    refill (): void {
      if (wanted()) setTimeout(make, 0).unref()
    },
    /** Whether a spare is ready (tests). */
    ready: (): boolean => spare !== undefined,
    close (): void {
      closed = true
      if (spare !== undefined && !spare.isolate.isDisposed) spare.isolate.dispose()
      spare = undefined
    },
  }
}

export type SpareIsolates = ReturnType<typeof createSpareIsolates>
