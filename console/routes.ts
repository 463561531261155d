import { createHash } from 'node:crypto'
import { readFileSync, readdirSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { CoreError } from '../core/error-codes.ts'
import { defineRoute, type Route, type RouteResult } from '../core/http/route.ts'
import { staticFile, type StaticFile } from '../core/http/static-files.ts'

const app = fileURLToPath(new URL('./app/', import.meta.url))
const vendor = (specifier: string): string => fileURLToPath(import.meta.resolve(specifier))
const swagger = dirname(vendor('swagger-ui-dist'))
const fileName = { type: 'string', pattern: '^[a-z0-9][a-z0-9.-]{0,80}\\.(js|mjs|css|svg|png)$' }

/** The import map the console's modules resolve `preact`, `preact/hooks` and `htm` with. */
const importMap = JSON.stringify({ imports: { preact: '/console/preact.mjs', 'preact/hooks': '/console/preact-hooks.mjs', htm: '/console/htm.mjs' } })
const importMapHash = createHash('sha256').update(importMap).digest('base64')

// The console's only inline script is the import map, allowed by its hash; styles and scripts come
// from the gateway itself; nothing may frame the console.
const CONSOLE_POLICY = `default-src 'self'; script-src 'self' 'sha256-${importMapHash}'; style-src 'self'; img-src 'self' data:; ` +
  "connect-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
// Swagger UI sets inline styles on the elements it renders.
const DOCS_POLICY = "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; connect-src 'self'; " +
  "object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"

/**
 * Files read once at start: the console's own modules (plain browser ES modules: they are the
 * built assets, no build step), the three vendor modules, and Swagger UI for `/api/docs`.
 */
function loadFiles (): { console: Map<string, StaticFile>, docs: Map<string, StaticFile>, index: StaticFile, docsPage: StaticFile } {
  const consoleFiles = new Map<string, StaticFile>()
  for (const name of readdirSync(app)) {
    if (name !== 'index.html' && name !== 'api-docs.html') consoleFiles.set(name, staticFile(readFileSync(join(app, name)), name))
  }
  for (const [name, specifier] of [['preact.mjs', 'preact'], ['preact-hooks.mjs', 'preact/hooks'], ['htm.mjs', 'htm']] as const) {
    consoleFiles.set(name, staticFile(readFileSync(vendor(specifier)), name))
  }
  const docs = new Map<string, StaticFile>()
  for (const name of ['swagger-ui-bundle.js', 'swagger-ui.css']) docs.set(name, staticFile(readFileSync(join(swagger, name)), name))
  docs.set('api-docs.js', staticFile(readFileSync(join(app, 'api-docs.js')), 'api-docs.js'))
  const html = readFileSync(join(app, 'index.html'), 'utf8').replace('<!--import-map-->', `<script type="importmap">${importMap}</script>`)
  return {
    console: consoleFiles,
    docs,
    index: staticFile(Buffer.from(html), 'index.html'),
    docsPage: staticFile(readFileSync(join(app, 'api-docs.html')), 'api-docs.html'),
  }
}

function send (file: StaticFile, policy: string, ifNoneMatch: string): RouteResult {
  const headers = { 'Content-Type': file.type, ETag: file.etag, 'Cache-Control': 'no-cache', 'Content-Security-Policy': policy, 'X-Content-Type-Options': 'nosniff', 'Referrer-Policy': 'no-referrer' }
  return ifNoneMatch === file.etag ? { status: 304, headers } : { status: 200, body: file.bytes, headers }
}

/** The web console at `/console/` and the interactive API reference at `/api/docs`. */
export function consoleRoutes (): Route<any>[] {
  const files = loadFiles()
  const text = { type: 'string' }

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

  const page = defineRoute({
    method: 'GET',
    path: '/console/',
    operationId: 'console',
    summary: 'The web console (a single page; its views live in the URL fragment)',
    tag: 'console',
    auth: 'public',
    responses: { 200: { description: 'The console page', schema: text, contentType: 'text/html' }, 304: { description: 'Not modified' } },
    errors: [],
    async handle ({ ctx }) {
      return send(files.index, CONSOLE_POLICY, ctx.get('If-None-Match'))
    },
  })

  const asset = defineRoute({
    method: 'GET',
    path: '/console/:file',
    operationId: 'consoleAsset',
    summary: "The console's scripts, styles and images",
    tag: 'console',
    auth: 'public',
    params: { file: fileName },
    responses: { 200: { description: 'The file, typed by its extension', schema: text, contentType: '*/*' }, 304: { description: 'Not modified' } },
    errors: [CoreError.notFound],
    async handle ({ ctx, params }) {
      const file = files.console.get(params.file!)
      if (file === undefined) throw CoreError.notFound(`no console file '${params.file}'`)
      return send(file, CONSOLE_POLICY, ctx.get('If-None-Match'))
    },
  })

  const docsPage = defineRoute({
    method: 'GET',
    path: '/api/docs',
    operationId: 'apiDocs',
    summary: 'The interactive API reference (Swagger UI over /api/v1/openapi.json)',
    tag: 'console',
    auth: 'public',
    responses: { 200: { description: 'The reference page', schema: text, contentType: 'text/html' }, 304: { description: 'Not modified' } },
    errors: [],
    async handle ({ ctx }) {
      return send(files.docsPage, DOCS_POLICY, ctx.get('If-None-Match'))
    },
  })

  const docsAsset = defineRoute({
    method: 'GET',
    path: '/api/docs/:file',
    operationId: 'apiDocsAsset',
    summary: "The reference page's scripts and styles",
    tag: 'console',
    auth: 'public',
    params: { file: fileName },
    responses: { 200: { description: 'The file, typed by its extension', schema: text, contentType: '*/*' }, 304: { description: 'Not modified' } },
    errors: [CoreError.notFound],
    async handle ({ ctx, params }) {
      const file = files.docs.get(params.file!)
      if (file === undefined) throw CoreError.notFound(`no file '${params.file}'`)
      return send(file, DOCS_POLICY, ctx.get('If-None-Match'))
    },
  })

  return [root, page, asset, docsPage, docsAsset]
}
