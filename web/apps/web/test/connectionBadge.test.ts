import type { ConnectionState } from '@fleet/api'
import { createElement } from 'react'
import { renderToStaticMarkup } from 'react-dom/server'
import { describe, expect, it, vi } from 'vitest'
import { ConnectionBadge, RetryNowButton, canRetryNow, secondsLeft } from '../src/features/live/ConnectionBadge.tsx'

const BASE: ConnectionState = {
  status: 'live',
  lastClose: null,
  authRejected: false,
  attempt: 0,
  retryInMs: null,
  retryAt: null,
  tenant: 'org_a',
  tokenExp: null,
  recovered: null,
  format: null,
}

function render(state: Partial<ConnectionState>) {
  const client = { on: () => () => {}, getState: () => ({ ...BASE, ...state }), reconnectNow: vi.fn() }
  return { html: renderToStaticMarkup(createElement(ConnectionBadge, { client })), client }
}

describe('ConnectionBadge', () => {
  it('counts down the real time left to the scheduled retry', () => {
    expect(secondsLeft(10_000, 7_600)).toBe(3)
    expect(secondsLeft(10_000, 9_001)).toBe(1)
    expect(secondsLeft(10_000, 12_000)).toBe(0)
    expect(secondsLeft(null, 0)).toBeNull()
    const { html } = render({ status: 'reconnecting', retryInMs: 9000, retryAt: Date.now() + 2_500 })
    expect(html).toContain('Reconnecting in 3 s')
  })

  it('offers "Retry now" as a real button while reconnecting or refused, not while live', () => {
    const { html } = render({ status: 'reconnecting', retryAt: Date.now() + 5_000 })
    expect(html).toMatch(/<button type="button" class="retry-now" data-testid="retry-now">Retry now<\/button>/)
    expect(render({ status: 'idle', authRejected: true, lastClose: { code: 1008, reason: 'Invalid token', wasClean: true, at: 0 } }).html).toContain('Retry now')
    expect(render({ status: 'live' }).html).not.toContain('Retry now')
    expect(render({ status: 'idle' }).html).not.toContain('Retry now')
    expect(canRetryNow({ ...BASE, status: 'signed-out' })).toBe(false)
  })

  it('"Retry now" asks the client to reconnect at once', () => {
    const client = { reconnectNow: vi.fn() }
    const button = RetryNowButton({ client })
    ;(button.props as { onClick: () => void }).onClick()
    expect(client.reconnectNow).toHaveBeenCalledTimes(1)
  })

  it('the live region says the state once, never the countdown; the seconds stay visible outside it', () => {
    const liveRegion = (html: string) => /<span class="visually-hidden" role="status"[^>]*>([^<]*)<\/span>/.exec(html)?.[1]
    const soon = render({ status: 'reconnecting', retryAt: Date.now() + 5_000 }).html
    const later = render({ status: 'reconnecting', retryAt: Date.now() + 2_000 }).html
    expect(soon).toContain('Reconnecting in 5 s')
    expect(later).toContain('Reconnecting in 2 s')
    expect(liveRegion(soon)).toBe('Connection: Reconnecting…')
    expect(liveRegion(later)).toBe(liveRegion(soon))
    // exactly one live region, and the visible badge (with its seconds) is not inside one
    expect(soon.match(/role="status"|aria-live/g)).toHaveLength(1)
    expect(liveRegion(render({ status: 'live' }).html)).toBe('Connection: Live')
    const refused = render({ status: 'idle', authRejected: true, lastClose: { code: 1008, reason: 'Token expired', wasClean: true, at: 0 } })
    expect(liveRegion(refused.html)).toBe('Connection: Refused: Token expired')
  })
})
