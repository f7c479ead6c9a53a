import { useCallback, useEffect, useRef, useState, type FormEvent, type KeyboardEvent, type RefObject } from 'react'
import { isApiError } from '@fleet/api'
import { httpClient } from '../../clients.ts'
import type { FleetStore } from '../live/fleetStore.ts'
import type { MapView } from '../map/mapView.ts'
import { resolveTimeZone } from '../live/settings.ts'
import { useSettings } from '../live/useSettings.ts'
import { loadHistory, REPLAY_MAX_POINTS } from './loadHistory.ts'
import { ReplayClock, REPLAY_SPEEDS } from './replayClock.ts'
import { ReplayLayers } from './replayLayers.ts'
import { detectStops, type Stop } from './stops.ts'
import { indexAtTime, toTrack, type Track } from './track.ts'
import { formatAbsolute, formatClock, formatDuration, fromInputValue, toInputValue } from './zonedTime.ts'
import './ReplayPanel.css'

export interface ReplayPanelProps {
  deviceId: string
  store: FleetStore
  /** The live map; replay draws its own layers on `view.map` and removes them on close. */
  view: MapView
  onClose: () => void
}

type LoadState =
  | { kind: 'idle'; note?: string }
  | { kind: 'loading'; loaded: number }
  | { kind: 'error'; message: string }
  | { kind: 'empty' }
  | { kind: 'ready'; track: Track; stops: Stop[]; capped: boolean }

const PRESETS = [
  { label: 'Last 15 min', ms: 15 * 60_000 },
  { label: 'Last 1 h', ms: 3_600_000 },
  { label: 'Last 24 h', ms: 24 * 3_600_000 },
] as const

/**
 * History replay of one vehicle over a time range: pick the range (inputs in the viewer's time zone, or a
 * preset), load every point of it from the history API, then play it back on the map with play/pause,
 * speed and a scrubber; stops are marked on the map and listed here.
 *
 * Playback does not re-render React per frame: the clock (requestAnimationFrame) moves the map marker
 * through ReplayLayers and writes the scrubber and time text directly, once per displayed second.
 */
