import { appendAudit } from '../audit/audit-log.ts'
import { isUniqueViolation, transaction } from '../db/database.ts'
import { CoreError } from '../errors.ts'
import { assertRecentFactor } from '../auth/step-up.ts'
import { defineRoute, type Route } from '../http/route.ts'
import type { Services } from '../services.ts'
import { readCertificate } from '../signatures/certificates.ts'
import { anchorOf, keepRevocationList, readRevocationList, revocationViews } from '../signatures/revocation.ts'
import { addAnchor, addCertificate, anchorsAt, certificatesOf, certificateView } from '../signatures/store.ts'
import { tenantInReach } from '../tenancy/reach.ts'
import * as schema from './schemas.ts'

const revocationSchema = {
  type: 'object',
  description: "the authority's revocation list held: its dates and how many certificates it names",
  properties: { thisUpdate: { type: 'string' }, nextUpdate: { type: ['string', 'null'] }, revoked: { type: 'integer' } },
}
const certificateSchema = {
  type: 'object',
  properties: {
    id: { type: 'integer' },
    name: { type: 'string' },
    subject: { type: 'string' },
    fingerprint: { type: 'string' },
    notAfter: { type: 'string' },
    addedAt: { type: 'string' },
    addedBy: { type: 'string' },
    revocationList: { ...revocationSchema, type: ['object', 'null'] },
  },
}
const pem = { type: 'string', minLength: 100, maxLength: 16_384, description: 'one X.509 certificate, PEM' }
const idParam = { type: 'string', pattern: '^[1-9][0-9]{0,15}$' }

/**
 * Digital signatures' two lists: a unit's trust anchors (the authorities whose certificates its people sign with,
 * inherited by the units below; tenant-admin, audited), and the signing certificates a user registers as theirs
 * (`signature.verify` accepts a signature as the acting user's only with one of these).
 */
