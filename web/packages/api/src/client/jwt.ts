/** Who a token is for, read from its payload without verifying it (only the server verifies). */
export interface TokenIdentity {
  sub: string
  /** Clerk v2 `o.id`, else v1 `org_id`; null when the token names no organization. */
  org: string | null
}

function decodeBase64Url(part: string): string {
  const b64 = part.replace(/-/g, '+').replace(/_/g, '/')
  const bin = atob(b64.padEnd(Math.ceil(b64.length / 4) * 4, '='))
  const bytes = Uint8Array.from(bin, (c) => c.charCodeAt(0))
  return new TextDecoder().decode(bytes)
}

/**
 * Reads `sub` and the organization the way fleetd does (docs/auth.md, "Tenant"). Returns null when the
 * payload cannot be decoded or has no `sub`: callers then cannot tell, and let the server decide.
 */
export function peekIdentity(token: string): TokenIdentity | null {
  const parts = token.split('.')
  if (parts.length !== 3 || !parts[1]) return null
  let payload: unknown
  try {
    payload = JSON.parse(decodeBase64Url(parts[1]))
  } catch {
    return null
  }
  if (typeof payload !== 'object' || payload === null) return null
  const p = payload as { sub?: unknown; o?: { id?: unknown }; org_id?: unknown }
  if (typeof p.sub !== 'string' || p.sub === '') return null
  const o = typeof p.o === 'object' && p.o !== null ? p.o.id : undefined
  const org = typeof o === 'string' && o !== '' ? o : typeof p.org_id === 'string' && p.org_id !== '' ? p.org_id : null
  return { sub: p.sub, org }
}
