import { createInterface } from 'node:readline'
import { parseArgs } from '../args.ts'
import { normalizeUrl, saveCredential, credentialsFile } from '../credentials.ts'
import { apiCall, describeFailure } from '../api-client.ts'

export const loginUsage = `usage: nentang login [--url <platform URL>] --username <name> [--password-stdin]

Signs in to a platform and keeps the token in ${'$'}NENTANG_HOME/credentials.json (default ~/.nentang), readable
only by you. The password is read from standard input with --password-stdin, else from NENTANG_PASSWORD,
else asked for. An administrator's second factor (a code from the authenticator app) is read from
NENTANG_TOTP_CODE, else from the next line of standard input, else asked for.

  --url             the platform (default NENTANG_URL or http://localhost:3000)
  --username        who signs in
  --password-stdin  read the password from standard input`

let input: AsyncIterator<string> | undefined
/** The next line of standard input (asked for with `prompt` on a terminal); '' at its end. */
async function readLine (prompt: string, quietly: boolean): Promise<string> {
  input ??= createInterface({ input: process.stdin, terminal: false })[Symbol.asyncIterator]()
  if (!quietly && process.stdin.isTTY) process.stderr.write(prompt)
  const next = await input.next()
  return next.done === true ? '' : String(next.value)
}

async function readPassword (fromStdin: boolean): Promise<string> {
  if (!fromStdin && process.env.NENTANG_PASSWORD !== undefined) return process.env.NENTANG_PASSWORD
  return readLine('password: ', fromStdin)
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
  let answer = response.body
  if (answer.next === 'enrol' || answer.next === 'password') {
    const what = answer.next === 'enrol' ? 'must set up a second factor first' : 'has an expired password'
    console.error(`nentang login: ${username} ${what}: sign in once at ${url}/console/, then run nentang login again`)
    return 1
  }
  if (answer.next === 'factor') {
    // An administrator's second factor: the code from the authenticator app (NENTANG_TOTP_CODE, else the next line).
    const code = (process.env.NENTANG_TOTP_CODE ?? await readLine('code from your authenticator app: ', parsed.flags.has('password-stdin'))).trim()
    const second = await apiCall(url, 'POST', '/api/v1/auth/factor', { body: { ticket: answer.ticket, code } })
    if (second.status !== 200) {
      console.error(`nentang login: ${describeFailure(second)}`)
      return 1
    }
    answer = second.body
  }
  const { token, expiresAt, refreshToken, refreshExpiresAt } = answer
  saveCredential({ url, username, token, expiresAt, refreshToken, refreshExpiresAt })
  console.log(`signed in to ${url} as ${username}; the session lasts while it is used at least every ${hoursUntil(refreshExpiresAt)} hours (kept in ${credentialsFile()})`)
  return 0
}
