import { createHash } from 'node:crypto'
import { readFileSync, readdirSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { CoreError } from '../core/errors.ts'
import { defineRoute, type Route, type RouteResult } from '../core/http/route.ts'
import { staticFile, type StaticFile } from '../core/http/static-files.ts'

const app = fileURLToPath(new URL('./app/', import.meta.url))
const vendor = (specifier: string): string => fileURLToPath(import.meta.resolve(specifier))
const swagger = dirname(vendor('swagger-ui-dist'))
const fileName = { type: 'string', pattern: '^[a-z0-9][a-z0-9.-]{0,80}\\.(js|mjs|css|svg|png)$' }

/** The import map the console's modules resolve `preact`, `preact/hooks` and `htm` with. */
const importMap = JSON.stringify({ imports: { preact: '/console/preact.mjs', 'preact/hooks': '/console/preact-hooks.mjs', htm: '/console/htm.mjs' } })
const importMapHash = createHash('sha256').update(importMap).digest('base64')

// The console's only inline script is the import map, allowed by its hash; its scripts come from
// `/console/` only, never from elsewhere on this host: tenants' plugin pages are served here too
// (`/t/…/ui/`), and `script-src 'self'` would let an injection load an uploaded script into the
// console. A source with a path needs the host, so the policy is made per request (`http:` also
// admits `https:`). Nothing may frame the console.
// It frames plugins' pages: from this host, or from the pages' own origin when they have one.
const consolePolicy = (pagesOrigin: string | undefined) => (host: string): string =>
  `default-src 'self'; script-src ${scripts(host, '/console/')} 'sha256-${importMapHash}'; style-src 'self'; img-src 'self' data:; ` +
  `connect-src 'self'; frame-src 'self'${pagesOrigin === undefined ? '' : ` ${pagesOrigin}`}; object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'`
// Swagger UI sets inline styles on the elements it renders.
const docsPolicy = (host: string): string => `default-src 'self'; script-src ${scripts(host, '/api/docs/')}; style-src 'self' 'unsafe-inline'; img-src 'self' data:; connect-src 'self'; ` +
  "object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
const HOST = /^(?:[A-Za-z0-9.-]{1,253}|\[[0-9A-Fa-f:.]{2,45}\])(?::\d{1,5})?$/
/** Scripts from `path` on this host only; a Host header that is not a plain host name gets no script at all. */
const scripts = (host: string, path: string): string => HOST.test(host) ? `http://${host}${path}` : "'none'"

interface Site {
  page: StaticFile
  assets: Map<string, StaticFile>
}

const read = (path: string, name: string): StaticFile => staticFile(readFileSync(path), name)

/**
 * The console: its own modules (plain browser ES modules: they are the built assets, no build
 * step) and the three vendor modules; its page carries the import map.
 */
function consoleSite (): Site {
  const assets = new Map<string, StaticFile>()
  for (const name of readdirSync(app)) {
    if (!name.endsWith('.html') && name !== 'api-docs.js') assets.set(name, read(join(app, name), name))
  }
  for (const [name, specifier] of [['preact.mjs', 'preact'], ['preact-hooks.mjs', 'preact/hooks'], ['htm.mjs', 'htm']] as const) {
    assets.set(name, read(vendor(specifier), name))
  }
  const html = readFileSync(join(app, 'index.html'), 'utf8').replace('<!--import-map-->', `<script type="importmap">${importMap}</script>`)
  return { page: staticFile(Buffer.from(html), 'index.html'), assets }
}

/** The API reference: Swagger UI and the script that points it at the OpenAPI document. */
function docsSite (): Site {
  const assets = new Map<string, StaticFile>()
  for (const name of ['swagger-ui-bundle.js', 'swagger-ui.css']) assets.set(name, read(join(swagger, name), name))
  assets.set('api-docs.js', read(join(app, 'api-docs.js'), 'api-docs.js'))
  return { page: read(join(app, 'api-docs.html'), 'api-docs.html'), assets }
}

function send (file: StaticFile, policy: string, ifNoneMatch: string): RouteResult {
  const headers = { 'Content-Type': file.type, ETag: file.etag, 'Cache-Control': 'no-cache', 'Content-Security-Policy': policy, 'X-Content-Type-Options': 'nosniff', 'Referrer-Policy': 'no-referrer' }
  return ifNoneMatch === file.etag ? { status: 304, headers } : { status: 200, body: file.bytes, headers }
}

const text = { type: 'string' }

/**
 * A page at `path` and its files at `path/:file`, under `policy`. The files are read on the first
 * request, not at start (Swagger UI alone is 1.5 MB), and kept.
 */
function siteRoutes (spec: {
  path: string,
  assetsPath: string,
  operationId: string,
  summary: string,
  assetsSummary: string,
  policy: (host: string) => string,
  load: () => Site,
}): Route<any>[] {
  let site: Site | undefined
  const loaded = (): Site => (site ??= spec.load())
  const page = defineRoute({
    method: 'GET',
    path: spec.path,
    operationId: spec.operationId,
    summary: spec.summary,
    tag: 'console',
    auth: 'public',
    responses: { 200: { description: 'The page', schema: text, contentType: 'text/html' }, 304: { description: 'Not modified' } },
    errors: [],
    async handle ({ ctx }) {
      return send(loaded().page, spec.policy(ctx.host), ctx.get('If-None-Match'))
    },
  })
  const asset = defineRoute({
    method: 'GET',
    path: `${spec.assetsPath}:file`,
    operationId: `${spec.operationId}Asset`,
    summary: spec.assetsSummary,
    tag: 'console',
    auth: 'public',
    params: { file: fileName },
    responses: { 200: { description: 'The file, typed by its extension', schema: text, contentType: '*/*' }, 304: { description: 'Not modified' } },
    errors: [CoreError.notFound],
    async handle ({ ctx, params }) {
      const file = loaded().assets.get(params.file!)
      if (file === undefined) throw CoreError.notFound(`no file '${params.file}'`)
      return send(file, spec.policy(ctx.host), ctx.get('If-None-Match'))
    },
  })
  return [page, asset]
}

/** The web console at `/console/` and the interactive API reference at `/api/docs`. */
/** `pagesOrigin`: where plugins' pages are served when not on the console's host (`NENTANG_PAGES_ORIGIN`). */
export function consoleRoutes (pagesOrigin?: string): Route<any>[] {
  const root = defineRoute({
    method: 'GET',
    path: '/',
    operationId: 'home',
    summary: 'Redirects to the web console',
    tag: 'console',
    auth: 'public',
    responses: { 302: { description: 'To /console/' } },
    errors: [],
    async handle () {
      return { status: 302, headers: { Location: '/console/' } }
    },
  })
  return [
    root,
    ...siteRoutes({ path: '/console/', assetsPath: '/console/', operationId: 'console', summary: 'The web console (a single page; its views live in the URL fragment)', assetsSummary: "The console's scripts, styles and images", policy: consolePolicy(pagesOrigin), load: consoleSite }),
    ...siteRoutes({ path: '/api/docs', assetsPath: '/api/docs/', operationId: 'apiDocs', summary: 'The interactive API reference (Swagger UI over /api/v1/openapi.json)', assetsSummary: "The reference page's scripts and styles", policy: docsPolicy, load: docsSite }),
  ]
}
