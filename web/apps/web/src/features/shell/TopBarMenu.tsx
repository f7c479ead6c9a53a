import { useEffect, useId, useRef, useState, type ReactNode } from 'react'

/**
 * The top bar's account controls (organization, user, settings, sign out). Wide screens show them inline and
 * never the toggle (CSS); narrow ones hide them behind "Menu", a disclosure button (aria-expanded,
 * aria-controls) that Escape or a click elsewhere closes, returning focus to the button on Escape.
 */
export function TopBarMenu({ children }: { children: ReactNode }) {
  const [open, setOpen] = useState(false)
  const id = useId()
  const root = useRef<HTMLDivElement>(null)
  const toggle = useRef<HTMLButtonElement>(null)

  useEffect(() => {
    if (!open) return
    const onKey = (e: KeyboardEvent) => {
      if (e.key !== 'Escape') return
      setOpen(false)
      toggle.current?.focus()
    }
    const onPointer = (e: PointerEvent) => {
      if (!root.current?.contains(e.target as Node)) setOpen(false)
    }
    document.addEventListener('keydown', onKey)
    document.addEventListener('pointerdown', onPointer)
    return () => {
      document.removeEventListener('keydown', onKey)
      document.removeEventListener('pointerdown', onPointer)
    }
  }, [open])

  return (
    <div className={`topbar-menu${open ? ' open' : ''}`} ref={root}>
      <button
        type="button"
        className="topbar-menu-toggle"
        data-testid="topbar-menu-toggle"
        aria-expanded={open}
        aria-controls={id}
        ref={toggle}
        onClick={() => setOpen((o) => !o)}
      >
        <span aria-hidden="true">☰</span> Menu
      </button>
      <div className="topbar-actions" id={id} data-testid="topbar-actions">
        {children}
      </div>
    </div>
  )
}
