import { LOADING, SIGNED_OUT, type AuthProvider, type AuthSnapshot } from '../types.ts'

/** The parts of Clerk's `useAuth()` the adapter needs (no Clerk import here: unit-testable offline). */
export interface ClerkAuthInfo {
  isLoaded: boolean
  isSignedIn: boolean
  userId: string | null
  orgId: string | null
  orgRole: string | null
}

export type ClerkGetToken = (options?: { skipCache?: boolean }) => Promise<string | null>

export interface ClerkAdapterOptions {
  /** How often to ask Clerk for its current token (Clerk refreshes session tokens in the background). */
  pollMs?: number
  /** Force a fresh token when the current one expires within this time. */
  refreshLeadMs?: number
  now?: () => number
  setInterval?: (fn: () => void, ms: number) => unknown
  clearInterval?: (h: unknown) => void
}

/** `exp` of a JWT (as epoch ms) without verifying it; null when unreadable. */
export function jwtExpiryMs(token: string): number | null {
  const part = token.split('.')[1]
  if (!part) return null
  try {
    const json = atob(part.replace(/-/g, '+').replace(/_/g, '/').padEnd(Math.ceil(part.length / 4) * 4, '='))
    const exp = (JSON.parse(json) as { exp?: unknown }).exp
    return typeof exp === 'number' ? exp * 1000 : null
  } catch {
    return null
  }
}

/**
 * A thin AuthProvider over Clerk: React's `useAuth()` feeds `update()`, tokens come from `getToken()`.
 * Clerk's session tokens are short-lived (about 60 s); the adapter polls `getToken()` and pushes every
 * new token, which the WebSocket client sends in-band before the server closes the session.
 */
export class ClerkAuthAdapter implements AuthProvider {
  readonly kind = 'clerk' as const
  private snapshot: AuthSnapshot = LOADING
  private readonly listeners = new Set<() => void>()
  private getTokenFn: ClerkGetToken | null = null
  private signOutFn: (() => Promise<unknown>) | null = null
  private info: ClerkAuthInfo | null = null
  private poll: unknown = null
  private seq = 0
  private serial = 0
  private readonly o: Required<ClerkAdapterOptions>

  constructor(opts: ClerkAdapterOptions = {}) {
    this.o = {
      pollMs: opts.pollMs ?? 10_000,
      refreshLeadMs: opts.refreshLeadMs ?? 20_000,
      now: opts.now ?? Date.now,
      setInterval: opts.setInterval ?? ((fn, ms) => globalThis.setInterval(fn, ms)),
      clearInterval: opts.clearInterval ?? ((h) => globalThis.clearInterval(h as ReturnType<typeof setInterval>)),
    }
  }

  getSnapshot = (): AuthSnapshot => this.snapshot

  subscribe = (listener: () => void): (() => void) => {
    this.listeners.add(listener)
    return () => this.listeners.delete(listener)
  }

  /** The latest Clerk functions (they may change identity between renders). */
  setFunctions(getToken: ClerkGetToken, signOut: () => Promise<unknown>): void {
    this.getTokenFn = getToken
    this.signOutFn = signOut
  }

  update(info: ClerkAuthInfo): void {
    const prev = this.info
    this.info = { ...info }
    if (!info.isLoaded) {
      this.stopPoll()
      this.set(LOADING)
      return
    }
    if (!info.isSignedIn || !info.userId) {
      this.stopPoll()
      this.seq++
      this.set(SIGNED_OUT)
      return
    }
    const identityChanged = !prev || prev.userId !== info.userId || prev.orgId !== info.orgId || !prev.isSignedIn
    if (identityChanged) {
      if (this.snapshot.status === 'signed-in') {
        // Organization (or user) switch: the tenant changes now, the matching token follows.
        this.set({ ...this.snapshot, userId: info.userId, orgId: info.orgId, role: info.orgRole, switching: true })
      }
      void this.fetchToken(true)
    } else if (prev?.orgRole !== info.orgRole && this.snapshot.status === 'signed-in') {
      this.set({ ...this.snapshot, role: info.orgRole })
    }
    this.startPoll()
  }

  refreshToken(): Promise<void> {
    return this.fetchToken(true)
  }

  async signOut(): Promise<void> {
    await this.signOutFn?.()
  }

  dispose(): void {
    this.stopPoll()
    this.seq++
    this.listeners.clear()
  }

  /** Asks Clerk for the current token; pushes it when it changed. */
  async check(): Promise<void> {
    const exp = this.snapshot.expiresAt
    const dueSoon = exp !== null && exp - this.o.now() < this.o.refreshLeadMs
    await this.fetchToken(dueSoon)
  }

  private async fetchToken(skipCache: boolean): Promise<void> {
    const info = this.info
    const getToken = this.getTokenFn
    if (!info?.isSignedIn || !getToken) return
    const seq = ++this.seq
    let token: string | null
    try {
      token = await getToken(skipCache ? { skipCache: true } : undefined)
    } catch (err) {
      if (seq !== this.seq) return
      this.set({ ...this.snapshot, error: `Could not get a session token: ${String((err as Error)?.message ?? err)}` })
      return
    }
    if (seq !== this.seq || this.info !== info) return
    if (!token) {
      this.set({ ...SIGNED_OUT, error: 'Clerk returned no session token' })
      return
    }
    if (token === this.snapshot.token && !this.snapshot.switching) return
    this.set({
      status: 'signed-in',
      token,
      userId: info.userId,
      orgId: info.orgId,
      role: info.orgRole,
      expiresAt: jwtExpiryMs(token),
      tokenSerial: ++this.serial,
      switching: false,
      error: null,
    })
  }

  private startPoll(): void {
    if (this.poll !== null) return
    this.poll = this.o.setInterval(() => void this.check(), this.o.pollMs)
  }

  private stopPoll(): void {
    if (this.poll !== null) {
      this.o.clearInterval(this.poll)
      this.poll = null
    }
  }

  private set(s: AuthSnapshot): void {
    this.snapshot = Object.freeze({ ...s })
    for (const l of [...this.listeners]) l()
  }
}
