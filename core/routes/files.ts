import { CoreError } from '../errors.ts'
import { fileWithBytes, FILE_ID } from '../files/file-store.ts'
import { defineRoute, type Route } from '../http/route.ts'
import type { Services } from '../services.ts'
import { findTenant } from '../tenancy/tenants.ts'
import * as schema from './schemas.ts'

/**
 * `Content-Disposition` for a download: the name in UTF-8 (RFC 6266/8187, so `Tờ khai.pdf` arrives as it is), and
 * an ASCII stand-in for old clients.
 */
export function attachment (name: string): string {
  const ascii = name.normalize('NFD').replace(/[\u0300-\u036f]/g, '').replace(/đ/g, 'd').replace(/Đ/g, 'D').replace(/[^\x20-\x7e]|["\\]/g, '_')
  return `attachment; filename="${ascii}"; filename*=UTF-8''${encodeURIComponent(name)}`
}

/**
 * Downloads by signed link (`files.url`): the link is the permission, since an `<a>` sends no bearer token. A link
 * expired, altered, or naming another tenant or a removed file is answered 404, like any file that is not there.
 * The file always downloads (never renders on the platform's origin) and cannot run as a page if opened.
 */
export function fileRoutes ({ db, fileLinks }: Services): Route<any>[] {
  const download = defineRoute({
    method: 'GET',
    path: '/api/v1/files/:tenant/:file',
    operationId: 'downloadFile',
    summary: "Download a plugin's file by the signed, expiring link the plugin made (files.url)",
    tag: 'files',
    auth: 'public',
    params: { tenant: schema.tenantCode, file: { type: 'string', pattern: FILE_ID.source } },
    query: { expires: { type: 'string', pattern: '^[0-9]{1,12}$' }, signature: { type: 'string', pattern: '^[A-Za-z0-9_-]{43}$' } },
    responses: { 200: { description: 'The file, as an attachment', contentType: 'application/octet-stream' } },
    errors: [CoreError.notFound],
    async handle ({ ctx, params }) {
      const gone = (): Error => CoreError.notFound('this link is expired or was never valid; ask for a new one')
      const expires = typeof ctx.query.expires === 'string' ? ctx.query.expires : ''
      const signature = typeof ctx.query.signature === 'string' ? ctx.query.signature : ''
      if (!fileLinks.valid(params.tenant!, params.file!, expires, signature)) throw gone()
      const tenant = await findTenant(db, params.tenant!)
      const file = tenant === undefined ? undefined : await fileWithBytes(db, { tenantId: tenant.id }, params.file!)
      if (file === undefined) throw gone()
      return {
        status: 200,
        headers: {
          'content-type': file.info.type,
          'content-disposition': attachment(file.info.name),
          'content-security-policy': "default-src 'none'; sandbox",
          'x-content-type-options': 'nosniff',
          'cache-control': 'private, no-store',
          etag: `"${file.info.sha256}"`,
        },
        body: file.bytes,
      }
    },
  })
  return [download]
}
