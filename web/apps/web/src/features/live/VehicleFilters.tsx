import { useId } from 'react'
import type { VehicleFilter } from './filter.ts'
import { STATUSES, type VehicleStatus } from './status.ts'
import './VehicleFilters.css'

const ATTR_SYNTAX = 'Comma-separated terms: name=value (equals), name:part (contains), name (has it).'

export interface VehicleFiltersProps {
  filter: VehicleFilter
  onChange: (next: VehicleFilter) => void
  /** Attribute terms that could not be read (shown as an error). */
  invalidAttrs: readonly string[]
}

/** Search box, status choice and attribute terms over the vehicle list. */
export function VehicleFilters({ filter, onChange, invalidAttrs }: VehicleFiltersProps) {
  const id = useId()
  return (
    <div className="vehicle-filters" role="search" aria-label="Filter vehicles">
      <label className="visually-hidden" htmlFor={`${id}-text`}>
        Search vehicles by name or id
      </label>
      <input
        id={`${id}-text`}
        type="search"
        placeholder="Search name or id"
        autoComplete="off"
        spellCheck={false}
        data-testid="vehicle-search"
        value={filter.text}
        onChange={(e) => onChange({ ...filter, text: e.target.value })}
      />
      <div className="vehicle-filters-row">
        <label htmlFor={`${id}-status`}>Status</label>
        <select
          id={`${id}-status`}
          data-testid="status-filter"
          value={filter.status ?? ''}
          onChange={(e) => onChange({ ...filter, status: e.target.value === '' ? null : (e.target.value as VehicleStatus) })}
        >
          <option value="">any</option>
          {STATUSES.map((s) => (
            <option key={s} value={s}>
              {s}
            </option>
          ))}
        </select>
        <label htmlFor={`${id}-attrs`}>Attributes</label>
        <input
          id={`${id}-attrs`}
          type="text"
          placeholder="driver=ann"
          autoComplete="off"
          spellCheck={false}
          aria-describedby={`${id}-attrs-help`}
          aria-invalid={invalidAttrs.length > 0}
          title={ATTR_SYNTAX}
          data-testid="attr-filter"
          value={filter.attrs}
          onChange={(e) => onChange({ ...filter, attrs: e.target.value })}
        />
      </div>
      {/* The syntax is always the attribute field's description; sighted users see it when a term is wrong. */}
      <p id={`${id}-attrs-help`} className={invalidAttrs.length > 0 ? 'vehicle-filters-help error' : 'visually-hidden'}>
        {invalidAttrs.length > 0 && `Cannot read ${invalidAttrs.map((t) => `"${t}"`).join(', ')}. `}
        {ATTR_SYNTAX}
      </p>
    </div>
  )
}
