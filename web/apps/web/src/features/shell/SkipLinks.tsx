import type { MouseEvent } from 'react'
import { SKIP_TARGETS, requestReveal, type SkipTarget } from './reveal.ts'

/**
 * The first stops in the tab order, visible only when focused: "Skip to vehicle list" and "Skip to map" on
 * the live page, "Skip to content" elsewhere. Each reveals its target (the phone hides one of them) and
 * moves focus into it, so the next Tab continues from there.
 */
export function SkipLinks({ live }: { live: boolean }) {
  if (!live) {
    return (
      <nav className="skip-links" aria-label="Skip links">
        <a className="skip-link" href="#main">
          Skip to content
        </a>
      </nav>
    )
  }
  return (
    <nav className="skip-links" aria-label="Skip links">
      <SkipLink target="list">Skip to vehicle list</SkipLink>
      <SkipLink target="map">Skip to map</SkipLink>
    </nav>
  )
}

function SkipLink({ target, children }: { target: SkipTarget; children: string }) {
  const id = SKIP_TARGETS[target]
  const onClick = (e: MouseEvent<HTMLAnchorElement>) => {
    e.preventDefault()
    requestReveal(target)
    const el = document.getElementById(id)
    // The map's own focusable container takes the keys (arrows pan, +/- zoom); else the region itself.
    const focusable = el?.querySelector<HTMLElement>('.leaflet-container') ?? el
    focusable?.focus()
  }
  return (
    <a className="skip-link" href={`#${id}`} onClick={onClick}>
      {children}
    </a>
  )
}
