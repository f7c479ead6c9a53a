import { CloseCode } from '../types/protocol.ts'

/**
 * What the client does after a close, for every code and reason of docs/protocol.md's table, in one place.
 * - `backoff`: reconnect with exponential backoff and jitter, and resume.
 * - `token`: the token was refused or expired; get a new one before reconnecting.
 * - `reauth`: an in-band refresh carried another organization's or user's token; reconnect at once with
 *   it, without resuming (a resume never crosses tenants).
 * - `fresh`: the resume itself was malformed; reconnect with backoff, without resuming.
 * - `end`: the session is over for good (a share link expired or was revoked): never reconnect.
 */
export type CloseAction = 'backoff' | 'token' | 'reauth' | 'fresh' | 'end'

const POLICY_ACTIONS: Record<string, CloseAction> = {
  'Missing token': 'token',
  'Invalid token': 'token',
  'No organization': 'token',
  'Session pending': 'token',
  'Token expired': 'token',
  // We always send auth first; a timeout means the socket stalled: retry the same token.
  'Authentication timeout': 'backoff',
  'Organization changed': 'reauth',
  'Token mismatch': 'reauth',
  'Invalid resume': 'fresh',
  // Client bugs: retrying after a pause is all a browser can do; the token is not the problem.
  'Too many auth messages': 'backoff',
  'Protocol violation': 'backoff',
  // The client checks its stream options before it connects: a refusal means the server disagrees.
  'Invalid options': 'backoff',
  // The client checks its views before it sends them, and debounces them: the server disagrees.
  'Invalid view': 'backoff',
  'Too many views': 'backoff',
  // A share link's end is final: a new link is the only remedy.
  'Share expired': 'end',
  'Share revoked': 'end',
}

export function closeAction(code: number, reason: string): CloseAction {
  if (code !== CloseCode.PolicyViolation) return 'backoff'
  // An unknown 1008 reason is a refusal we cannot explain: a new token is the documented remedy.
  return POLICY_ACTIONS[reason] ?? 'token'
}
