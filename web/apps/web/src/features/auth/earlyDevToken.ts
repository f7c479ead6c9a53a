import type { DevTokenRequest, DevTokenResponse } from '@fleet/api'
import type { DevTokenSource } from './DevAuthProvider.ts'

/**
 * The dev token request that index.html's inline script starts for a returning viewer (their dev session
 * is in sessionStorage) while the app's script is still downloading: on a slow link that is one round trip
 * less before the first vehicle (docs/benchmarks.md, "First load on Fast 3G").
 */
export interface EarlyDevToken {
  /** The request body the inline script sent. */
  request: DevTokenRequest
  response: Promise<Response>
}

declare global {
  interface Window {
    __fleetEarlyDevToken?: EarlyDevToken
  }
}

/** Takes the early request once (later sign-ins mint their own). Null when none was started. */
export function takeEarlyDevToken(w: Pick<Window, '__fleetEarlyDevToken'> = window): EarlyDevToken | null {
  const early = w.__fleetEarlyDevToken ?? null
  delete w.__fleetEarlyDevToken
  return early
}

function sameRequest(a: DevTokenRequest, b: DevTokenRequest): boolean {
  return a.user === b.user && a.org === b.org && (a.role ?? 'admin') === (b.role ?? 'admin') && a.ttl_s === b.ttl_s
}

function isTokenResponse(v: unknown): v is DevTokenResponse {
  const r = v as Partial<DevTokenResponse> | null
  return typeof r?.token === 'string' && r.token !== '' && typeof r.expires_at_s === 'number'
}

/**
 * A token source whose first request is answered by the early one when it asks for the same token. Any
 * doubt (another user or organization, an HTTP error, an unexpected body, a network failure) falls back
 * to a request of its own, so errors read exactly as without the early request.
 */
export function withEarlyDevToken(source: DevTokenSource, early: EarlyDevToken | null): DevTokenSource {
  let pending = early
  return {
    async devToken(req: DevTokenRequest): Promise<DevTokenResponse> {
      const mine = pending
      pending = null
      if (mine && sameRequest(mine.request, req)) {
        try {
          const r = await mine.response
          if (r.ok) {
            const body: unknown = await r.json()
            if (isTokenResponse(body)) return body
          }
        } catch {
          // fall through to a request of our own
        }
      }
      return source.devToken(req)
    },
  }
}
