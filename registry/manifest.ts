import type { FieldError } from '../core/errors.ts'
import { validationError, validator } from '../core/http/validation.ts'
import type { PluginLimits, PluginPermissions } from '../sandbox/protocol.ts'
import { RegistryError } from './errors.ts'
import { manifestSchema } from './manifest-schema.ts'
import { parseUrlPattern } from '../sandbox/url-pattern.ts'
import { schemaProblems } from './schema-safety.ts'

export interface RouteManifest {
  method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE'
  path: string
  handler: string
  access?: string
  body?: Record<string, unknown>
  upload?: UploadManifest
}

/** What a route that takes files accepts (SPEC §6: `routes[].upload`). */
export interface UploadManifest {
  as?: 'multipart' | 'raw'
  maxBytes: number
  maxFiles?: number
  types: string[]
}

export interface Manifest {
  name: string
  version: string
  description?: string
  engine: string
  main: string
  visibility?: 'private' | 'public'
  permissions?: PluginPermissions & { signature?: boolean }
  routes?: RouteManifest[]
  schemas?: Record<string, Record<string, unknown>>
  settings?: Record<string, unknown>
  roles?: string[]
  limits?: Partial<PluginLimits>
  ui?: string
  /** Per collection, the indexes the platform creates when a version is approved (registry/indexes.ts). */
  collections?: Record<string, { indexes?: string[][] }>
}

export const DEFAULT_LIMITS: PluginLimits = { timeoutMs: 1000, memoryMb: 64, hostCalls: 100 }

const validate = validator<Manifest>(manifestSchema as unknown as Record<string, unknown>)

/**
 * Validates a manifest and the safety of its schemas; a failure is REG_ERR_MANIFEST_INVALID naming the path of each
 * problem.
 */
export function parseManifest (value: unknown): Manifest {
  let manifest: Manifest
  try {
    manifest = validate(value)
  } catch (error) {
    const failure = error as ReturnType<typeof validationError>
    throw RegistryError.manifestInvalid(`plugin.json: ${failure.message}`, { field: failure.field ?? '(manifest)', ...(failure.errors === undefined ? {} : { errors: failure.errors }) })
  }
  const problems = [...allowListProblems(manifest), ...uploadProblems(manifest), ...schemaProblems(manifest)]
  if (problems.length > 0) throw RegistryError.manifestInvalid(`plugin.json: ${problems[0]!.message}`, { field: problems[0]!.field, errors: problems })
  return manifest
}

export function limitsOf (manifest: Manifest): PluginLimits {
  return { ...DEFAULT_LIMITS, ...manifest.limits }
}

/** A route that takes files needs the files permission, a method with a body, and (raw) no body schema. */
function uploadProblems (manifest: Manifest): FieldError[] {
  const problems: FieldError[] = []
  const p = manifest.permissions ?? {}
  ;(manifest.routes ?? []).forEach((route, index) => {
    if (route.upload === undefined) return
    const field = `routes/${index}/upload`
    if (p.files !== true) problems.push({ field, message: `'${field}' takes files: the manifest must ask for permissions.files`, vi: `${field}: tuyến nhận tệp thì plugin.json phải xin quyền permissions.files.` })
    if (route.method !== 'POST' && route.method !== 'PUT') problems.push({ field, message: `'${field}': only a POST or PUT route takes files`, vi: `${field}: chỉ tuyến POST hoặc PUT mới nhận tệp.` })
    if (route.upload.as === 'raw' && route.body !== undefined) problems.push({ field, message: `'${field}': a raw upload is the whole body, so the route has no body schema`, vi: `${field}: tệp gửi nguyên khối chiếm cả nội dung, nên tuyến không có lược đồ nội dung.` })
  })
  if (p.exports === true && (p.files !== true || (p.storage === undefined || p.storage === false))) {
    problems.push({ field: 'permissions/exports', message: "'permissions/exports' writes files of stored documents: ask for permissions.files and permissions.storage too", vi: 'permissions/exports: xuất dữ liệu ghi ra tệp từ tài liệu đã lưu; hãy xin thêm quyền permissions.files và permissions.storage.' })
  }
  return problems
}

function allowListProblems (manifest: Manifest): FieldError[] {
  return (manifest.permissions?.http?.allow ?? []).flatMap((pattern, index) => parseUrlPattern(pattern) !== undefined
    ? []
    : [{
        field: `permissions/http/allow/${index}`,
        message: `'permissions/http/allow/${index}' must be scheme://host[:port][/path]: a '*' only as the host's whole left-most label (or the whole host), as the port, or in the path`,
        vi: `permissions/http/allow/${index}: phải có dạng giao-thức://máy-chủ[:cổng][/đường-dẫn]; dấu * chỉ được thay cả nhãn đầu tiên của tên máy chủ (hoặc cả tên), cổng, hoặc trong đường dẫn.`,
      }])
}
