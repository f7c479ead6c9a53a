/**
 * Skip links live in the shell, before the header; the targets live in the page, which may be hiding one of
 * them (the phone shows the map or the list, not both). A skip link therefore asks the page to reveal its
 * target first, synchronously, and focuses it afterwards.
 */

/** The page's skip targets: the element ids and what the page must show for each. */
export const SKIP_TARGETS = {
  list: 'vehicle-list',
  map: 'live-map-region',
} as const

export type SkipTarget = keyof typeof SKIP_TARGETS

const REVEAL_EVENT = 'fleet:reveal'

/** Asks whoever shows `target` to make it visible now (listeners must update the DOM synchronously). */
export function requestReveal(target: SkipTarget): void {
  window.dispatchEvent(new CustomEvent<SkipTarget>(REVEAL_EVENT, { detail: target }))
}

/** Calls `reveal` for each request; returns the unsubscribe function. */
export function onRevealRequest(reveal: (target: SkipTarget) => void): () => void {
  const listener = (e: Event) => reveal((e as CustomEvent<SkipTarget>).detail)
  window.addEventListener(REVEAL_EVENT, listener)
  return () => window.removeEventListener(REVEAL_EVENT, listener)
}
