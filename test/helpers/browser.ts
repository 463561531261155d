import { existsSync, mkdirSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { chromium, type Browser, type Page } from 'playwright-core'

const CHROMIUM = process.env.NENTANG_CHROMIUM ?? '/usr/bin/chromium'
export const ARTIFACTS = new URL('../../artifacts/screenshots/', import.meta.url).pathname

interface Teardown {
  teardown(fn: () => unknown): void
}

export interface BrowserSession {
  browser: Browser
  /** A new page (its own storage, like a new person at another computer), recording console errors. */
  newPage(options?: { width?: number, height?: number }): Promise<Page>
  /** Errors the pages printed to their console, or threw. */
  errors: string[]
  screenshot(page: Page, name: string): Promise<void>
}

/** Real headless Chromium (Debian's package), driven by playwright-core; closed when the test ends. */
export async function launchBrowser (t: Teardown): Promise<BrowserSession> {
  if (!existsSync(CHROMIUM)) throw new Error(`Chromium is not installed at ${CHROMIUM}: apt-get install -y chromium (or set NENTANG_CHROMIUM)`)
  const browser = await chromium.launch({
    executablePath: CHROMIUM,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  })
  t.teardown(() => browser.close())
  const errors: string[] = []
  mkdirSync(ARTIFACTS, { recursive: true })
  return {
    browser,
    errors,
    async newPage (options = {}) {
      const context = await browser.newContext({ viewport: { width: options.width ?? 1280, height: options.height ?? 900 }, locale: 'vi-VN' })
      // Every page of the context is watched, pop-ups (a plugin's page opened in a new tab) included.
      context.on('page', (page) => {
        page.on('console', (message) => {
          if (message.type() === 'error') errors.push(`${page.url()}: ${message.text()}`)
        })
        page.on('pageerror', (error) => errors.push(`${page.url()}: ${error.message}`))
      })
      return context.newPage()
    },
    async screenshot (page, name) {
      await page.screenshot({ path: join(ARTIFACTS, `${process.env.NENTANG_TEST_DATABASE ?? 'sqlite'}-${name}.png`), fullPage: true })
    },
  }
}

/** Signs in to the console at `url` as `username`, in Vietnamese, and waits for its greeting. */
export async function signInToConsole (page: Page, url: string, username: string, password: string): Promise<void> {
  await page.goto(`${url}/console/`)
  await page.getByLabel('Tên đăng nhập').fill(username)
  await page.getByLabel('Mật khẩu', { exact: true }).fill(password)
  await page.getByRole('button', { name: 'Đăng nhập' }).click()
  await page.getByRole('heading', { name: /^Xin chào/ }).waitFor()
}

const AXE = readFileSync(new URL('../../node_modules/axe-core/axe.min.js', import.meta.url), 'utf8')

/** One WCAG 2.1 A/AA rule a page breaks badly (axe-core's impact serious or critical), with where. */
export interface AccessibilityProblem {
  rule: string
  impact: string
  help: string
  targets: string[]
}

/**
 * What axe-core finds on the page as it stands, against WCAG 2.1 A and AA, of serious or critical impact. Run through
 * the DevTools protocol, so the console's Content-Security-Policy (scripts from /console/ only) stays as it is.
 */
export async function accessibilityProblems (page: Page): Promise<AccessibilityProblem[]> {
  await page.evaluate(AXE)
  return page.evaluate(async () => {
    interface Violation { id: string, impact: string | null, help: string, nodes: Array<{ target: unknown[] }> }
    const axe = (globalThis as unknown as { axe: { run(context: unknown, options: unknown): Promise<{ violations: Violation[] }> } }).axe
    const result = await axe.run((globalThis as unknown as { document: unknown }).document, { runOnly: { type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa'] }, resultTypes: ['violations'] })
    return result.violations
      .filter((v) => v.impact === 'serious' || v.impact === 'critical')
      .map((v) => ({ rule: v.id, impact: String(v.impact), help: v.help, targets: v.nodes.slice(0, 5).map((n) => n.target.map(String).join(' ')) }))
  })
}
