import { readFileSync } from 'node:fs'
import { describe, expect, it } from 'vitest'
import { contrastRatio } from '../src/features/shell/contrast.ts'

/** The `:root` custom properties of styles.css that hold `#rrggbb` colours. */
function palette(): Map<string, string> {
  const css = readFileSync(new URL('../src/styles.css', import.meta.url), 'utf8')
  const root = /:root\s*{([^}]*)}/.exec(css)![1]!
  return new Map([...root.matchAll(/(--[\w-]+):\s*(#[0-9a-fA-F]{6})\s*;/g)].map((m) => [m[1]!, m[2]!.toLowerCase()]))
}

/** Every text colour on every background it is drawn on (selected, hovered and stale rows included). */
const TEXT_ON_BACKGROUND: [text: string, background: string][] = [
  ...['--panel', '--bg', '--hover-bg', '--selected-bg'].flatMap((bg): [string, string][] => [
    ['--ink', bg],
    ['--muted', bg],
    ['--warn', bg],
    ['--bad', bg],
    ['--accent', bg],
  ]),
  ['--bad', '--error-bg'],
  ['--panel', '--accent'],
  ['--panel', '--accent-disabled'],
  ['--topbar-ink', '--topbar-bg'],
  ['--topbar-ink', '--topbar-control-bg'],
  ['--topbar-ink', '--badge-bg'],
  ['--topbar-muted', '--topbar-bg'],
  ['--topbar-muted', '--topbar-control-bg'],
]

describe('palette', () => {
  it('computes WCAG contrast ratios', () => {
    expect(contrastRatio('#000000', '#ffffff')).toBeCloseTo(21, 5)
    expect(contrastRatio('#ffffff', '#ffffff')).toBe(1)
    // the muted grey the old palette put on a selected row: 4.34:1, below AA
    expect(contrastRatio('#66717c', '#e7f0ff')).toBeCloseTo(4.34, 2)
  })

  it('keeps every text colour at >= 4.5:1 on every background it sits on', () => {
    const colours = palette()
    const failures = TEXT_ON_BACKGROUND.flatMap(([text, bg]) => {
      const [t, b] = [colours.get(text), colours.get(bg)]
      if (!t || !b) return [`${text} on ${bg}: not a #rrggbb custom property in :root`]
      const ratio = contrastRatio(t, b)
      return ratio >= 4.5 ? [] : [`${text} ${t} on ${bg} ${b}: ${ratio.toFixed(2)}:1`]
    })
    expect(failures).toEqual([])
  })
})
