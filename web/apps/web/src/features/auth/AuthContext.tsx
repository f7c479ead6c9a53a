import type { HttpClient, WebSocketClient } from '@fleet/api'
import { createContext, useContext, useEffect, useMemo, useRef, useSyncExternalStore, type ComponentType, type ReactNode } from 'react'
import { TokenSync, refreshOnTokenRequired, type Identity, type TokenRequests } from './tokenSync.ts'
import type { AuthProvider, AuthSnapshot } from './types.ts'

/** UI pieces that depend on the provider (the Clerk ones live in the lazily loaded Clerk chunk). */
export interface AuthSlots {
  SignIn: ComponentType
  OrgSwitcher?: ComponentType
}

export interface AuthContextValue {
  provider: AuthProvider
  state: AuthSnapshot
  slots: AuthSlots
  signOut(): Promise<void>
  switchOrganization: ((orgId: string) => Promise<void>) | null
}

const Ctx = createContext<AuthContextValue | null>(null)

export interface AuthContextProviderProps {
  provider: AuthProvider
  http: Pick<HttpClient, 'setToken'>
  ws: Pick<WebSocketClient, 'setToken'> & TokenRequests
  slots: AuthSlots
  /** Called when the user or organization changes, before the new token reaches the clients. */
  onIdentityChange?: (identity: Identity) => void
  children: ReactNode
}

/**
 * Gets tokens from the provider and syncs each new token to both clients (HTTP and WebSocket); clears
 * both on sign-out. The WebSocket client decides whether a token goes in-band or reconnects. When the
 * server refuses a token (any 1008 that needs one), the client asks for a fresh token and this fetches it.
 */
export function AuthContextProvider({ provider, http, ws, slots, onIdentityChange, children }: AuthContextProviderProps) {
  const state = useSyncExternalStore(provider.subscribe, provider.getSnapshot, provider.getSnapshot)
  const identityRef = useRef(onIdentityChange)
  identityRef.current = onIdentityChange

  useEffect(() => {
    const sync = new TokenSync([http, ws], (id) => identityRef.current?.(id))
    const apply = () => sync.apply(provider.getSnapshot())
    apply()
    const unsubscribe = provider.subscribe(apply)
    const offRequired = refreshOnTokenRequired(ws, provider)
    return () => {
      unsubscribe()
      offRequired()
    }
  }, [provider, http, ws])

  const value = useMemo<AuthContextValue>(
    () => ({
      provider,
      state,
      slots,
      signOut: () => provider.signOut(),
      switchOrganization: provider.switchOrganization ? (org: string) => provider.switchOrganization!(org) : null,
    }),
    [provider, state, slots],
  )
  return <Ctx.Provider value={value}>{children}</Ctx.Provider>
}

export function useAuth(): AuthContextValue {
  const v = useContext(Ctx)
  if (!v) throw new Error('useAuth() must be used inside <AuthContextProvider>')
  return v
}
