import type { Logger } from '../core/logger.ts'

/**
 * What start-up has built, closed in reverse: each part registers its `close` as it is created,
 * and both a stop and a start that fails half-way unwind this one stack, last in first out, so no
 * part is closed before the parts that use it, and none is forgotten (avvio's `onClose`, the same
 * idea). A close that throws is logged and the rest still run.
 */
export interface CloseStack {
  push(name: string, close: () => unknown): void
  unwind(): Promise<void>
}

export function createCloseStack (logger: Logger): CloseStack {
  const stack: Array<{ name: string, close: () => unknown }> = []
  return {
    push (name, close) {
      stack.push({ name, close })
    },
    async unwind () {
      for (let part = stack.pop(); part !== undefined; part = stack.pop()) {
        try {
          await part.close()
        } catch (error) {
          logger.error({ err: error, part: part.name }, 'shutdown: a part failed to close')
        }
      }
    },
  }
}
