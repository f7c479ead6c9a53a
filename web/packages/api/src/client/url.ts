/**
 * Turns an HTTP(S) base URL (typically `location.origin`) into the WebSocket endpoint URL:
 * `http://` → `ws://`, `https://` → `wss://`, `ws(s)://` kept, path `/ws`, token URL-encoded in the query.
 *
 *   toWebSocketUrl('https://fleet.example.com', 'a.b.c')  →  'wss://fleet.example.com/ws?token=a.b.c'
 */
export function toWebSocketUrl(base: string, token: string, path = '/ws'): string {
  let b = base.trim().replace(/\/+$/, '')
  const m = /^([a-z][a-z0-9+.-]*):\/\//i.exec(b)
  if (!m) throw new Error(`WebSocket base URL must be absolute (http, https, ws or wss): "${base}"`)
  const scheme = m[1]!.toLowerCase()
  const rest = b.slice(m[0].length)
  switch (scheme) {
    case 'http':
    case 'ws':
      b = `ws://${rest}`
      break
    case 'https':
    case 'wss':
      b = `wss://${rest}`
      break
    default:
      throw new Error(`Unsupported URL scheme for WebSocket: "${scheme}"`)
  }
  const p = path.startsWith('/') ? path : `/${path}`
  return `${b}${p}?token=${encodeURIComponent(token)}`
}

/** Joins a base URL ('' for same-origin relative URLs) and an absolute path. */
export function joinUrl(base: string, path: string): string {
  return `${base.replace(/\/+$/, '')}${path.startsWith('/') ? path : `/${path}`}`
}
