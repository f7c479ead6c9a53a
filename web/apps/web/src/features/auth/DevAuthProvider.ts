import type { DevTokenRequest, DevTokenResponse } from '@fleet/api'
import { isApiError } from '@fleet/api'
import { LOADING, SIGNED_OUT, type AuthProvider, type AuthSnapshot } from './types.ts'

export interface DevSession {
  user: string
  org: string
  role: string
  ttlS: number
}

export interface DevTokenSource {
  devToken(req: DevTokenRequest): Promise<DevTokenResponse>
}

export interface DevAuthOptions {
  setTimeout?: (fn: () => void, ms: number) => unknown
  clearTimeout?: (h: unknown) => void
  now?: () => number
  /** Where the chosen user/org survive a reload (default sessionStorage; null: nowhere). */
  storage?: Pick<Storage, 'getItem' | 'setItem' | 'removeItem'> | null
}

const STORAGE_KEY = 'fleet.dev.session'
export const DEFAULT_TTL_S = 60
export const MIN_TTL_S = 5
export const MAX_TTL_S = 86_400

/**
 * When to refresh a token of `ttlMs` lifetime: at 2/3 of it or 10 s before expiry, whichever is earlier,
 * but never before half of it, so a short test token (10 s) is not refreshed in a loop; fleetd accepts
 * one in-band refresh per 2 s on average and keeps a session `token_grace_s` past expiry.
 */
export function refreshDelayMs(ttlMs: number): number {
  const due = Math.min((ttlMs * 2) / 3, ttlMs - 10_000)
  return Math.max(1000, Math.round(Math.max(ttlMs / 2, due)))
}

/** Clamps a requested token lifetime to what the sign-in screen and fleetd's /dev/token accept. */
export function clampTtlS(v: unknown): number | null {
  const n = typeof v === 'string' && v.trim() !== '' ? Number(v) : typeof v === 'number' ? v : Number.NaN
  if (!Number.isFinite(n)) return null
  return Math.min(MAX_TTL_S, Math.max(MIN_TTL_S, Math.round(n)))
}

/**
 * The default token lifetime of the sign-in screen: `?token_ttl_s=10` in the page URL, else
 * `localStorage["fleet.dev.tokenTtlS"]`, else 60 s. Tests use it to run with short-lived tokens.
 */
export function defaultTtlS(search: string, storage: Pick<Storage, 'getItem'> | null): number {
  const fromQuery = clampTtlS(new URLSearchParams(search).get('token_ttl_s') ?? '')
  if (fromQuery !== null) return fromQuery
  return clampTtlS(storage?.getItem('fleet.dev.tokenTtlS') ?? '') ?? DEFAULT_TTL_S
}

function describeError(err: unknown): string {
  if (isApiError(err)) {
    if (err.status === 404) return 'The dev issuer is not available (is fleetd running with --dev?)'
    return `${err.code}: ${err.message}`
  }
  return String((err as Error)?.message ?? err)
}

/**
 * Auth provider for fleetd's dev issuer (`POST /dev/token`, only with `fleetd --dev`): the user picks a
 * user and an organization; the provider mints a token (default lifetime 60 s) and mints the next one
 * before it expires (`refreshDelayMs`); the WebSocket client sends it in-band. Switching organization
 * mints a token for the other organization.
 */
export class DevAuthProvider implements AuthProvider {
  readonly kind = 'dev' as const
  private snapshot: AuthSnapshot = SIGNED_OUT
  private readonly listeners = new Set<() => void>()
  private session: DevSession | null = null
  private refreshTimer: unknown = null
  private requestSeq = 0
  private refreshFailures = 0
  private serial = 0
  /** The organization being left while a switch is in flight (to revert on failure). */
  private switchFrom: string | null = null
  private readonly setT: (fn: () => void, ms: number) => unknown
  private readonly clearT: (h: unknown) => void
  private readonly now: () => number
  private readonly storage: DevAuthOptions['storage']

  constructor(
    private readonly source: DevTokenSource,
    opts: DevAuthOptions = {},
  ) {
    this.setT = opts.setTimeout ?? ((fn, ms) => globalThis.setTimeout(fn, ms))
    this.clearT = opts.clearTimeout ?? ((h) => globalThis.clearTimeout(h as ReturnType<typeof setTimeout>))
    this.now = opts.now ?? Date.now
    this.storage = opts.storage === undefined ? safeSessionStorage() : opts.storage
  }

  getSnapshot = (): AuthSnapshot => this.snapshot

