import { chmodSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import { homedir } from 'node:os'
import { join } from 'node:path'

/** A sign-in the CLI keeps: the platform's URL, who, the bearer token, and the refresh token that renews it. */
export interface Credential {
  url: string
  username: string
  token: string
  expiresAt: string
  refreshToken?: string
  refreshExpiresAt?: string
}

interface Store {
  current?: string
  platforms: Record<string, Credential>
}

/** `$NENTANG_HOME` or `~/.nentang`: the folder the CLI keeps its sign-ins in (mode 0700, file 0600). */
export function credentialsFile (): string {
  return join(process.env.NENTANG_HOME ?? join(homedir(), '.nentang'), 'credentials.json')
}

function read (): Store {
  try {
    return JSON.parse(readFileSync(credentialsFile(), 'utf8')) as Store
  } catch {
    return { platforms: {} }
  }
}

export function saveCredential (credential: Credential): void {
  const store = read()
  store.platforms[credential.url] = credential
  store.current = credential.url
  const file = credentialsFile()
  mkdirSync(join(file, '..'), { recursive: true, mode: 0o700 })
  writeFileSync(file, JSON.stringify(store, null, 2) + '\n', { mode: 0o600 })
  chmodSync(file, 0o600)
}

/** The sign-in for `url`, or for the platform signed in to last. */
export function loadCredential (url?: string): Credential | undefined {
  const store = read()
  const key = url ?? store.current
  return key === undefined ? undefined : store.platforms[normalizeUrl(key)]
}

export function normalizeUrl (url: string): string {
  return url.replace(/\/+$/, '')
}
