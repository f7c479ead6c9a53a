/**
 * Clerk integration (loaded lazily, only when VITE_CLERK_PUBLISHABLE_KEY is set). Clerk's UI and session
 * handling need clerk.com at runtime, so this path cannot run offline; the adapter logic it relies on
 * (ClerkAuthAdapter) is unit-tested without Clerk.
 */
import { ClerkProvider, OrganizationSwitcher, SignIn, useAuth } from '@clerk/react'
import { useEffect, useState, type ReactNode } from 'react'
import type { AuthSlots } from '../AuthContext.tsx'
import type { AuthProvider } from '../types.ts'
import { ClerkAuthAdapter } from './ClerkAuthAdapter.ts'

export interface ClerkRootProps {
  publishableKey: string
  render: (provider: AuthProvider, slots: AuthSlots) => ReactNode
}

const slots: AuthSlots = {
  SignIn: () => (
    <div className="signin-clerk">
      <SignIn routing="hash" />
    </div>
  ),
  OrgSwitcher: () => <OrganizationSwitcher hidePersonal />,
}

function Bridge({ render }: { render: ClerkRootProps['render'] }) {
  const { isLoaded, isSignedIn, userId, orgId, orgRole, getToken, signOut } = useAuth()
  const [adapter] = useState(() => new ClerkAuthAdapter())
  adapter.setFunctions((o) => getToken(o), () => signOut())
  useEffect(() => {
    adapter.update({
      isLoaded,
      isSignedIn: Boolean(isSignedIn),
      userId: userId ?? null,
      orgId: orgId ?? null,
      orgRole: orgRole ?? null,
    })
  }, [adapter, isLoaded, isSignedIn, userId, orgId, orgRole])
  useEffect(() => () => adapter.dispose(), [adapter])
  return <>{render(adapter, slots)}</>
}

export default function ClerkRoot({ publishableKey, render }: ClerkRootProps) {
  return (
    <ClerkProvider publishableKey={publishableKey} afterSignOutUrl="/">
      <Bridge render={render} />
    </ClerkProvider>
  )
}