export function certificateRoutes (services: Services): Route<any>[] {
  const { db } = services
  const listAnchors = defineRoute({
    method: 'GET',
    path: '/api/v1/tenants/:code/trust-anchors',
    operationId: 'listTrustAnchors',
    summary: "The authorities this unit trusts for its people's signatures (the units below inherit them)",
    tag: 'signatures',
    auth: 'user',
    params: { code: schema.tenantCode },
    responses: { 200: { description: 'Trust anchors', schema: { type: 'object', properties: { items: { type: 'array', items: certificateSchema } } } } },
    errors: [CoreError.notFound, CoreError.forbidden],
    async handle ({ params, principal }) {
      const tenant = await tenantInReach(db, principal, params.code!, 'admin')
      const anchors = await anchorsAt(db, tenant)
      const lists = await revocationViews(db, anchors.map((row) => Number(row.id)))
      return { status: 200, body: { items: anchors.map((row) => ({ ...certificateView(row), revocationList: lists.get(Number(row.id)) ?? null })) } }
    },
  })

  const addAnchorRoute = defineRoute<{ name: string, certificate: string }>({
    method: 'POST',
    path: '/api/v1/tenants/:code/trust-anchors',
    operationId: 'addTrustAnchor',
    summary: "Trust an authority (a CA certificate) for this unit's signatures and the units below",
    tag: 'signatures',
    auth: 'user',
    params: { code: schema.tenantCode },
    body: { type: 'object', additionalProperties: false, required: ['name', 'certificate'], properties: { name: { type: 'string', minLength: 1, maxLength: 200 }, certificate: pem } },
    responses: { 201: { description: 'Trusted', schema: certificateSchema } },
    errors: [CoreError.notFound, CoreError.forbidden, CoreError.invalidField, CoreError.certificateExists, CoreError.stepUpRequired],
    async handle ({ params, body, principal, requestId }) {
      const tenant = await tenantInReach(db, principal, params.code!, 'admin')
      assertRecentFactor(principal, services.identity.factorPolicy, 'Trusting an authority')
      const read = readCertificate(body.certificate)
      if (read === undefined) throw CoreError.invalidField('certificate is not one PEM X.509 certificate', { field: 'certificate' })
      if (!read.facts.isAuthority) throw CoreError.invalidField('certificate is not an authority\'s (basicConstraints CA)', { field: 'certificate' })
      try {
        const id = await transaction(db, async (trx) => {
          const added = await addAnchor(trx, tenant, body.name, read.facts, principal.username)
          const details = { name: body.name, fingerprint: read.facts.fingerprint }
          await appendAudit(trx, { actor: principal.username, action: 'trust-anchor.add', tenant: tenant.code, target: read.facts.subject, details, requestId })
          return added
        })
        const { subject, fingerprint, notAfter } = read.facts
        return { status: 201, body: { id, name: body.name, subject, fingerprint, notAfter: notAfter.toISOString() } }
      } catch (error) {
        if (isUniqueViolation(error)) throw CoreError.certificateExists('this unit trusts this authority already', { field: 'certificate' })
        throw error
      }
    },
  })

  const removeAnchor = defineRoute({
    method: 'DELETE',
    path: '/api/v1/tenants/:code/trust-anchors/:id',
    operationId: 'removeTrustAnchor',
    summary: 'Stop trusting an authority at this unit',
    tag: 'signatures',
    auth: 'user',
    params: { code: schema.tenantCode, id: idParam },
    responses: { 204: { description: 'Removed' } },
    errors: [CoreError.notFound, CoreError.forbidden, CoreError.stepUpRequired],
    async handle ({ params, principal, requestId }) {
      const tenant = await tenantInReach(db, principal, params.code!, 'admin')
      assertRecentFactor(principal, services.identity.factorPolicy, 'Removing a trusted authority')
      const removed = await transaction(db, async (trx) => {
        const row = await trx('trust_anchors').where({ id: Number(params.id), tenant_id: tenant.id }).first('subject', 'fingerprint')
        if (row === undefined) return false
        await trx('revocation_lists').where({ anchor_id: Number(params.id) }).delete()
        await trx('trust_anchors').where({ id: Number(params.id) }).delete()
        await appendAudit(trx, { actor: principal.username, action: 'trust-anchor.remove', tenant: tenant.code, target: String(row.subject), details: { fingerprint: row.fingerprint }, requestId })
        return true
      })
      if (!removed) throw CoreError.notFound(`no trust anchor ${params.id} at '${tenant.code}'`)
      return { status: 204 }
    },
  })

  const giveRevocationList = defineRoute<{ crl: string }>({
    method: 'PUT',
    path: '/api/v1/tenants/:code/trust-anchors/:id/revocation-list',
    operationId: 'putRevocationList',
    summary: "Give a trusted authority's certificate revocation list (CRL): signatures by the certificates it names are refused",
    tag: 'signatures',
    auth: 'user',
    params: { code: schema.tenantCode, id: idParam },
    body: {
      type: 'object',
      additionalProperties: false,
      required: ['crl'],
      properties: { crl: { type: 'string', minLength: 100, maxLength: 900_000, description: 'the CRL, PEM (X509 CRL) or base64 DER, signed by this authority' } },
    },
    responses: { 200: { description: 'Held: the newest list of this authority', schema: revocationSchema } },
    errors: [CoreError.notFound, CoreError.forbidden, CoreError.invalidField, CoreError.revocationListOlder],
    async handle ({ params, body, principal, requestId }) {
      const tenant = await tenantInReach(db, principal, params.code!, 'admin')
      const anchor = await anchorOf(db, tenant, Number(params.id))
      if (anchor === undefined) throw CoreError.notFound(`no trust anchor ${params.id} at '${tenant.code}'`)
      const read = await readRevocationList(body.crl, anchor.certificate)
      if (read === 'not-a-crl') throw CoreError.invalidField('crl is not a certificate revocation list (PEM or base64 DER)', { field: 'crl' })
      if (read === 'not-this-authority') throw CoreError.invalidField(`crl is not issued and signed by ${anchor.subject}`, { field: 'crl' })
      const { facts } = read as Exclude<typeof read, string>
      const kept = await transaction(db, async (trx) => {
        if (await keepRevocationList(trx, anchor.id, facts, principal.username) === 'older') return false
        const details = { thisUpdate: facts.thisUpdate.toISOString(), nextUpdate: facts.nextUpdate?.toISOString() ?? null, revoked: facts.revoked }
        await appendAudit(trx, { actor: principal.username, action: 'trust-anchor.revocation-list', tenant: tenant.code, target: anchor.subject, details, requestId })
        return true
      })
      if (!kept) throw CoreError.revocationListOlder(`a list of ${anchor.subject} as new as ${facts.thisUpdate.toISOString()} or newer is held already`, { field: 'crl' })
      return { status: 200, body: { thisUpdate: facts.thisUpdate.toISOString(), nextUpdate: facts.nextUpdate?.toISOString() ?? null, revoked: facts.revoked } }
    },
  })

  const myCertificates = defineRoute({
    method: 'GET',
    path: '/api/v1/me/certificates',
    operationId: 'listMyCertificates',
    summary: 'The signing certificates you registered as yours',
    tag: 'signatures',
    auth: 'user',
    responses: { 200: { description: 'Certificates', schema: { type: 'object', properties: { items: { type: 'array', items: certificateSchema } } } } },
    errors: [],
    async handle ({ principal }) {
      return { status: 200, body: { items: (await certificatesOf(db, principal.id)).map(certificateView) } }
    },
  })

  const registerCertificate = defineRoute<{ certificate: string }>({
    method: 'POST',
    path: '/api/v1/me/certificates',
    operationId: 'registerMyCertificate',
    summary: 'Register a signing certificate as yours (your signatures are accepted as yours only with one of these)',
    tag: 'signatures',
    auth: 'user',
    body: { type: 'object', additionalProperties: false, required: ['certificate'], properties: { certificate: pem } },
    responses: { 201: { description: 'Registered', schema: certificateSchema } },
    errors: [CoreError.invalidField, CoreError.certificateExists],
    async handle ({ body, principal, requestId }) {
      const read = readCertificate(body.certificate)
      if (read === undefined) throw CoreError.invalidField('certificate is not one PEM X.509 certificate', { field: 'certificate' })
      if (read.facts.isAuthority) throw CoreError.invalidField('certificate is an authority\'s, not a person\'s', { field: 'certificate' })
      try {
        const id = await transaction(db, async (trx) => {
          const added = await addCertificate(trx, principal.id, read.facts)
          await appendAudit(trx, { actor: principal.username, action: 'certificate.register', tenant: principal.home.code, target: principal.username, details: { subject: read.facts.subject, fingerprint: read.facts.fingerprint }, requestId })
          return added
        })
        return { status: 201, body: { id, subject: read.facts.subject, fingerprint: read.facts.fingerprint, notAfter: read.facts.notAfter.toISOString() } }
      } catch (error) {
        if (isUniqueViolation(error)) throw CoreError.certificateExists('you registered this certificate already', { field: 'certificate' })
        throw error
      }
    },
  })

  return [listAnchors, addAnchorRoute, removeAnchor, giveRevocationList, myCertificates, registerCertificate]
}
