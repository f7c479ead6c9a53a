import { useEffect, useId, useMemo, useRef, useState } from 'react'
import { resolveTimeZone, settingsStore, STREAM_SCOPES, timeZoneChoices, type SpeedUnit, type StreamScope } from './settings.ts'
import { AUTO_SCOPE_ABOVE } from './viewportView.ts'
import { useSettings } from './useSettings.ts'
import './SettingsMenu.css'

const SCOPE_LABEL: Record<StreamScope, string> = {
  fleet: 'Whole fleet',
  view: 'Map view only',
  auto: `Automatic (map view above ${AUTO_SCOPE_ABOVE.toLocaleString('en-US')} vehicles)`,
}

/**
 * The top bar's "Settings" button and its panel: speed unit, time zone and what the stream covers, applied at once everywhere and
 * remembered in localStorage. The panel is a non-modal disclosure: Escape or the button closes it and
 * returns focus to the button; so does a click elsewhere.
 */
export function SettingsMenu() {
  const id = useId()
  const settings = useSettings()
  const [open, setOpen] = useState(false)
  const button = useRef<HTMLButtonElement>(null)
  const panel = useRef<HTMLDivElement>(null)
  // The IANA list has ~430 names; build it only when the panel first opens.
  const zones = useMemo(() => (open ? timeZoneChoices() : []), [open])
  // A stored zone the list spells differently (an alias such as Asia/Calcutta) stays selectable.
  const choices = settings.timeZone === 'browser' || zones.includes(settings.timeZone) ? zones : [settings.timeZone, ...zones]

  useEffect(() => {
    if (!open) return
    panel.current?.querySelector<HTMLElement>('input, select')?.focus()
    const onPointer = (e: PointerEvent) => {
      const t = e.target as Node
      if (!panel.current?.contains(t) && !button.current?.contains(t)) setOpen(false)
    }
    document.addEventListener('pointerdown', onPointer)
    return () => document.removeEventListener('pointerdown', onPointer)
  }, [open])

  const close = () => {
    setOpen(false)
    button.current?.focus()
  }
  const browserZone = resolveTimeZone('browser')

  return (
    <div className="settings-menu">
      <button
        ref={button}
        type="button"
        className="settings-button"
        aria-expanded={open}
        aria-controls={`${id}-panel`}
        data-testid="settings-button"
        onClick={() => setOpen(!open)}
      >
        Settings
      </button>
      {open && (
        <div
          ref={panel}
          id={`${id}-panel`}
          className="settings-panel"
          role="group"
          aria-label="Display settings"
          data-testid="settings-panel"
          onKeyDown={(e) => {
            if (e.key === 'Escape') {
              e.stopPropagation()
              close()
            }
          }}
        >
          <fieldset>
            <legend>Speed</legend>
            {(['kmh', 'mph'] as SpeedUnit[]).map((u) => (
              <label key={u}>
                <input
                  type="radio"
                  name={`${id}-unit`}
                  value={u}
                  checked={settings.speedUnit === u}
                  data-testid={`unit-${u}`}
                  onChange={() => settingsStore.set({ speedUnit: u })}
                />
                {u === 'kmh' ? 'km/h' : 'mph'}
              </label>
            ))}
          </fieldset>
          <fieldset className="settings-stream">
            <legend>Stream</legend>
            {STREAM_SCOPES.map((sc) => (
              <label key={sc}>
                <input
                  type="radio"
                  name={`${id}-stream`}
                  value={sc}
                  checked={settings.stream === sc}
                  data-testid={`stream-${sc}`}
                  onChange={() => settingsStore.set({ stream: sc })}
                />
                {SCOPE_LABEL[sc]}
              </label>
            ))}
          </fieldset>
          <label className="settings-zone">
            Time zone
            <select
              value={settings.timeZone}
              data-testid="timezone-select"
              onChange={(e) => settingsStore.set({ timeZone: e.target.value })}
            >
              <option value="browser">Browser ({browserZone})</option>
              {choices.map((z) => (
                <option key={z} value={z}>
                  {z}
                </option>
              ))}
            </select>
          </label>
          <button type="button" className="settings-done" onClick={close}>
            Done
          </button>
        </div>
      )}
    </div>
  )
}
