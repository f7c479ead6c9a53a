import type { WebSocketClientEvents } from '@fleet/api'
import type { AuthProvider, AuthSnapshot, TokenTarget } from './types.ts'

export interface Identity {
  userId: string | null
  orgId: string | null
}

/**
 * Pushes each new token to every client (HttpClient and WebSocketClient) and clears them all on sign-out,
 * as in the seed's AuthContext. An identity change (user or organization) is reported *before* the new
 * token is pushed, so the UI can drop the old tenant's data before the new connection starts.
 * While the provider is still loading nothing is pushed (the clients stay idle rather than "signed out").
 * A token is pushed again when the provider reports it anew (`tokenSerial`): after a refusal the
 * WebSocket client retries a token the provider could not better.
 */
export class TokenSync {
  private lastToken: string | null | undefined = undefined
  private lastSerial = -1
  private lastIdentity: Identity | undefined = undefined

  constructor(
    private readonly targets: readonly TokenTarget[],
    private readonly onIdentityChange?: (identity: Identity) => void,
  ) {}

  apply(s: AuthSnapshot): void {
    if (s.status === 'loading') return
    const signedIn = s.status === 'signed-in'
    const identity: Identity = signedIn ? { userId: s.userId, orgId: s.orgId } : { userId: null, orgId: null }
    const prev = this.lastIdentity
    if (!prev || prev.userId !== identity.userId || prev.orgId !== identity.orgId) {
      this.lastIdentity = identity
      this.onIdentityChange?.(identity)
    }
    const token = signedIn && s.token ? s.token : null
    if (token !== this.lastToken || (token !== null && s.tokenSerial !== this.lastSerial)) {
      this.lastToken = token
      this.lastSerial = s.tokenSerial
      for (const t of this.targets) t.setToken(token)
    }
  }

  /** Forget what was pushed (the next `apply` pushes again). */
  reset(): void {
    this.lastToken = undefined
    this.lastSerial = -1
    this.lastIdentity = undefined
  }
}

export interface TokenRequests {
  on(type: 'tokenRequired', listener: (close: WebSocketClientEvents['tokenRequired']) => void): () => void
}

/**
 * Answers the WebSocket client's `tokenRequired` (the server refused the token: invalid, expired, a
 * restarted dev issuer, …) with a fresh token from the provider, while signed in. The client paces the
 * requests: one at once after a refusal, then one per backoff delay while the fresh tokens are refused too.
 */
export function refreshOnTokenRequired(ws: TokenRequests, provider: Pick<AuthProvider, 'getSnapshot' | 'refreshToken'>): () => void {
  return ws.on('tokenRequired', () => {
    if (provider.getSnapshot().status === 'signed-in') void provider.refreshToken()
  })
}
