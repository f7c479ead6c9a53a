/** What a narrow screen shows: the map (with the selected vehicle's details over it) or the list. */
export type PhoneView = 'map' | 'list'

/**
 * "Map | List" for narrow screens (hidden by CSS on wide ones, where both show): two toggle buttons with
 * aria-pressed, in a named group, so the state is announced and each is one Tab stop.
 */
export function PhoneViewSwitch({ view, onChange }: { view: PhoneView; onChange: (view: PhoneView) => void }) {
  return (
    <div className="phone-view-switch" role="group" aria-label="Show">
      <button type="button" aria-pressed={view === 'map'} data-testid="show-map" onClick={() => onChange('map')}>
        Map
      </button>
      <button type="button" aria-pressed={view === 'list'} data-testid="show-list" onClick={() => onChange('list')}>
        List
      </button>
    </div>
  )
}
