import { Suspense, lazy, useEffect } from 'react'
import { httpClient, wsClient } from './clients.ts'
import { config } from './config.ts'
import { registerDebugProvider } from './debug.ts'
import { AuthContextProvider, useAuth, type AuthSlots } from './features/auth/AuthContext.tsx'
import { DevAuthProvider } from './features/auth/DevAuthProvider.ts'
import { DevOrgSwitcher, DevSignIn } from './features/auth/DevSignIn.tsx'
import { takeEarlyDevToken, withEarlyDevToken } from './features/auth/earlyDevToken.ts'
import type { AuthProvider } from './features/auth/types.ts'
import { ConnectionBadge } from './features/live/ConnectionBadge.tsx'
import { LiveTrackingPage } from './features/live/LiveTrackingPage.tsx'
import { SettingsMenu } from './features/live/SettingsMenu.tsx'
import { fleetStore } from './features/live/store.ts'
import { SkipLinks } from './features/shell/SkipLinks.tsx'
import { TopBarMenu } from './features/shell/TopBarMenu.tsx'

// Clerk's SDK is only downloaded when a publishable key is configured.
const ClerkRoot = lazy(() => import('./features/auth/clerk/ClerkRoot.tsx'))

let devProvider: DevAuthProvider | null = null
function getDevProvider(): DevAuthProvider {
  if (!devProvider) {
    // index.html's early token request went to this origin: usable only when the API is here too.
    const early = takeEarlyDevToken()
    devProvider = new DevAuthProvider(withEarlyDevToken(httpClient, config.apiBase === '' ? early : null))
    void devProvider.restore()
  }
  return devProvider
}

const devSlots: AuthSlots = { SignIn: DevSignIn, OrgSwitcher: DevOrgSwitcher }

export function App() {
  if (config.clerkPublishableKey) {
    return (
      <Suspense fallback={<div className="loading">Loading…</div>}>
        <ClerkRoot publishableKey={config.clerkPublishableKey} render={(p, slots) => <AuthedApp provider={p} slots={slots} />} />
      </Suspense>
    )
  }
  return <AuthedApp provider={getDevProvider()} slots={devSlots} />
}

function AuthedApp({ provider, slots }: { provider: AuthProvider; slots: AuthSlots }) {
  useEffect(() => {
    registerDebugProvider(provider)
    return () => registerDebugProvider(null)
  }, [provider])
  return (
    <AuthContextProvider
      provider={provider}
      http={httpClient}
      ws={wsClient}
      slots={slots}
      onIdentityChange={(id) => fleetStore.reset(id.orgId)}
    >
      <Shell />
    </AuthContextProvider>
  )
}

function Shell() {
  const { state, slots, signOut } = useAuth()
  const { SignIn, OrgSwitcher } = slots
  const signedIn = state.status === 'signed-in'
  return (
    <div className="app">
      <SkipLinks live={signedIn} />
      <header className="topbar">
        <h1 className="title">
          Fleet Live <span className="subtitle">Live Tracking</span>
        </h1>
        <ConnectionBadge />
        {signedIn && (
          <TopBarMenu>
            {OrgSwitcher && <OrgSwitcher />}
            <span className="who" data-testid="current-user">
              {state.userId}
            </span>
            <SettingsMenu />
            <button type="button" className="signout" data-testid="sign-out" onClick={() => void signOut()}>
              Sign out
            </button>
          </TopBarMenu>
        )}
      </header>
      {signedIn && state.error && (
        <div className="banner error" role="alert">
          {state.error}
        </div>
      )}
      <main className="content" id="main" tabIndex={-1}>
        {signedIn ? <LiveTrackingPage /> : state.status === 'loading' ? <div className="loading">Signing in…</div> : <SignIn />}
      </main>
    </div>
  )
}
