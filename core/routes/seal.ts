import { createPrivateKey, X509Certificate } from 'node:crypto'
import { appendAudit } from '../audit/audit-log.ts'
import { transaction } from '../db/database.ts'
import { CoreError } from '../errors.ts'
import { defineRoute, type Route } from '../http/route.ts'
import type { Services } from '../services.ts'
import { readCertificate } from '../signatures/certificates.ts'
import { importSealKey } from '../signatures/seal.ts'
import { tenantInReach } from '../tenancy/reach.ts'
import * as schema from './schemas.ts'

const sealSchema = {
  type: 'object',
  properties: { subject: { type: 'string' }, fingerprint: { type: 'string' }, notAfter: { type: 'string' }, addedAt: { type: 'string' }, addedBy: { type: 'string' } },
}

/** The context a seal's private key is encrypted under: it opens for this unit only. */
export const sealContext = (tenantId: number): string => `seal:${tenantId}`

/**
 * A unit's seal: the certificate and private key `signature.seal` signs with for the unit's plugins. The key is
 * written once here (tenant-admin, audited), kept encrypted with the platform secret, and never read back by
 * anyone: not the API, not a plugin (the gateway signs for it).
 */
export function sealRoutes ({ db, secretBox }: Services): Route<any>[] {
  const view = defineRoute({
    method: 'GET',
    path: '/api/v1/tenants/:code/seal',
    operationId: 'getUnitSeal',
    summary: "The certificate of this unit's seal (its key is never shown)",
    tag: 'signatures',
    auth: 'user',
    params: { code: schema.tenantCode },
    responses: { 200: { description: 'The seal', schema: sealSchema } },
    errors: [CoreError.notFound, CoreError.forbidden],
    async handle ({ params, principal }) {
      const tenant = await tenantInReach(db, principal, params.code!, 'admin')
      const row = await db.knex('unit_seals').where({ tenant_id: tenant.id }).first('subject', 'fingerprint', 'not_after', 'added_at', 'added_by')
      if (row === undefined) throw CoreError.notFound(`'${tenant.code}' has no seal`)
      const { subject, fingerprint } = row
      return { status: 200, body: { subject, fingerprint, notAfter: row.not_after, addedAt: row.added_at, addedBy: row.added_by } }
    },
  })

  const set = defineRoute<{ certificate: string, privateKey: string }>({
    method: 'PUT',
    path: '/api/v1/tenants/:code/seal',
    operationId: 'setUnitSeal',
    summary: "Set this unit's seal: a signing certificate and its private key (PEM), replacing any before",
    tag: 'signatures',
    auth: 'user',
    params: { code: schema.tenantCode },
    body: {
      type: 'object',
      additionalProperties: false,
      required: ['certificate', 'privateKey'],
      properties: { certificate: { type: 'string', minLength: 100, maxLength: 16_384 }, privateKey: { type: 'string', minLength: 100, maxLength: 16_384 } },
    },
    responses: { 200: { description: 'Set', schema: sealSchema } },
    errors: [CoreError.notFound, CoreError.forbidden, CoreError.invalidField],
    async handle ({ params, body, principal, requestId }) {
      const tenant = await tenantInReach(db, principal, params.code!, 'admin')
      const read = readCertificate(body.certificate)
      if (read === undefined) throw CoreError.invalidField('certificate is not one PEM X.509 certificate', { field: 'certificate' })
      if (read.facts.isAuthority) throw CoreError.invalidField("certificate is an authority's; a seal signs with a unit's own certificate", { field: 'certificate' })
      if (read.facts.notAfter.getTime() <= Date.now()) throw CoreError.invalidField('certificate has expired', { field: 'certificate' })
      try {
        await importSealKey(body.privateKey)
      } catch (error) {
        throw CoreError.invalidField(`privateKey: ${(error as Error).message.slice(0, 200)}`, { field: 'privateKey' })
      }
      if (!new X509Certificate(body.certificate).checkPrivateKey(createPrivateKey(body.privateKey))) {
        throw CoreError.invalidField("privateKey is not the certificate's key", { field: 'privateKey' })
      }
      const { subject, fingerprint, notAfter } = read.facts
      const row = {
        tenant_id: tenant.id,
        certificate: read.facts.pem,
        private_key: secretBox.seal(body.privateKey, sealContext(tenant.id)),
        fingerprint,
        subject,
        not_after: notAfter.toISOString(),
        added_by: principal.username,
        added_at: new Date().toISOString(),
      }
      await transaction(db, async (trx) => {
        await trx('unit_seals').insert(row).onConflict('tenant_id').merge()
        await appendAudit(trx, { actor: principal.username, action: 'seal.set', tenant: tenant.code, target: subject, details: { fingerprint }, requestId })
      })
      return { status: 200, body: { subject, fingerprint, notAfter: row.not_after, addedAt: row.added_at, addedBy: row.added_by } }
    },
  })

  const remove = defineRoute({
    method: 'DELETE',
    path: '/api/v1/tenants/:code/seal',
    operationId: 'removeUnitSeal',
    summary: "Remove this unit's seal (its plugins can no longer seal)",
    tag: 'signatures',
    auth: 'user',
    params: { code: schema.tenantCode },
    responses: { 204: { description: 'Removed' } },
    errors: [CoreError.notFound, CoreError.forbidden],
    async handle ({ params, principal, requestId }) {
      const tenant = await tenantInReach(db, principal, params.code!, 'admin')
      const removed = await transaction(db, async (trx) => {
        const row = await trx('unit_seals').where({ tenant_id: tenant.id }).first('subject', 'fingerprint')
        if (row === undefined) return false
        await trx('unit_seals').where({ tenant_id: tenant.id }).delete()
        await appendAudit(trx, { actor: principal.username, action: 'seal.remove', tenant: tenant.code, target: String(row.subject), details: { fingerprint: row.fingerprint }, requestId })
        return true
      })
      if (!removed) throw CoreError.notFound(`'${tenant.code}' has no seal`)
      return { status: 204 }
    },
  })
  return [view, set, remove]
}
