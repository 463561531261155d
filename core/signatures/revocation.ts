import * as pkijs from 'pkijs'
import type { Database } from '../db/database.ts'
import type { Tenant } from '../tenancy/tenants.ts'
import { readCertificate } from './certificates.ts'

/** A revocation list as the platform keeps it: its PEM, its dates, how many certificates it names. */
export interface RevocationFacts {
  pem: string
  thisUpdate: Date
  nextUpdate: Date | undefined
  revoked: number
}

/** Why a revocation list is refused, for the administrator who gave it. */
export type CrlProblem = 'not-a-crl' | 'not-this-authority' | 'older'

/** The DER bytes of a CRL given as PEM (`X509 CRL`) or as base64 DER; undefined when it is neither. */
function crlBytes (text: string): Uint8Array | undefined {
  const body = /^-----BEGIN X509 CRL-----\s+([A-Za-z0-9+/=\s]+?)\s*-----END X509 CRL-----\s*$/.exec(text.trim())?.[1] ?? text.trim()
  return /^[A-Za-z0-9+/=\s]+$/.test(body) ? new Uint8Array(Buffer.from(body.replace(/\s+/g, ''), 'base64')) : undefined
}

/**
 * Reads a CRL given as PEM (`X509 CRL`) or as base64 DER, and checks it is `authority`'s: issued under its name and
 * signed with its key. Returns its facts, or what is wrong.
 */
export async function readRevocationList (text: string, authority: pkijs.Certificate): Promise<{ facts: RevocationFacts } | CrlProblem> {
  const der = crlBytes(text)
  if (der === undefined) return 'not-a-crl'
  let crl: pkijs.CertificateRevocationList
  try {
    crl = pkijs.CertificateRevocationList.fromBER(der)
  } catch {
    return 'not-a-crl'
  }
  if (!crl.issuer.isEqual(authority.subject)) return 'not-this-authority'
  try {
    if (!(await crl.verify({ issuerCertificate: authority }))) return 'not-this-authority'
  } catch {
    return 'not-this-authority'
  }
  return {
    facts: {
      pem: `-----BEGIN X509 CRL-----\n${Buffer.from(der).toString('base64').replace(/(.{64})/g, '$1\n').trim()}\n-----END X509 CRL-----\n`,
      thisUpdate: crl.thisUpdate.value,
      nextUpdate: crl.nextUpdate?.value,
      revoked: crl.revokedCertificates?.length ?? 0,
    },
  }
}

/** The revocation lists a signature at `tenant` is checked against: those of its own and its ancestors' anchors. */
export async function revocationListsFor (db: Database, tenant: { path: string }): Promise<pkijs.CertificateRevocationList[]> {
  const rows = await db.knex('revocation_lists as r').join('trust_anchors as a', 'a.id', 'r.anchor_id').join('tenants as t', 't.id', 'a.tenant_id')
    .whereIn('t.code', tenant.path.split('/')).select('r.crl')
  return rows.flatMap((row) => {
    // (Kept as PEM by readRevocationList.)
    const der = crlBytes(String(row.crl))
    try {
      return der === undefined ? [] : [pkijs.CertificateRevocationList.fromBER(der)]
    } catch {
      return []
    }
  })
}

/** A trust anchor with its certificate. */
export interface Anchor { id: number, subject: string, certificate: pkijs.Certificate }

/** The anchor `id` of `tenant` with its certificate, or undefined. */
export async function anchorOf (db: Database, tenant: Tenant, id: number): Promise<Anchor | undefined> {
  const row = await db.knex('trust_anchors').where({ id, tenant_id: tenant.id }).first('id', 'subject', 'certificate')
  const read = row === undefined ? undefined : readCertificate(String(row.certificate))
  return read === undefined ? undefined : { id: Number(row.id), subject: String(row.subject), certificate: read.certificate }
}

/**
 * Keeps `facts` as the anchor's list unless the one it holds is as new or newer ('older'). One list per anchor: the
 * newest.
 */
export async function keepRevocationList (trx: Database['knex'], anchorId: number, facts: RevocationFacts, by: string): Promise<'kept' | 'older'> {
  const held = await trx('revocation_lists').where({ anchor_id: anchorId }).first('this_update')
  const row = {
    crl: facts.pem,
    this_update: facts.thisUpdate.toISOString(),
    next_update: facts.nextUpdate?.toISOString() ?? null,
    revoked: facts.revoked,
    added_by: by,
    added_at: new Date().toISOString(),
  }
  if (held === undefined) {
    await trx('revocation_lists').insert({ anchor_id: anchorId, ...row })
    return 'kept'
  }
  if (String(held.this_update) >= row.this_update) return 'older'
  await trx('revocation_lists').where({ anchor_id: anchorId }).update(row)
  return 'kept'
}

export interface RevocationView { thisUpdate: string, nextUpdate: string | null, revoked: number }

/** What the anchor list shows of each anchor's revocation list. */
export async function revocationViews (db: Database, anchorIds: number[]): Promise<Map<number, RevocationView>> {
  const rows = anchorIds.length === 0 ? [] : await db.knex('revocation_lists').whereIn('anchor_id', anchorIds).select('anchor_id', 'this_update', 'next_update', 'revoked')
  return new Map(rows.map((row) => [Number(row.anchor_id), {
    thisUpdate: String(row.this_update),
    nextUpdate: row.next_update === null ? null : String(row.next_update),
    revoked: Number(row.revoked),
  }]))
}
