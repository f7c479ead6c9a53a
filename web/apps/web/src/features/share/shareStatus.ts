import type { ConnectionState } from '@fleet/api'

/**
 * What the share page tells its viewer, from the client's state. A share's end (`1008 Share expired` /
 * `Share revoked`) and a refused link are final: the page says so and never reconnects.
 */
export type ShareStatus =
  | { kind: 'connecting' }
  | { kind: 'live' }
  | { kind: 'reconnecting' }
  | { kind: 'expired' }
  | { kind: 'revoked' }
  | { kind: 'invalid' }

export function shareStatus(s: ConnectionState, tokenValid: boolean): ShareStatus {
  if (!tokenValid) return { kind: 'invalid' }
  if (s.status === 'ended') return { kind: s.lastClose?.reason === 'Share revoked' ? 'revoked' : 'expired' }
  // Any other refusal of the share token: a mistyped, tampered or unknown link (or one of a deleted share).
  if (s.authRejected) return { kind: 'invalid' }
  if (s.status === 'live') return { kind: 'live' }
  if (s.status === 'reconnecting') return { kind: 'reconnecting' }
  return { kind: 'connecting' }
}

/** The sentence the page shows (and its live region announces) for each status. */
export function shareMessage(st: ShareStatus): string {
  switch (st.kind) {
    case 'connecting':
      return 'Connecting…'
    case 'live':
      return 'Live'
    case 'reconnecting':
      return 'Connection lost, reconnecting…'
    case 'expired':
      return 'This share link has expired. Ask the sender for a new one.'
    case 'revoked':
      return 'This share link was revoked. Ask the sender for a new one.'
    case 'invalid':
      return 'This share link is invalid. Check that you copied all of it, or ask the sender for a new one.'
  }
}

/** Whether the page is over for good (no map updates will ever come). */
export function isFinal(st: ShareStatus): boolean {
  return st.kind === 'expired' || st.kind === 'revoked' || st.kind === 'invalid'
}
