/**
 * The list's filter: a search text, a status and attribute terms, compiled once per render and matched
 * against every vehicle in one pass (`filterVehicles`), which also counts the statuses.
 *
 * Attribute terms (comma-separated, all must match; names and values case-insensitive):
 * `key=value` the attribute equals value (numbers and booleans by their text: `temp_c=4.5`, `door_open=false`),
 * `key:value` the attribute's text contains value, `key` the vehicle reports the attribute at all.
 */
import type { Attributes } from '@fleet/api'
import { emptyCounts, vehicleStatus, type StatusCounts, type StatusInput, type VehicleStatus } from './status.ts'

export interface VehicleFilter {
  /** Case-insensitive substring of the name or the id; '' matches all. */
  text: string
  /** Only vehicles with this status; null: any. */
  status: VehicleStatus | null
  /** Attribute terms, as typed (see above). */
  attrs: string
}

export const NO_FILTER: VehicleFilter = { text: '', status: null, attrs: '' }

export interface AttrTerm {
  key: string
  op: 'equals' | 'contains' | 'has'
  value: string
}

export interface ParsedAttrs {
  terms: AttrTerm[]
  /** Terms that could not be read (e.g. "=x", no name), as typed; they match nothing and are reported. */
  invalid: string[]
}

/** Reads attribute terms (pure). */
export function parseAttrFilter(input: string): ParsedAttrs {
  const out: ParsedAttrs = { terms: [], invalid: [] }
  for (const raw of input.split(',')) {
    const term = raw.trim()
    if (term === '') continue
    const eq = term.indexOf('=')
    const colon = term.indexOf(':')
    const at = eq < 0 ? colon : colon < 0 ? eq : Math.min(eq, colon)
    const key = (at < 0 ? term : term.slice(0, at)).trim().toLowerCase()
    if (key === '') {
      out.invalid.push(term)
      continue
    }
    if (at < 0) out.terms.push({ key, op: 'has', value: '' })
    else out.terms.push({ key, op: term[at] === '=' ? 'equals' : 'contains', value: term.slice(at + 1).trim().toLowerCase() })
  }
  return out
}

/** Whether `attrs` satisfies every term. */
export function matchesAttrs(attrs: Attributes | null, terms: readonly AttrTerm[]): boolean {
  if (terms.length === 0) return true
  if (!attrs) return false
  const keys = Object.keys(attrs)
  for (const t of terms) {
    const key = keys.find((k) => k.toLowerCase() === t.key)
    if (key === undefined) return false
    if (t.op === 'has') continue
    const text = String(attrs[key]).toLowerCase()
    if (t.op === 'equals' ? text !== t.value : !text.includes(t.value)) return false
  }
  return true
}

export interface Filterable extends StatusInput {
  id: string
  name: string
  attrs: Attributes | null
}

export interface FilterResult<V> {
  /** The vehicles that match, in the input's order. */
  shown: V[]
  /** `statusOf[i]` is the status of `shown[i]` (computed once per render, reused by the rows). */
  statusOf: VehicleStatus[]
  /** Statuses of ALL vehicles (the counts do not depend on the filter, so they can set it). */
  counts: StatusCounts
  /** Whether anything narrows the list. */
  active: boolean
  invalidAttrs: string[]
}

/** One pass over `vehicles`: statuses, counts and the matching ones. */
export function filterVehicles<V extends Filterable>(vehicles: readonly V[], f: VehicleFilter, now: number): FilterResult<V> {
  const needle = f.text.trim().toLowerCase()
  const { terms, invalid } = parseAttrFilter(f.attrs)
  const active = needle !== '' || f.status !== null || terms.length > 0 || invalid.length > 0
  const result: FilterResult<V> = { shown: [], statusOf: [], counts: emptyCounts(), active, invalidAttrs: invalid }
  for (const v of vehicles) {
    const status = vehicleStatus(v, now)
    result.counts[status]++
    if (f.status !== null && status !== f.status) continue
    if (needle !== '' && !v.name.toLowerCase().includes(needle) && !v.id.toLowerCase().includes(needle)) continue
    if (invalid.length > 0 || !matchesAttrs(v.attrs, terms)) continue
    result.shown.push(v)
    result.statusOf.push(status)
  }
  return result
}
