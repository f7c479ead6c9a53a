export type AuthStatus = 'loading' | 'signed-out' | 'signed-in'

/** What an auth provider currently knows. A new object on every change (useSyncExternalStore-safe). */
export interface AuthSnapshot {
  status: AuthStatus
  /** The user JWT for fleetd (null unless signed in). */
  token: string | null
  userId: string | null
  /**
   * The active organization (tenant). While an organization switch is in flight this is already the new
   * organization and `switching` is true; the token is still the old one until the new one arrives.
   */
  orgId: string | null
  role: string | null
  /** Token expiry as local epoch ms, when known. */
  expiresAt: number | null
  /** Incremented for every new token (refreshes included). */
  tokenSerial: number
  switching: boolean
  error: string | null
}

export const SIGNED_OUT: AuthSnapshot = Object.freeze({
  status: 'signed-out',
  token: null,
  userId: null,
  orgId: null,
  role: null,
  expiresAt: null,
  tokenSerial: 0,
  switching: false,
  error: null,
})

export const LOADING: AuthSnapshot = Object.freeze({ ...SIGNED_OUT, status: 'loading' })

/** A source of fleetd user tokens: fleetd's dev issuer or Clerk. */
export interface AuthProvider {
  readonly kind: 'dev' | 'clerk'
  getSnapshot(): AuthSnapshot
  subscribe(listener: () => void): () => void
  /** Gets a fresh token now (the WebSocket client asks for one after the server refused a token). */
  refreshToken(): Promise<void>
  signOut(): Promise<void>
  /** Switches the active organization (dev issuer: mints a token for the other organization). */
  switchOrganization?(orgId: string): Promise<void>
  dispose?(): void
}

export interface TokenTarget {
  setToken(token: string | null): void
}
