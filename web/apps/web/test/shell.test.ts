import { createElement } from 'react'
import { renderToStaticMarkup } from 'react-dom/server'
import { afterEach, describe, expect, it, vi } from 'vitest'
import { PhoneViewSwitch } from '../src/features/live/PhoneViewSwitch.tsx'
import { SkipLinks } from '../src/features/shell/SkipLinks.tsx'
import { TopBarMenu } from '../src/features/shell/TopBarMenu.tsx'
import { SKIP_TARGETS, onRevealRequest, requestReveal } from '../src/features/shell/reveal.ts'

describe('skip links', () => {
  it('on the live page: "Skip to vehicle list" first, then "Skip to map", each pointing at its target id', () => {
    const html = renderToStaticMarkup(createElement(SkipLinks, { live: true }))
    const links = [...html.matchAll(/<a class="skip-link" href="#([^"]+)">([^<]+)<\/a>/g)].map((m) => [m[1], m[2]])
    expect(links).toEqual([
      [SKIP_TARGETS.list, 'Skip to vehicle list'],
      [SKIP_TARGETS.map, 'Skip to map'],
    ])
    expect(html).toContain('<nav class="skip-links" aria-label="Skip links">')
  })

  it('elsewhere: one link to the main content', () => {
    expect(renderToStaticMarkup(createElement(SkipLinks, { live: false }))).toContain('<a class="skip-link" href="#main">Skip to content</a>')
  })

  describe('reveal requests', () => {
    afterEach(() => vi.unstubAllGlobals())

    it('reach the page synchronously, so the target is shown before focus moves', () => {
      vi.stubGlobal('window', new EventTarget())
      const seen: string[] = []
      const off = onRevealRequest((t) => seen.push(t))
      requestReveal('list')
      expect(seen).toEqual(['list'])
      requestReveal('map')
      off()
      requestReveal('list')
      expect(seen).toEqual(['list', 'map'])
    })
  })
})

describe('top bar menu', () => {
  it('is a disclosure: a button with aria-expanded that controls the actions by id', () => {
    const html = renderToStaticMarkup(createElement(TopBarMenu, null, createElement('button', { type: 'button' }, 'Sign out')))
    const toggle = /<button type="button" class="topbar-menu-toggle"[^>]*aria-expanded="false" aria-controls="([^"]+)"/.exec(html)
    expect(toggle).not.toBeNull()
    expect(html).toContain(`<div class="topbar-actions" id="${toggle![1]}"`)
    expect(html).toMatch(/Menu<\/button>/)
    expect(html).toContain('Sign out')
  })
})

describe('phone view switch', () => {
  it('two toggle buttons in a named group, the shown view pressed', () => {
    const html = renderToStaticMarkup(createElement(PhoneViewSwitch, { view: 'list', onChange: () => {} }))
    expect(html).toContain('role="group" aria-label="Show"')
    expect(html).toMatch(/<button type="button" aria-pressed="false"[^>]*>Map<\/button>/)
    expect(html).toMatch(/<button type="button" aria-pressed="true"[^>]*>List<\/button>/)
  })
})
