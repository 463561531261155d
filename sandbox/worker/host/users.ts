import type { RequestUser } from '../../protocol.ts'
import type { RunningRequest } from '../plugin-isolate.ts'

/** `users.current()`: the signed-in caller of this request, or null on a public route. Needs no permission. */
export function currentUser (request: RunningRequest): RequestUser | null {
  return request.user === null ? null : { ...request.user, roles: [...request.user.roles] }
}
