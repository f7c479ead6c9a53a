import { useState, type FormEvent } from 'react'
import { config } from '../../config.ts'
import { useAuth } from './AuthContext.tsx'
import { DEFAULT_TTL_S, DevAuthProvider, MAX_TTL_S, MIN_TTL_S, clampTtlS, defaultTtlS } from './DevAuthProvider.ts'

function useDevProvider(): DevAuthProvider {
  const { provider } = useAuth()
  if (!(provider instanceof DevAuthProvider)) throw new Error('DevSignIn needs the DevAuthProvider')
  return provider
}

/** Sign-in screen for fleetd's dev issuer: pick a user and an organization. */
export function DevSignIn() {
  const provider = useDevProvider()
  const { state } = useAuth()
  const [user, setUser] = useState(config.devUsers[0] ?? 'user_alice')
  const [org, setOrg] = useState(config.devOrgs[0] ?? 'org_acme')
  const [role, setRole] = useState('admin')
  const [ttl, setTtl] = useState(() => String(defaultTtlS(window.location.search, safeLocalStorage())))
  const [busy, setBusy] = useState(false)

  const submit = async (e: FormEvent) => {
    e.preventDefault()
    setBusy(true)
    try {
      const ttlS = clampTtlS(ttl) ?? DEFAULT_TTL_S
      await provider.signIn({ user: user.trim(), org: org.trim(), role, ttlS })
    } finally {
      setBusy(false)
    }
  }

  return (
    <div className="signin">
      <form className="signin-card" onSubmit={submit} data-testid="dev-signin">
        <h2>Sign in</h2>
        <p className="hint">
          Development sign-in: tokens come from fleetd's dev issuer (<code>fleetd --dev</code>).
        </p>
        <label>
          User
          <input data-testid="signin-user" list="dev-users" value={user} onChange={(e) => setUser(e.target.value)} required />
          <datalist id="dev-users">
            {config.devUsers.map((u) => (
              <option key={u} value={u} />
            ))}
          </datalist>
        </label>
        <label>
          Organization
          <input data-testid="signin-org" list="dev-orgs" value={org} onChange={(e) => setOrg(e.target.value)} required />
          <datalist id="dev-orgs">
            {config.devOrgs.map((o) => (
              <option key={o} value={o} />
            ))}
          </datalist>
        </label>
        <label>
          Role
          <select data-testid="signin-role" value={role} onChange={(e) => setRole(e.target.value)}>
            <option value="admin">admin</option>
            <option value="org:member">org:member</option>
          </select>
        </label>
        <details>
          <summary>Advanced</summary>
          <label>
            Token lifetime (s)
            <input data-testid="signin-ttl" type="number" min={MIN_TTL_S} max={MAX_TTL_S} value={ttl} onChange={(e) => setTtl(e.target.value)} />
          </label>
        </details>
        <button type="submit" data-testid="signin-submit" disabled={busy}>
          {busy ? 'Signing in…' : 'Sign in'}
        </button>
        {state.error && (
          <p className="error" role="alert" data-testid="signin-error">
            {state.error}
          </p>
        )}
      </form>
    </div>
  )
}

/** Organization switcher (dev mode): mints a token for the other organization. */
export function DevOrgSwitcher() {
  const provider = useDevProvider()
  const { state, switchOrganization } = useAuth()
  const current = state.orgId ?? ''
  const orgs = config.devOrgs.includes(current) || !current ? config.devOrgs : [current, ...config.devOrgs]
  const session = provider.getSession()
  return (
    <label className="org-switcher">
      <span className="visually-hidden">Organization</span>
      <select
        data-testid="org-switcher"
        value={current}
        disabled={!switchOrganization || !session}
        onChange={(e) => void switchOrganization?.(e.target.value)}
      >
        {orgs.map((o) => (
          <option key={o} value={o}>
            {o}
          </option>
        ))}
      </select>
    </label>
  )
}

function safeLocalStorage(): Storage | null {
  try {
    return typeof localStorage === 'undefined' ? null : localStorage
  } catch {
    return null
  }
}
