import { pino, type Logger } from 'pino'
import type { LogLevel } from './config.ts'

export type { Logger }

/** Structured JSON logs on stdout, one object a line; secrets and tokens are never passed to it. */
export function createLogger (level: LogLevel, destination?: NodeJS.WritableStream): Logger {
  return pino(
    {
      level,
      base: { service: 'nentang' },
      timestamp: pino.stdTimeFunctions.isoTime,
      formatters: { level: (label) => ({ level: label }) },
      redact: { paths: ['password', '*.password', 'token', '*.token', 'authorization', '*.authorization'], censor: '[redacted]' },
    },
    destination ?? pino.destination({ dest: 1, sync: false })
  )
}
