// Calls the plugin installed by `nentang plugin test` for a fake tenant, as one of its users
// (test-member, test-officer, test-admin: the roles member, officer and every role the plugin declares, tenant-admin).
const base = process.env.NENTANG_TEST_URL
if (base === undefined) throw new Error('run these tests with `nentang plugin test`: it starts a platform with real sandboxes first')
const tokens = JSON.parse(process.env.NENTANG_TEST_TOKENS ?? '{}')

/**
 * @param {string} method
 * @param {string} path below the plugin's mount, e.g. `/items`
 * @param {{ as?: 'member' | 'officer' | 'admin', body?: unknown }} [options] who calls (nobody by default)
 */
export async function call (method, path, options = {}) {
  /** @type {Record<string, string>} */
  const headers = {}
  if (options.as !== undefined) headers.authorization = `Bearer ${tokens[options.as]}`
  if (options.body !== undefined) headers['content-type'] = 'application/json'
  const response = await fetch(base + path, { method, headers, body: options.body === undefined ? undefined : JSON.stringify(options.body) })
  const text = await response.text()
  return { status: response.status, body: text === '' ? null : JSON.parse(text) }
}