  subscribe = (listener: () => void): (() => void) => {
    this.listeners.add(listener)
    return () => this.listeners.delete(listener)
  }

  getSession(): DevSession | null {
    return this.session
  }

  /** Signs in again with the session stored by a previous page load, if any. */
  async restore(): Promise<void> {
    const raw = this.storage?.getItem(STORAGE_KEY)
    if (!raw) return
    try {
      const s = JSON.parse(raw) as Partial<DevSession>
      if (typeof s.user === 'string' && typeof s.org === 'string') {
        await this.signIn({ user: s.user, org: s.org, role: s.role ?? 'admin', ttlS: s.ttlS ?? DEFAULT_TTL_S })
      }
    } catch {
      this.storage?.removeItem(STORAGE_KEY)
    }
  }

  async signIn(session: DevSession): Promise<void> {
    this.session = { ...session }
    this.refreshFailures = 0
    if (this.snapshot.status !== 'signed-in') this.set({ ...LOADING, error: null })
    await this.mint(false)
  }

  async switchOrganization(orgId: string): Promise<void> {
    if (!this.session || this.session.org === orgId) return
    if (!this.snapshot.switching) this.switchFrom = this.session.org
    this.session = { ...this.session, org: orgId }
    this.refreshFailures = 0
    // The organization changes now (the UI drops the old tenant's data); the token follows.
    this.set({ ...this.snapshot, orgId, switching: true, error: null })
    await this.mint(false)
  }

  async refreshToken(): Promise<void> {
    if (!this.session) return
    await this.mint(true)
  }

  async signOut(): Promise<void> {
    this.session = null
    this.switchFrom = null
    this.requestSeq++ // drop answers still in flight
    this.clearRefresh()
    this.storage?.removeItem(STORAGE_KEY)
    this.set(SIGNED_OUT)
  }

  dispose(): void {
    this.clearRefresh()
    this.requestSeq++
    this.listeners.clear()
  }

  private async mint(isRefresh: boolean): Promise<void> {
    const session = this.session
    if (!session) return
    const seq = ++this.requestSeq
    this.clearRefresh()
    const issuedAt = this.now()
    try {
      const r = await this.source.devToken({ user: session.user, org: session.org, role: session.role, ttl_s: session.ttlS })
      if (seq !== this.requestSeq || this.session !== session) return // superseded
      this.refreshFailures = 0
      this.switchFrom = null
      const ttlMs = session.ttlS * 1000
      this.storage?.setItem(STORAGE_KEY, JSON.stringify(session))
      this.set({
        status: 'signed-in',
        token: r.token,
        userId: session.user,
        orgId: session.org,
        role: session.role,
        expiresAt: issuedAt + ttlMs,
        tokenSerial: ++this.serial,
        switching: false,
        error: null,
      })
      this.scheduleRefresh(refreshDelayMs(ttlMs))
    } catch (err) {
      if (seq !== this.requestSeq || this.session !== session) return
      const message = describeError(err)
      if (this.snapshot.status === 'signed-in' && this.snapshot.switching && this.switchFrom !== null) {
        // Could not switch: go back to the previous organization and renew its token.
        const back = this.switchFrom
        this.switchFrom = null
        this.session = { ...session, org: back }
        this.set({ ...this.snapshot, orgId: back, switching: false, error: `Could not switch organization: ${message}` })
        this.scheduleRefresh(1000)
      } else if (this.snapshot.status === 'signed-in' && isRefresh) {
        // Keep the current token (it may still be valid) and retry with backoff.
        this.refreshFailures++
        this.set({ ...this.snapshot, error: `Token refresh failed: ${message}` })
        this.scheduleRefresh(Math.min(30_000, 1000 * 2 ** Math.min(this.refreshFailures, 5)))
      } else {
        this.session = null
        this.set({ ...SIGNED_OUT, error: message })
      }
    }
  }

  private scheduleRefresh(ms: number): void {
    this.clearRefresh()
    this.refreshTimer = this.setT(() => {
      this.refreshTimer = null
      void this.mint(true)
    }, ms)
  }

  private clearRefresh(): void {
    if (this.refreshTimer !== null) {
      this.clearT(this.refreshTimer)
      this.refreshTimer = null
    }
  }

  private set(s: AuthSnapshot): void {
    this.snapshot = Object.freeze({ ...s })
    for (const l of [...this.listeners]) l()
  }
}

function safeSessionStorage(): Storage | null {
  try {
    return typeof sessionStorage === 'undefined' ? null : sessionStorage
  } catch {
    return null
  }
}
