import { createHash } from 'node:crypto'
import { checkedAddress } from '../../outbound.ts'
import { createRemoteJWKSet, jwtVerify } from 'jose'
import * as client from 'openid-client'
import type { Database } from '../../db/database.ts'
import type { SecretBox } from '../secret-box.ts'
import { clientSecretOf, type IdentityProvider } from './identity-providers.ts'

const LOGIN_TTL_MS = 10 * 60_000
const DISCOVERY_MS = 3600_000
const hash = (value: string): string => createHash('sha256').update(value, 'utf8').digest('hex')

/** Why a sign-in through a provider failed, for the audit; the caller is told only that it failed. */
export class OidcFailure extends Error {}

/**
 * Whether the platform may talk to an issuer: https, on a public address — unless its host:port is listed in
 * NENTANG_HTTP_ALLOW_PRIVATE (a provider inside the agency's network, or a test's on loopback), which then may be http.
 * An administrator's setting must not turn discovery into a probe of the internal network.
 */
export async function assertIssuerAllowed (issuer: string, allowPrivate: readonly string[]): Promise<string | undefined> {
  let url: URL
  try {
    url = new URL(issuer)
  } catch {
    return 'the issuer is not a URL'
  }
  if (url.username !== '' || url.password !== '' || url.search !== '' || url.hash !== '') return 'the issuer must be a plain https URL (no credentials, query or fragment)'
  const port = url.port === '' ? (url.protocol === 'https:' ? '443' : '80') : url.port
  const hostname = url.hostname.replace(/^\[|\]$/g, '')
  if (allowPrivate.includes(`${hostname}:${port}`)) return url.protocol === 'https:' || url.protocol === 'http:' ? undefined : 'the issuer must be http(s)'
  if (url.protocol !== 'https:') return 'the issuer must use https'
  const checked = await checkedAddress(hostname, false)
  if (!('refused' in checked)) return undefined
  if (checked.refused.startsWith('cannot resolve')) return `the issuer's host name ${hostname} does not resolve`
  return `the issuer's host resolves to a private or loopback address; list ${hostname}:${port} in NENTANG_HTTP_ALLOW_PRIVATE to allow it`
}

/** What went wrong, in the words of the innermost error (the library wraps them), with the provider's error code. */
function describe (failure: unknown): string {
  let error = failure as Error & { cause?: unknown, error?: unknown, error_description?: unknown }
  const said = typeof error.error === 'string' ? ` (${error.error}: ${String(error.error_description ?? '').slice(0, 200)})` : ''
  for (let depth = 0; depth < 5 && error.cause instanceof Error; depth++) error = error.cause as typeof error
  return `${error.message.slice(0, 300)}${said}`
}

/** The person an identity provider vouched for: its claims, as the ID token and userinfo gave them. */
export type VerifiedClaims = Record<string, unknown>

/**
 * OpenID Connect relying party (authorization code flow with PKCE S256, state and nonce; `openid-client`, certified):
 * the state, verifier and nonce are kept server-side for ten minutes and used once, so a tampered or replayed state is
 * refused before the provider is asked; the provider refuses a replayed code; the ID token's signature, issuer,
 * audience, expiry and nonce are checked by the library.
 */
