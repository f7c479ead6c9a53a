/**
 * The share page's address: `/share/<token>` (docs/protocol.md, "Share links"). fleetd serves index.html
 * there; the app reads the token from the path and never sends it anywhere but the WebSocket's first
 * message.
 */

/** A share token as fleetd mints it (`fsh_…`, base64url and dots); anything else is not a share link. */
const TOKEN = /^[A-Za-z0-9_.~-]{1,2048}$/

/**
 * The share token of a `/share/<token>` path (an optional trailing slash allowed), `''` for a share path
 * whose token cannot be one (the page says the link is invalid), or null for any other path.
 */
export function shareTokenFromPath(pathname: string): string | null {
  if (!pathname.startsWith('/share/')) return null
  let raw = pathname.slice('/share/'.length)
  if (raw.endsWith('/')) raw = raw.slice(0, -1)
  let token: string
  try {
    token = decodeURIComponent(raw)
  } catch {
    return ''
  }
  return TOKEN.test(token) ? token : ''
}
