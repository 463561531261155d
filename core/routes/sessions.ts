import { recordAudit } from '../audit/audit-log.ts'
import { CoreError } from '../errors.ts'
import { defineRoute, type Route } from '../http/route.ts'
import type { Services } from '../services.ts'

const sessionView = {
  type: 'object',
  properties: {
    id: { type: 'string' },
    method: { type: 'string', description: 'password, or oidc:<provider>' },
    address: { type: ['string', 'null'] },
    agent: { type: ['string', 'null'], description: 'The browser or program it began in' },
    createdAt: { type: 'string', format: 'date-time' },
    lastUsedAt: { type: 'string', format: 'date-time' },
    factorAt: { type: ['string', 'null'], format: 'date-time', description: 'When a second factor was last shown in it' },
    current: { type: 'boolean', description: 'The session this request belongs to' },
  },
}

/** A user's own sessions (ASVS V7.4.5): listed with where and when, each ended at once on every node. */
export function sessionRoutes (services: Services): Route<any>[] {
  const { db, identity } = services

  const list = defineRoute({
    method: 'GET',
    path: '/api/v1/me/sessions',
    operationId: 'listMySessions',
    summary: 'Your sessions that still stand: how each began, from where, when last used',
    tag: 'auth',
    auth: 'user',
    responses: { 200: { description: 'Newest first', schema: { type: 'object', properties: { sessions: { type: 'array', items: sessionView } } } } },
    errors: [],
    async handle ({ principal }) {
      const sessions = await identity.sessions.list(principal.id)
      return { status: 200, body: { sessions: sessions.map((one) => ({ ...one, current: one.id === principal.session?.id })) } }
    },
  })

  const end = defineRoute({
    method: 'DELETE',
    path: '/api/v1/me/sessions/:id',
    operationId: 'endMySession',
    summary: 'End one of your sessions: its tokens are refused at once, on every node',
    tag: 'auth',
    auth: 'user',
    params: { id: { type: 'string', pattern: '^[0-9a-f-]{36}$' } },
    responses: { 204: { description: 'Ended' } },
    errors: [CoreError.notFound],
    async handle ({ params, principal, requestId }) {
      if (!await identity.sessions.end(principal.id, params.id!)) throw CoreError.notFound('no such session of yours (or it has ended)')
      await recordAudit(db, { actor: principal.username, action: 'auth.session-ended', tenant: principal.home.code, target: principal.username, details: { session: params.id }, requestId })
      return { status: 204 }
    },
  })

  const endOthers = defineRoute({
    method: 'DELETE',
    path: '/api/v1/me/sessions',
    operationId: 'endMyOtherSessions',
    summary: 'End every session of yours but this one (send {})',
    tag: 'auth',
    auth: 'user',
    body: { type: 'object', additionalProperties: false, properties: {} },
    responses: { 200: { description: 'How many ended', schema: { type: 'object', properties: { ended: { type: 'integer' } } } } },
    errors: [],
    async handle ({ principal, requestId }) {
      const ended = await identity.sessions.endAll(principal.id, principal.session?.id)
      // Nothing ended, nothing changed: nothing to audit.
      if (ended > 0) await recordAudit(db, { actor: principal.username, action: 'auth.sessions-ended', tenant: principal.home.code, target: principal.username, details: { ended }, requestId })
      return { status: 200, body: { ended } }
    },
  })

  return [list, end, endOthers]
}
