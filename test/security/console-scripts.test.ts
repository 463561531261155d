// SQLite pass only: what is tested is the browser's side; the same flows run through the HTTP API on both databases.
import t from 'tap'
import { request } from 'node:http'
import { launchBrowser } from '../helpers/browser.ts'
import { examples, startPluginPlatform } from '../helpers/plugins.ts'

t.test('the console runs scripts from /console/ only: an uploaded plugin script injected into it does not run', async (t) => {
  const p = await startPluginPlatform(t)
  await p.install('hn', 'hello', `${examples}hello`)
  const policy = (await fetch(`${p.url}/console/`)).headers.get('content-security-policy') ?? ''
  t.notMatch(policy, /script-src[^;]*'self'/, 'not every script of this host')
  const evil = await new Promise<string>((resolve, reject) => {
    const req = request(`${p.url}/console/`, { headers: { host: 'x; script-src *' } }, (res) => { res.resume(); resolve(String(res.headers['content-security-policy'])) })
    req.on('error', reject)
    req.end()
  })
  t.match(evil, /script-src 'none'/, 'a strange Host header widens nothing')

  const browser = await launchBrowser(t)
  const page = await browser.newPage()
  await page.goto(`${p.url}/console/`)
  await page.waitForSelector('#app')
  // As an injection into the console would: a script element pointing at a tenant's uploaded file.
  const ran = await page.evaluate(`new Promise((resolve) => {
    const script = document.createElement('script')
    script.type = 'module'
    script.src = '/t/hn/hello/ui/hello.js'
    script.onload = () => resolve('loaded')
    script.onerror = () => resolve('blocked')
    document.head.append(script)
  })`)
  t.equal(ran, 'blocked', 'a script under /t/ is refused by the console\'s policy')
})
