/** An error the plugin sees by its name (the supervisor passes these on, and masks any other). */
export class CallError extends Error {
  constructor (name: 'PermissionDenied' | 'InvalidArgument' | 'NotFound' | 'QuotaExceeded' | 'Conflict' | 'ExchangeError', message: string) {
    super(message)
    this.name = name
  }
}
