import { directionOf, nearestItem, nextItem, type NavItem } from './markerNav.ts'
import type { Drawn } from './vehicleCanvas.ts'
import './mapKeyboard.css'

export interface MapKeyboardOptions {
  /** What the canvas drew last (container px). */
  drawn(): Drawn
  /** The accessible name of an item (`v:<id>` or `c:<cell>`). */
  label(key: string): string
  /** Enter on an item: select the vehicle, or zoom in to the cluster. */
  activate(key: string): void
  /** The focused item changed (the canvas redraws its ring). */
  changed(): void
}

/**
 * Keyboard access to the vehicles and clusters drawn on the map's canvas: one focusable listbox over the
 * map (Tab reaches it after the map itself), whose arrow keys move between the items in view, nearest in
 * the key's direction (markerNav.ts), and whose Enter activates the focused item. The canvas rings the
 * focused item.
 *
 * It costs no DOM per vehicle: the listbox holds one option, the focused item, named like
 * "van-7, moving, 42 km/h" and pointed to by aria-activedescendant; it is (re)written only on a key press
 * or when focus enters, never per frame.
 */
export class MapKeyboard {
  private readonly box: HTMLElement
  private readonly option: HTMLElement
  private key: string | null = null
  /** Where the focused item was last drawn: arrows continue from there if it has gone (e.g. a cluster split). */
  private at: { x: number; y: number } | null = null

  constructor(
    container: HTMLElement,
    private readonly opts: MapKeyboardOptions,
  ) {
    this.box = document.createElement('div')
    this.box.className = 'map-keyboard'
    this.box.tabIndex = 0
    this.box.setAttribute('role', 'listbox')
    this.box.setAttribute('aria-label', 'Vehicles on the map: arrow keys move between them, Enter selects')
    this.box.dataset.testid = 'map-keyboard'
    this.option = document.createElement('div')
    this.option.id = `map-keyboard-item-${Math.random().toString(36).slice(2)}`
    this.option.setAttribute('role', 'option')
    this.option.setAttribute('aria-selected', 'true')
    this.option.dataset.testid = 'map-keyboard-item'
    this.box.addEventListener('focus', this.onFocus)
    this.box.addEventListener('blur', this.onBlur)
    this.box.addEventListener('keydown', this.onKey)
    container.appendChild(this.box)
  }

  /** The focused item's key while the listbox has focus; null otherwise. */
  get focused(): string | null {
    return document.activeElement === this.box ? this.key : null
  }

  destroy(): void {
    this.box.remove()
  }

  private items(): NavItem[] {
    const d = this.opts.drawn()
    const out: NavItem[] = []
    for (const p of d.singles) out.push({ key: `v:${p.id}`, x: p.x, y: p.y })
    for (const c of d.clusters) out.push({ key: `c:${c.key}`, x: c.x, y: c.y })
    return out
  }

  private readonly onFocus = (): void => {
    const items = this.items()
    const current = items.find((it) => it.key === this.key)
    if (current) this.show(current)
    else {
      const r = this.box.getBoundingClientRect()
      this.show(nearestItem(items, r.width / 2, r.height / 2))
    }
  }

  private readonly onBlur = (): void => {
    this.opts.changed()
  }

  private readonly onKey = (e: KeyboardEvent): void => {
    const dir = directionOf(e.key)
    if (dir) {
      e.preventDefault()
      e.stopPropagation()
      const items = this.items()
      const current = items.find((it) => it.key === this.key)
      if (current) this.show(nextItem(items, current, dir) ?? current)
      else if (this.at) this.show(nearestItem(items, this.at.x, this.at.y))
      else this.onFocus()
    } else if ((e.key === 'Enter' || e.key === ' ') && this.key) {
      e.preventDefault()
      e.stopPropagation()
      const key = this.key
      this.opts.activate(key)
      // A zoom or a selection changes what is drawn: name the item again once it is.
      requestAnimationFrame(() => this.refresh())
    }
  }

  /** Re-reads the focused item's name (after a selection, the state in it may have changed). */
  private refresh(): void {
    if (!this.key) return
    const it = this.items().find((i) => i.key === this.key)
    if (it) this.show(it)
  }

  private show(it: NavItem | null): void {
    this.key = it?.key ?? null
    this.at = it ? { x: it.x, y: it.y } : null
    if (it) {
      this.option.textContent = this.opts.label(it.key)
      this.option.dataset.key = it.key
      if (!this.option.isConnected) this.box.appendChild(this.option)
      this.box.setAttribute('aria-activedescendant', this.option.id)
    } else {
      this.option.remove()
      this.box.removeAttribute('aria-activedescendant')
    }
    this.opts.changed()
  }
}
