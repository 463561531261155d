import { CoreError } from '../errors.ts'
import type { Principal } from '../tenancy/access.ts'
import type { FactorPolicy } from './factor-policy.ts'

/** How recent a second factor must be for a dangerous action. */
export const STEP_UP_SECONDS = 300

/**
 * Step-up (ASVS V6.3): a dangerous action by someone who must use a second factor needs one shown in this session
 * within the last five minutes; else CORE_ERR_STEP_UP_REQUIRED, and `POST /api/v1/auth/step-up` gives a token that
 * has it.
 */
export function assertRecentFactor (principal: Principal, policy: Pick<FactorPolicy, 'requires'>, action: string): void {
  if (!policy.requires(principal)) return
  const at = principal.session?.factorAt ?? 0
  if (Date.now() / 1000 - at <= STEP_UP_SECONDS) return
  throw CoreError.stepUpRequired(`${action} needs your second factor again: confirm it (POST /api/v1/auth/step-up), then repeat the request`)
}
