import { createHash, randomBytes } from 'node:crypto'
import type { Database } from '../db/database.ts'

/** What a ticket holder must do before a session opens. */
export type Step = 'factor' | 'enrol' | 'password' | 'continue'

/** Who an identity provider said signed in, and its session: for the provider's back-channel logout. */
export interface External {
  subject: string | null
  session: string | null
}

export interface Ticket {
  userId: number
  method: string
  step: Step
  challenge: string | null
  address: string | null
  external: External
}

const TTL_MS = 10 * 60_000
const MAX_FAILURES = 5
const TICKET = /^[A-Za-z0-9_-]{43}$/
const hash = (ticket: string): string => createHash('sha256').update(ticket, 'utf8').digest('hex')

/**
 * Sign-in tickets: what the first factor (a password, or an identity provider) gives when a session cannot open yet —
 * a second factor to show, one to enrol, or an expired administrator password to replace. 256 random bits kept as a
 * hash, good for ten minutes, for that one next step only (never for the API), ended after five wrong answers.
 */
export function createSignInTickets (db: Database) {
  return {
    async issue (
      userId: number, method: string, step: Step, address?: string, external?: External
    ): Promise<{ ticket: string, ticketExpiresAt: string }> {
      const ticket = randomBytes(32).toString('base64url')
      const now = Date.now()
      const ticketExpiresAt = new Date(now + TTL_MS).toISOString()
      await db.knex('sign_in_tickets').insert({
        ticket_hash: hash(ticket),
        user_id: userId,
        method,
        step,
        address: address?.slice(0, 64) ?? null,
        created_at: new Date(now).toISOString(),
        expires_at: ticketExpiresAt,
        external_subject: external?.subject?.slice(0, 255) ?? null,
        external_session: external?.session?.slice(0, 255) ?? null,
      })
      return { ticket, ticketExpiresAt }
    },

    /** The ticket, if it stands and is for one of `steps`. */
    async find (ticket: string, steps: readonly Step[]): Promise<Ticket | undefined> {
      if (!TICKET.test(ticket)) return undefined
      const [row] = await db.knex('sign_in_tickets').where({ ticket_hash: hash(ticket) }).whereNull('used_at')
        .where('expires_at', '>', new Date().toISOString()).where('failures', '<', MAX_FAILURES)
        .select('user_id', 'method', 'step', 'challenge', 'address', 'external_subject', 'external_session')
      if (row === undefined || !steps.includes(row.step as Step)) return undefined
      const text = (value: unknown): string | null => value == null ? null : String(value)
      return {
        userId: Number(row.user_id),
        method: String(row.method),
        step: row.step as Step,
        challenge: text(row.challenge),
        address: text(row.address),
        external: { subject: text(row.external_subject), session: text(row.external_session) },
      }
    },

    async setChallenge (ticket: string, challenge: string): Promise<void> {
      await db.knex('sign_in_tickets').where({ ticket_hash: hash(ticket) }).update({ challenge })
    },

    /** Moves a ticket on to its next step (after an expired password is replaced, the second factor is asked). */
    async advance (ticket: string, step: Step): Promise<void> {
      await db.knex('sign_in_tickets').where({ ticket_hash: hash(ticket) }).update({ step, challenge: null })
    },

    /** Uses a ticket up; false when another request did first. */
    async use (ticket: string): Promise<boolean> {
      return (await db.knex('sign_in_tickets').where({ ticket_hash: hash(ticket) }).whereNull('used_at').update({ used_at: new Date().toISOString() })) === 1
    },

    /** Counts a wrong answer; the fifth ends the ticket. */
    async fail (ticket: string): Promise<void> {
      await db.knex('sign_in_tickets').where({ ticket_hash: hash(ticket) }).increment('failures', 1)
    },

    async sweep (): Promise<void> {
      await db.knex('sign_in_tickets').where('expires_at', '<', new Date(Date.now() - TTL_MS).toISOString()).delete()
    },
  }
}

export type SignInTickets = ReturnType<typeof createSignInTickets>
