import { Writable } from 'node:stream'
import { createLogger, type Logger } from '../../core/logger.ts'

/** A logger (`info` and up) whose lines the test reads: as written (`chunks`), or as JSON entries. */
export function captureLog (): { logger: Logger, chunks: string[], entries(): Array<Record<string, any>> } {
  const chunks: string[] = []
  const sink = new Writable({
    write (chunk, _encoding, done) {
      chunks.push(String(chunk))
      done()
    },
  })
  return {
    logger: createLogger('info', sink),
    chunks,
    entries: () => chunks.join('').split('\n').filter((line) => line.trim() !== '').map((line) => JSON.parse(line) as Record<string, any>),
  }
}
