/**
 * Runs `work` again `everyMs` after each run ends (never two at once) until stopped; a run that fails goes to
 * `failed` and the loop goes on. Returns the function that stops it, once the run in progress has ended.
 */
export function startPolling (everyMs: number, work: () => Promise<void>, failed: (error: unknown) => void): () => Promise<void> {
  let stopped = false
  let timer: NodeJS.Timeout | undefined
  let running: Promise<void> = Promise.resolve()
  const schedule = (): void => {
    if (stopped) return
    timer = setTimeout(() => {
      running = work().catch(failed).finally(schedule)
    }, everyMs)
    timer.unref()
  }
  schedule()
  return async () => {
    stopped = true
    clearTimeout(timer)
    await running
  }
}
