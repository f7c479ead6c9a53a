import { WebSocketClient } from '@fleet/api'
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { FakeSocket, jwt } from '../../../packages/api/test/fake-socket.ts'
import { installReconnectTriggers } from '../src/features/live/reconnectTriggers.ts'

beforeEach(() => {
  FakeSocket.reset()
  vi.useFakeTimers()
})
afterEach(() => vi.useRealTimers())

function setup() {
  const win = new EventTarget()
  const doc = Object.assign(new EventTarget(), { visibilityState: 'hidden' })
  const client = new WebSocketClient({ baseUrl: 'http://h', WebSocketImpl: FakeSocket, logger: null, random: () => 0.999999 })
  const uninstall = installReconnectTriggers(win, doc, client)
  client.setToken(jwt('org_a'))
  FakeSocket.last().goLive()
  FakeSocket.last().serverClose(1006)
  vi.advanceTimersByTime(499) // first retry
  FakeSocket.last().serverClose(1006) // fails too: the next waits up to 1 s
  expect(FakeSocket.instances).toHaveLength(2)
  return { win, doc, client, uninstall }
}

describe('reconnect triggers', () => {
  it('the browser going online skips the backoff wait', () => {
    const { win } = setup()
    win.dispatchEvent(new Event('online'))
    expect(FakeSocket.instances).toHaveLength(3)
  })

  it('the tab becoming visible skips it; becoming hidden does not', () => {
    const { doc } = setup()
    doc.dispatchEvent(new Event('visibilitychange'))
    expect(FakeSocket.instances).toHaveLength(2)
    doc.visibilityState = 'visible'
    doc.dispatchEvent(new Event('visibilitychange'))
    expect(FakeSocket.instances).toHaveLength(3)
  })

  it('does nothing while live, and nothing after uninstall', () => {
    const { win, doc, uninstall } = setup()
    win.dispatchEvent(new Event('online'))
    FakeSocket.last().goLive()
    doc.visibilityState = 'visible'
    doc.dispatchEvent(new Event('visibilitychange'))
    win.dispatchEvent(new Event('online'))
    expect(FakeSocket.instances).toHaveLength(3)
    FakeSocket.last().serverClose(1006)
    uninstall()
    win.dispatchEvent(new Event('online'))
    expect(FakeSocket.instances).toHaveLength(3)
  })
})
