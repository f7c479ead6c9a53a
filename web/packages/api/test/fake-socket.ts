import type { WebSocketLike } from '../src/client/websocket.ts'

/** A scriptable stand-in for the browser WebSocket. `server*` methods simulate what the server does. */
export class FakeSocket implements WebSocketLike {
  static instances: FakeSocket[] = []

  static reset(): void {
    FakeSocket.instances = []
  }

  static last(): FakeSocket {
    const s = FakeSocket.instances[FakeSocket.instances.length - 1]
    if (!s) throw new Error('no socket was created')
    return s
  }

  /** Sockets that are neither closed nor asked to close by the client. */
  static live(): FakeSocket[] {
    return FakeSocket.instances.filter((s) => s.readyState <= 1 && s.closeCalls.length === 0)
  }

  readyState = 0
  onopen: ((ev: unknown) => void) | null = null
  onmessage: ((ev: { data: unknown }) => void) | null = null
  onclose: ((ev: { code: number; reason: string; wasClean: boolean }) => void) | null = null
  onerror: ((ev: unknown) => void) | null = null
  readonly sent: string[] = []
  readonly closeCalls: { code?: number; reason?: string }[] = []

  constructor(readonly url: string) {
    FakeSocket.instances.push(this)
  }

  send(data: string): void {
    if (this.readyState !== 1) throw new Error('InvalidStateError: socket not open')
    this.sent.push(data)
  }

  close(code?: number, reason?: string): void {
    this.closeCalls.push({ code, reason })
    if (this.readyState < 2) this.readyState = 2
  }

  serverOpen(): void {
    this.readyState = 1
    this.onopen?.({})
  }

  /** The client's messages, parsed. */
  messages(): Record<string, unknown>[] {
    return this.sent.map((m) => JSON.parse(m) as Record<string, unknown>)
  }

  serverSend(msg: unknown): void {
    this.onmessage?.({ data: typeof msg === 'string' ? msg : JSON.stringify(msg) })
  }

  serverClose(code: number, reason = ''): void {
    this.readyState = 3
    this.onerror?.({})
    this.onclose?.({ code, reason, wasClean: code !== 1006 })
  }

  /** Open + hello: the happy path. */
  goLive(tenant = 'org_a', seq = 0, extra: Record<string, unknown> = {}): void {
    this.serverOpen()
    this.serverSend(hello(tenant, seq, extra))
  }
}

export const EPOCH = '5f0c2a9e1b7d4c36'

/** A protocol 2 hello for `user_alice` (override anything with `extra`, e.g. `{ recovered: true }`). */
export function hello(tenant = 'org_a', seq = 0, extra: Record<string, unknown> = {}) {
  return {
    type: 'hello',
    protocol: 2,
    tenant,
    user: 'user_alice',
    role: 'admin',
    token_exp: 1795000060,
    token_grace_s: 15,
    server: 'fleetd/0.1.0',
    seq,
    epoch: EPOCH,
    ...extra,
  }
}

/**
 * An unsigned JWT-shaped token (the client only reads the payload; the server verifies). `n` makes
 * distinct tokens for the same user and organization, as a refresh would.
 */
export function jwt(org: string | null = 'org_a', n = 1, sub = 'user_alice', orgClaim: 'v2' | 'v1' = 'v2'): string {
  const b64 = (o: object) => Buffer.from(JSON.stringify(o)).toString('base64url')
  const claims: Record<string, unknown> = { sub, exp: 1795000000 + n * 60, jti: `t${n}` }
  if (org !== null) {
    if (orgClaim === 'v2') claims.o = { id: org, rol: 'admin' }
    else claims.org_id = org
  }
  return `${b64({ alg: 'RS256', typ: 'JWT' })}.${b64(claims)}.c2ln`
}

export function ev(seq: number, device = 'dev_1') {
  return { seq, device, ts: 1795000000000 + seq, lat: 48.85, lon: 2.35 }
}

export function telemetry(seqs: number[], skipped?: number) {
  return { type: 'telemetry', ...(skipped === undefined ? {} : { skipped }), events: seqs.map((s) => ev(s)) }
}