export function ReplayPanel({ deviceId, store, view, onClose }: ReplayPanelProps) {
  const name = store.vehicles.get(deviceId)?.name ?? deviceId
  const timeZone = resolveTimeZone(useSettings().timeZone)
  const [fromText, setFromText] = useState(() => toInputValue(Date.now() - 3_600_000, timeZone))
  const [toText, setToText] = useState(() => toInputValue(Date.now() + 60_000, timeZone))
  const [load, setLoad] = useState<LoadState>({ kind: 'idle' })
  const abort = useRef<AbortController | null>(null)
  const panel = useRef<HTMLElement>(null)

  useEffect(() => () => abort.current?.abort(), [])

  // The panel comes before the sidebar in the page, so keyboard users would have to search for it: focus
  // moves into it on open and back to where it was (the Replay button) on close.
  useEffect(() => {
    const opener = document.activeElement instanceof HTMLElement ? document.activeElement : null
    panel.current?.focus()
    return () => {
      if (opener?.isConnected) opener.focus()
    }
  }, [])

  const startLoad = useCallback(
    (from: number, to: number) => {
      abort.current?.abort()
      if (!(from < to)) {
        setLoad({ kind: 'error', message: 'The start of the range must be before its end.' })
        return
      }
      const ctrl = new AbortController()
      abort.current = ctrl
      setLoad({ kind: 'loading', loaded: 0 })
      loadHistory(httpClient, deviceId, { from, to }, {
        signal: ctrl.signal,
        onProgress: (loaded) => setLoad({ kind: 'loading', loaded }),
      }).then(
        ({ points, capped }) => {
          if (ctrl.signal.aborted) return
          if (points.length === 0) return setLoad({ kind: 'empty' })
          const track = toTrack(points)
          setLoad({ kind: 'ready', track, stops: detectStops(track), capped })
        },
        (err: unknown) => {
          if (ctrl.signal.aborted) return
          setLoad({ kind: 'error', message: isApiError(err) ? err.message : String(err) })
        },
      )
    },
    [deviceId],
  )

  const onSubmit = (e: FormEvent) => {
    e.preventDefault()
    const from = fromInputValue(fromText, timeZone)
    const to = fromInputValue(toText, timeZone)
    if (from === null || to === null) return setLoad({ kind: 'error', message: 'Enter both the start and the end of the range.' })
    startLoad(from, to)
  }

  const onPreset = (ms: number) => {
    const to = Date.now()
    setFromText(toInputValue(to - ms, timeZone))
    setToText(toInputValue(to + 60_000, timeZone))
    startLoad(to - ms, to + 1)
  }

  const onCancel = () => {
    abort.current?.abort()
    setLoad({ kind: 'idle', note: 'Loading cancelled.' })
  }

  return (
    <section ref={panel} tabIndex={-1} className="replay-panel" aria-label={`Replay of ${name}`} data-testid="replay-panel">
      <header className="replay-head">
        <h2>Replay: {name}</h2>
        <button type="button" onClick={onClose} aria-label="Close replay" data-testid="replay-close">
          Close
        </button>
      </header>
      <form className="replay-range" onSubmit={onSubmit}>
        <label>
          From
          <input type="datetime-local" value={fromText} onChange={(e) => setFromText(e.target.value)} data-testid="replay-from" />
        </label>
        <label>
          To
          <input type="datetime-local" value={toText} onChange={(e) => setToText(e.target.value)} data-testid="replay-to" />
        </label>
        <div className="replay-presets" role="group" aria-label="Range presets">
          {PRESETS.map((p) => (
            <button key={p.label} type="button" onClick={() => onPreset(p.ms)}>
              {p.label}
            </button>
          ))}
        </div>
        <button type="submit" data-testid="replay-load">
          Load
        </button>
        {/* Beside Load, never in its place: a button turned into the submit button during its own click
            would submit the form. */}
        {load.kind === 'loading' && (
          <button type="button" onClick={onCancel} data-testid="replay-cancel">
            Cancel loading
          </button>
        )}
      </form>
      <p className="replay-status" role="status" data-testid="replay-status">
        {statusText(load)}
      </p>
      {load.kind === 'error' && (
        <p className="error" role="alert" data-testid="replay-error">
          History unavailable: {load.message}
        </p>
      )}
      {load.kind === 'ready' && (
        <Playback key={trackKey(load.track)} track={load.track} stops={load.stops} view={view} timeZone={timeZone} panel={panel} />
      )}
    </section>
  )
}

function statusText(load: LoadState): string {
  switch (load.kind) {
    case 'idle':
      return load.note ?? 'Choose a range and load it.'
    case 'loading':
      return `Loading… ${load.loaded.toLocaleString('en-US')} points so far`
    case 'error':
      return 'Loading failed.'
    case 'empty':
      return 'No points in this range.'
    case 'ready': {
      const n = load.track.length.toLocaleString('en-US')
      const stops = `${load.stops.length} ${load.stops.length === 1 ? 'stop' : 'stops'}`
      return load.capped
        ? `Showing the first ${REPLAY_MAX_POINTS.toLocaleString('en-US')} points only (the range holds more; choose a shorter one), ${stops}.`
        : `${n} points, ${stops}.`
    }
  }
}

/** Distinguishes loads, so a new track gets fresh playback (clock, layers, scrubber bounds). */
let trackSerial = 0
const trackKeys = new WeakMap<Track, number>()
function trackKey(track: Track): number {
  let k = trackKeys.get(track)
  if (k === undefined) trackKeys.set(track, (k = ++trackSerial))
  return k
}

interface PlaybackProps {
  track: Track
  stops: Stop[]
  view: MapView
  timeZone: string
  /** The panel, which the map fit keeps the track out from under. */
  panel: RefObject<HTMLElement | null>
}

