/**
 * Turns an HTTP(S) base URL (typically `location.origin`) into the WebSocket endpoint URL:
 * `http://` → `ws://`, `https://` → `wss://`, `ws(s)://` kept, path `/ws`, `query` URL-encoded.
 * Protocol 2 clients pass no query: the token travels in the first message, never in a URL.
 *
 *   toWebSocketUrl('https://fleet.example.com')                    →  'wss://fleet.example.com/ws'
 *   toWebSocketUrl('http://h', '/ws', { token: 'a.b.c' })          →  'ws://h/ws?token=a.b.c'  (protocol 1)
 */
export function toWebSocketUrl(base: string, path = '/ws', query: Record<string, string | number> = {}): string {
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
  const q = Object.entries(query)
    .map(([k, v]) => `${encodeURIComponent(k)}=${encodeURIComponent(String(v))}`)
    .join('&')
  return q ? `${b}${p}?${q}` : `${b}${p}`
}

/** Joins a base URL ('' for same-origin relative URLs) and an absolute path. */
export function joinUrl(base: string, path: string): string {
  return `${base.replace(/\/+$/, '')}${path.startsWith('/') ? path : `/${path}`}`
}