export function createOidcSignIn (db: Database, box: SecretBox, allowPrivate: readonly string[]) {
  const discovered = new Map<number, { key: string, at: number, config: Promise<client.Configuration> }>()
  const keySets = new Map<string, ReturnType<typeof createRemoteJWKSet>>()

  async function configurationOf (provider: IdentityProvider): Promise<client.Configuration> {
    const key = `${provider.updatedAt}|${provider.issuer}|${provider.clientId}`
    const kept = discovered.get(provider.id)
    if (kept !== undefined && kept.key === key && Date.now() - kept.at < DISCOVERY_MS) return kept.config
    const refused = await assertIssuerAllowed(provider.issuer, allowPrivate)
    if (refused !== undefined) throw new OidcFailure(refused)
    const secret = await clientSecretOf(db, box, provider)
    const url = new URL(provider.issuer)
    const config = client.discovery(url, provider.clientId, undefined, client.ClientSecretPost(secret), {
      timeout: 10,
      ...(url.protocol === 'http:' ? { execute: [client.allowInsecureRequests] } : {}),
    })
    discovered.set(provider.id, { key, at: Date.now(), config })
    config.catch(() => { if (discovered.get(provider.id)?.config === config) discovered.delete(provider.id) })
    return config
  }

  return {
    /** Where to send the browser: the provider's authorization endpoint, with fresh state, nonce and PKCE challenge. */
    async begin (provider: IdentityProvider, redirectUri: string): Promise<URL> {
      const config = await configurationOf(provider)
      const state = client.randomState()
      const nonce = client.randomNonce()
      const verifier = client.randomPKCECodeVerifier()
      const now = Date.now()
      await db.knex('oidc_logins').insert({
        state_hash: hash(state),
        provider_id: provider.id,
        code_verifier: verifier,
        nonce,
        created_at: new Date(now).toISOString(),
        expires_at: new Date(now + LOGIN_TTL_MS).toISOString(),
      })
      return client.buildAuthorizationUrl(config, {
        redirect_uri: redirectUri,
        scope: provider.scopes,
        response_type: 'code',
        code_challenge: await client.calculatePKCECodeChallenge(verifier),
        code_challenge_method: 'S256',
        state,
        nonce,
      })
    },

    /** The provider's answer at the callback: the person's claims, or an OidcFailure saying why not. */
    async complete (provider: IdentityProvider, redirectUri: string, query: URLSearchParams): Promise<VerifiedClaims> {
      const state = query.get('state')
      if (state === null || state.length > 200) throw new OidcFailure('no state')
      const error = query.get('error')
      const [login] = await db.knex('oidc_logins').where({ state_hash: hash(state), provider_id: provider.id }).select('code_verifier', 'nonce', 'expires_at', 'used_at')
      if (login === undefined) throw new OidcFailure('unknown state (tampered, or from another sign-in)')
      const used = await db.knex('oidc_logins').where({ state_hash: hash(state) }).whereNull('used_at').update({ used_at: new Date().toISOString() })
      if (used === 0) throw new OidcFailure('the state was used already (a replayed callback)')
      if (String(login.expires_at) < new Date().toISOString()) throw new OidcFailure('the sign-in took longer than ten minutes')
      if (error !== null) throw new OidcFailure(`the provider answered ${error.slice(0, 100)}: ${(query.get('error_description') ?? '').slice(0, 200)}`)
      const config = await configurationOf(provider)
      const current = new URL(redirectUri)
      for (const [name, value] of query) current.searchParams.append(name, value)
      let tokens
      try {
        tokens = await client.authorizationCodeGrant(config, current, {
          pkceCodeVerifier: String(login.code_verifier), expectedState: state, expectedNonce: String(login.nonce), idTokenExpected: true,
        }, { redirect_uri: redirectUri })
      } catch (failure) {
        throw new OidcFailure(`the provider's answer does not hold: ${describe(failure)}`)
      }
      const claims: VerifiedClaims = { ...tokens.claims() }
      if (claims[provider.claims.identityNumber] === undefined && tokens.access_token !== undefined) {
        try {
          Object.assign(claims, await client.fetchUserInfo(config, tokens.access_token, String(claims.sub)), { ...tokens.claims() })
        } catch (failure) {
          throw new OidcFailure(`userinfo failed: ${(failure as Error).message.slice(0, 300)}`)
        }
      }
      return claims
    },

    /**
     * A back-channel logout token (OpenID Connect Back-Channel Logout 1.0 §2.6): signed with the provider's keys, for
     * this client, recent, with the logout event and a `sid` or `sub`, and no nonce. What it ends, or an OidcFailure.
     */
    async logoutToken (provider: IdentityProvider, token: string): Promise<{ subject: string | null, session: string | null }> {
      const config = await configurationOf(provider)
      const metadata = config.serverMetadata()
      if (metadata.jwks_uri === undefined) throw new OidcFailure('the provider publishes no keys (jwks_uri)')
      let keys = keySets.get(metadata.jwks_uri)
      if (keys === undefined) {
        keys = createRemoteJWKSet(new URL(metadata.jwks_uri), { timeoutDuration: 10_000 })
        keySets.set(metadata.jwks_uri, keys)
      }
      let claims
      try {
        claims = (await jwtVerify(token, keys, { issuer: metadata.issuer, audience: provider.clientId, maxTokenAge: '10m', requiredClaims: ['iat', 'jti'] })).payload
      } catch (failure) {
        throw new OidcFailure(`the logout token does not hold: ${describe(failure)}`)
      }
      const events = claims.events as Record<string, unknown> | undefined
      if (typeof events !== 'object' || events === null || !('http://schemas.openid.net/event/backchannel-logout' in events)) throw new OidcFailure('the logout token has no logout event')
      if (claims.nonce !== undefined) throw new OidcFailure('a logout token must not carry a nonce')
      const subject = typeof claims.sub === 'string' ? claims.sub : null
      const session = typeof claims.sid === 'string' ? claims.sid : null
      if (subject === null && session === null) throw new OidcFailure('the logout token names neither a subject nor a session')
      return { subject, session }
    },

    async sweep (): Promise<void> {
      await db.knex('oidc_logins').where('expires_at', '<', new Date(Date.now() - LOGIN_TTL_MS).toISOString()).delete()
    },
  }
}

export type OidcSignIn = ReturnType<typeof createOidcSignIn>