/** Playback controls of one loaded track; mounts its map layers and removes them on unmount. */
function Playback({ track, stops, view, timeZone, panel }: PlaybackProps) {
  const start = track.ts[0]!
  const end = track.ts[track.length - 1]!
  const [playing, setPlaying] = useState(false)
  const [speed, setSpeed] = useState(60)
  const clock = useRef<ReplayClock | null>(null)
  const scrubber = useRef<HTMLInputElement>(null)
  const timeText = useRef<HTMLSpanElement>(null)
  const record = useRef<HTMLSpanElement>(null)
  // A time zone change re-formats the next shown second without restarting playback.
  const zone = useRef(timeZone)
  zone.current = timeZone

  useEffect(() => {
    const layers = new ReplayLayers(view.map, track, stops, record.current!, zone.current)
    let shownSecond = NaN
    const onTime = (t: number) => {
      layers.show(indexAtTime(track.ts, t))
      const second = Math.floor(t / 1000)
      if (second === shownSecond) return
      shownSecond = second
      const text = formatAbsolute(t, zone.current)
      const input = scrubber.current
      if (input) {
        input.value = String(t)
        input.setAttribute('aria-valuetext', text)
      }
      if (timeText.current) timeText.current.textContent = text
    }
    const c = new ReplayClock(start, end, onTime, setPlaying)
    c.setSpeed(speed)
    clock.current = c
    c.seek(start)
    // The map stays on the track: no refit to the fleet when a vehicle appears.
    view.keepView()
    layers.fit(panel.current)
    return () => {
      c.destroy()
      clock.current = null
      layers.remove()
    }
    // The clock and layers live as long as the track; speed changes reach the clock through its handler.
  }, [track, stops, view, start, end, panel])

  const onScrubKey = (e: KeyboardEvent<HTMLInputElement>) => {
    const c = clock.current
    if (!c) return
    const t = c.time
    const i = indexAtTime(track.ts, t)
    let target: number | null = null
    switch (e.key) {
      case 'ArrowLeft':
      case 'ArrowDown': {
        // The point before the one shown (or the one shown, when between points).
        const prev = i >= 0 && track.ts[i]! < t ? i : i - 1
        target = track.ts[Math.max(0, prev)]!
        break
      }
      case 'ArrowRight':
      case 'ArrowUp':
        target = track.ts[Math.min(track.length - 1, i + 1)]!
        break
      case 'PageDown':
        target = t - (end - start) / 10
        break
      case 'PageUp':
        target = t + (end - start) / 10
        break
      case 'Home':
        target = start
        break
      case 'End':
        target = end
        break
    }
    if (target === null) return
    e.preventDefault()
    c.seek(target)
  }

  return (
    <div className="replay-playback">
      <div className="replay-controls">
        <button
          type="button"
          onClick={() => (playing ? clock.current?.pause() : clock.current?.play())}
          data-testid="replay-play"
          data-playing={playing}
        >
          {playing ? 'Pause' : 'Play'}
        </button>
        <label>
          Speed
          <select
            value={speed}
            onChange={(e) => {
              const s = Number(e.target.value)
              setSpeed(s)
              clock.current?.setSpeed(s)
            }}
            data-testid="replay-speed"
          >
            {REPLAY_SPEEDS.map((s) => (
              <option key={s} value={s}>
                {s}×
              </option>
            ))}
          </select>
        </label>
      </div>
      <input
        ref={scrubber}
        className="replay-scrubber"
        type="range"
        min={start}
        max={end}
        step="any"
        defaultValue={start}
        aria-label="Replay time"
        aria-describedby="replay-scrub-help"
        onChange={(e) => clock.current?.seek(Number(e.target.value))}
        onKeyDown={onScrubKey}
        data-testid="replay-scrubber"
      />
      <p id="replay-scrub-help" className="replay-help">
        Arrow keys: previous or next point; Page Up/Down: a tenth of the range; Home/End: start/end.
      </p>
      <p className="replay-time">
        Replay time: <span ref={timeText} data-testid="replay-time" />
      </p>
      <span hidden>
        <span ref={record} data-testid="replay-marker" />
      </span>
      <h3>Stops ({stops.length})</h3>
      {stops.length === 0 ? (
        <p className="replay-help">No stop of 2 min or more within 50 m.</p>
      ) : (
        <ol className="replay-stops">
          {stops.map((s) => (
            <li
              key={s.first}
              data-testid="replay-stop"
              data-lat={s.lat}
              data-lon={s.lon}
              data-start-ts={s.startTs}
              data-end-ts={s.endTs}
              data-duration-ms={s.durationMs}
            >
              <button type="button" onClick={() => clock.current?.seek(s.startTs)}>
                {formatClock(s.startTs, timeZone)} · {formatDuration(s.durationMs)}
              </button>
            </li>
          ))}
        </ol>
      )}
    </div>
  )
}
