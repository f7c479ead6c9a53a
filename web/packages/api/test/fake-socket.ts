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

  serverSend(msg: unknown): void {
    this.onmessage?.({ data: typeof msg === 'string' ? msg : JSON.stringify(msg) })
  }

  serverClose(code: number, reason = ''): void {
    this.readyState = 3
    this.onerror?.({})
    this.onclose?.({ code, reason, wasClean: code !== 1006 })
  }

  /** Open + hello (+ optional snapshot): the happy path. */
  goLive(tenant = 'org_a', seq = 0): void {
    this.serverOpen()
    this.serverSend(hello(tenant, seq))
  }
}

export function hello(tenant = 'org_a', seq = 0) {
  return {
    type: 'hello',
    protocol: 1,
    tenant,
    user: 'user_alice',
    role: 'admin',
    token_exp: 1795000060,
    server: 'fleetd/0.1.0',
    seq,
  }
}
