import type { Database, Row } from '../db/database.ts'
import type { Tenant } from '../tenancy/tenants.ts'
import { readCertificate, type CertificateFacts } from './certificates.ts'
import type * as pkijs from 'pkijs'

/** A trust anchor or a registered certificate, as the API shows it. */
export function certificateView (row: Row): Record<string, unknown> {
  return {
    id: Number(row.id),
    ...(row.name === undefined ? {} : { name: row.name }),
    subject: row.subject,
    fingerprint: row.fingerprint,
    notAfter: row.not_after,
    addedAt: row.added_at,
    ...(row.added_by === undefined ? {} : { addedBy: row.added_by }),
  }
}

/** The anchors of `tenant` itself (what its administrators manage). */
export function anchorsAt (db: Database, tenant: Tenant): Promise<Row[]> {
  return db.knex('trust_anchors').where({ tenant_id: tenant.id }).orderBy('id').select('id', 'name', 'subject', 'fingerprint', 'not_after', 'added_by', 'added_at')
}

/** The anchors a signature at `tenant` may chain to: its own and its ancestors' (a province's serve its communes). */
export async function anchorsFor (db: Database, tenant: { path: string }): Promise<pkijs.Certificate[]> {
  const rows = await db.knex('trust_anchors as a').join('tenants as t', 't.id', 'a.tenant_id').whereIn('t.code', tenant.path.split('/')).select('a.certificate')
  return rows.flatMap((row) => readCertificate(String(row.certificate))?.certificate ?? [])
}

export async function addAnchor (trx: Database['knex'], tenant: Tenant, name: string, facts: CertificateFacts, by: string): Promise<number> {
  const [inserted] = await trx('trust_anchors').insert({ tenant_id: tenant.id, name, certificate: facts.pem, fingerprint: facts.fingerprint, subject: facts.subject, not_after: facts.notAfter.toISOString(), added_by: by, added_at: new Date().toISOString() }).returning('id')
  return Number(typeof inserted === 'object' ? inserted.id : inserted)
}

/** The certificates `userId` registered as theirs. */
export function certificatesOf (db: Database, userId: number): Promise<Row[]> {
  return db.knex('user_certificates').where({ user_id: userId }).orderBy('id').select('id', 'subject', 'fingerprint', 'not_after', 'added_at')
}

export async function fingerprintsOf (db: Database, username: string): Promise<Set<string>> {
  const rows = await db.knex('user_certificates as c').join('users as u', 'u.id', 'c.user_id').where('u.username', username).select('c.fingerprint')
  return new Set(rows.map((row) => String(row.fingerprint)))
}

export async function addCertificate (trx: Database['knex'], userId: number, facts: CertificateFacts): Promise<number> {
  const [inserted] = await trx('user_certificates').insert({ user_id: userId, certificate: facts.pem, fingerprint: facts.fingerprint, subject: facts.subject, not_after: facts.notAfter.toISOString(), added_at: new Date().toISOString() }).returning('id')
  return Number(typeof inserted === 'object' ? inserted.id : inserted)
}
