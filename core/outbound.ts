/** What every call the platform makes out (a plugin's fetch, an exchange, an OpenID provider) shares. */
import type { ClientRequest, IncomingMessage } from 'node:http'
import { lookup } from 'node:dns/promises'
import { BlockList, isIP } from 'node:net'

// Loopback, link-local (and the cloud metadata address in it), private, shared, unspecified,
// multicast and reserved ranges: the platform reaches them for a plugin or an administrator's setting
// only where the platform's own configuration allows that host.
const blocked = new BlockList()
for (const [net, prefix] of [['0.0.0.0', 8], ['10.0.0.0', 8], ['100.64.0.0', 10], ['127.0.0.0', 8], ['169.254.0.0', 16], ['172.16.0.0', 12], ['192.0.0.0', 24], ['192.168.0.0', 16], ['198.18.0.0', 15], ['224.0.0.0', 4], ['240.0.0.0', 4]] as const) blocked.addSubnet(net, prefix, 'ipv4')
for (const [net, prefix] of [['::', 128], ['::1', 128], ['fc00::', 7], ['fe80::', 10], ['ff00::', 8], ['::ffff:0:0', 96], ['64:ff9b::', 96]] as const) blocked.addSubnet(net, prefix, 'ipv6')

/** True for an address outside the public internet (or for text that is no address at all). */
export function isBlockedAddress (address: string): boolean {
  const family = isIP(address)
  if (family === 0) return true
  return blocked.check(address, family === 4 ? 'ipv4' : 'ipv6')
}

/**
 * A `lookup` for `http.request` that answers with the address already checked, whatever DNS says now (no second
 * lookup to rebind). Node 24 asks for every address (`all: true`) and then wants an array.
 */
export function pinnedLookup (target: { address: string, family: number }): never {
  return ((_host: string, options: { all?: boolean }, callback: (...args: unknown[]) => void) => {
    if (options.all === true) callback(null, [target])
    else callback(null, target.address, target.family)
  }) as never
}

/**
 * Reads an answer's body up to `maxBytes`: past that the request is destroyed and `tooLarge` told instead of `done`,
 * so a huge answer is never held. `done` gets the status, the single-valued headers and the body.
 */
export function readLimited (
  req: ClientRequest,
  res: IncomingMessage,
  maxBytes: number,
  tooLarge: () => void,
  done: (answer: { status: number, headers: Record<string, string>, body: Buffer }) => void
): void {
  let size = 0
  let over = false
  const chunks: Buffer[] = []
  res.on('data', (chunk: Buffer) => {
    size += chunk.length
    if (size > maxBytes) {
      if (!over) { over = true; req.destroy(); tooLarge() }
      return
    }
    chunks.push(chunk)
  })
  res.on('end', () => {
    if (over) return
    const headers: Record<string, string> = {}
    for (const [name, value] of Object.entries(res.headers)) if (typeof value === 'string') headers[name] = value
    done({ status: res.statusCode ?? 0, headers, body: Buffer.concat(chunks) })
  })
}

/**
 * The address to connect to for `hostname`: resolved (every address), each checked unless `allowPrivate`. A reason
 * in words when it does not resolve or resolves to a private address (the caller turns it into its own error).
 */
export async function checkedAddress (hostname: string, allowPrivate: boolean): Promise<{ address: string, family: number } | { refused: string }> {
  let addresses: Array<{ address: string, family: number }>
  if (isIP(hostname) !== 0) addresses = [{ address: hostname, family: isIP(hostname) }]
  else {
    try {
      addresses = await lookup(hostname, { all: true, verbatim: true })
    } catch {
      return { refused: `cannot resolve ${hostname}` }
    }
  }
  const blockedOne = allowPrivate ? undefined : addresses.find(({ address }) => isBlockedAddress(address))
  if (blockedOne !== undefined) return { refused: `${hostname} resolves to ${blockedOne.address}, a loopback, link-local or private address` }
  return addresses[0] ?? { refused: `cannot resolve ${hostname}` }
}
