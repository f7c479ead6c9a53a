import { vi } from 'vitest'
import { WebSocketClient, type ConnectionState, type WebSocketClientOptions } from '../src/index.ts'
import { FakeSocket } from './fake-socket.ts'

/** A client on the fake socket with a silent spy logger, recording every status it emits. */
export function makeClient(opts: Partial<WebSocketClientOptions> = {}) {
  const logger = { log: vi.fn(), warn: vi.fn(), error: vi.fn() }
  const client = new WebSocketClient({
    baseUrl: 'http://127.0.0.1:3000',
    WebSocketImpl: FakeSocket,
    logger,
    random: () => 0.5,
    ...opts,
  })
  const statuses: ConnectionState[] = []
  client.on('status', (s) => statuses.push(s))
  return { client, logger, statuses }
}
