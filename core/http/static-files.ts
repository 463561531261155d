import { createHash } from 'node:crypto'
import { readFileSync, realpathSync, statSync } from 'node:fs'
import { extname, join, sep } from 'node:path'

const types: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.jpg': 'image/jpeg',
  '.ico': 'image/x-icon',
  '.txt': 'text/plain; charset=utf-8',
  '.woff2': 'font/woff2',
}

export interface StaticFile {
  bytes: Buffer
  type: string
  etag: string
}

/** The content type a static file is served with; unknown extensions are served as bytes. */
export function contentTypeOf (path: string): string {
  return types[extname(path).toLowerCase()] ?? 'application/octet-stream'
}

export function staticFile (bytes: Buffer, path: string): StaticFile {
  return { bytes, type: contentTypeOf(path), etag: `"${createHash('sha256').update(bytes).digest('base64url').slice(0, 27)}"` }
}

/**
 * Reads `relative` inside `root`, refusing anything that leaves it (`..`, absolute paths, links
 * pointing outside). Returns undefined when there is no such regular file.
 */
export function readInside (root: string, relative: string): StaticFile | undefined {
  if (relative.includes('\0') || relative.split('/').some((part) => part === '..' || part === '.')) return undefined
  let realRoot: string
  let real: string
  try {
    realRoot = realpathSync(root)
    real = realpathSync(join(realRoot, relative))
  } catch {
    return undefined
  }
  if (!real.startsWith(realRoot + sep)) return undefined
  try {
    if (!statSync(real).isFile()) return undefined
    return staticFile(readFileSync(real), real)
  } catch {
    return undefined
  }
}
