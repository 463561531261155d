import { createInterface } from 'node:readline'
import { parseArgs } from '../args.ts'
import { normalizeUrl, saveCredential, credentialsFile } from '../credentials.ts'
import { apiCall, describeFailure } from '../api-client.ts'

export const loginUsage = `usage: nentang login [--url <platform URL>] --username <name> [--password-stdin]

Signs in to a platform and keeps the token in ${'$'}NENTANG_HOME/credentials.json (default ~/.nentang), readable
only by you. The password is read from standard input with --password-stdin, else from NENTANG_PASSWORD,
else asked for.

  --url             the platform (default NENTANG_URL or http://localhost:3000)
  --username        who signs in
  --password-stdin  read the password from standard input`

async function readPassword (fromStdin: boolean): Promise<string> {
  if (!fromStdin && process.env.NENTANG_PASSWORD !== undefined) return process.env.NENTANG_PASSWORD
  const lines = createInterface({ input: process.stdin, terminal: false })
  if (!fromStdin && process.stdin.isTTY) process.stderr.write('password: ')
  const first = await lines[Symbol.asyncIterator]().next()
  lines.close()
  return first.done === true ? '' : first.value
}

const hoursUntil = (time: string): number => Math.max(1, Math.round((Date.parse(time) - Date.now()) / 3600_000))

/** `nentang login`: signs in and keeps the token for the other commands. */
export async function loginCommand (args: string[]): Promise<number> {
  const parsed = parseArgs(args, ['password-stdin'], ['url', 'username'])
  const url = normalizeUrl(parsed.options.get('url') ?? process.env.NENTANG_URL ?? 'http://localhost:3000')
  const username = parsed.options.get('username')
  if (username === undefined) {
    console.error('nentang login: --username is required')
    return 2
  }
  const password = await readPassword(parsed.flags.has('password-stdin'))
  if (password === '') {
    console.error('nentang login: no password given')
    return 2
  }
  process.stderr.write(`signing in to ${url} as ${username}…\n`)
  const response = await apiCall(url, 'POST', '/api/v1/auth/token', { body: { username, password } })
  if (response.status !== 200) {
    console.error(`nentang login: ${describeFailure(response)}`)
    return 1
  }
  const { token, expiresAt, refreshToken, refreshExpiresAt } = response.body
  saveCredential({ url, username, token, expiresAt, refreshToken, refreshExpiresAt })
  console.log(`signed in to ${url} as ${username}; the session lasts while it is used at least every ${hoursUntil(refreshExpiresAt)} hours (kept in ${credentialsFile()})`)
  return 0
}
