// Validation of ingested telemetry points, following the field table of docs/protocol.md.

export class InvalidPoint extends Error {
  constructor(index, field, message) {
    super(message);
    this.index = index;
    this.field = field;
  }
}

const MIN_TS_MS = Date.UTC(2000, 0, 1);
const MAX_FUTURE_MS = 10 * 60 * 1000;

// name → [min, max, max is exclusive]
const OPTIONAL_NUMBERS = {
  speed_kph: [0, 2000, false],
  heading_deg: [0, 360, true],
  altitude_m: [-1000, 100000, false],
  accuracy_m: [0, Infinity, false],
  battery_pct: [0, 100, false],
};
const KNOWN_FIELDS = new Set(['ts', 'lat', 'lon', 'attributes', ...Object.keys(OPTIONAL_NUMBERS)]);

function inRange(value, min, max, maxExclusive = false) {
  return typeof value === 'number' && Number.isFinite(value) && value >= min &&
    (maxExclusive ? value < max : value <= max);
}

function parseTimestamp(ts) {
  if (typeof ts === 'number') return Number.isInteger(ts) ? ts : NaN;
  if (typeof ts === 'string' && /^\d{4}-\d\d-\d\d[Tt]\d\d:\d\d:\d\d(\.\d{1,9})?([Zz]|[+-]\d\d:\d\d)$/.test(ts)) {
    return Date.parse(ts);
  }
  return NaN;
}

function checkAttributes(attributes, index) {
  if (typeof attributes !== 'object' || attributes === null || Array.isArray(attributes)) {
    throw new InvalidPoint(index, 'attributes', 'attributes must be an object');
  }
  const entries = Object.entries(attributes);
  if (entries.length > 32) throw new InvalidPoint(index, 'attributes', 'at most 32 attributes');
  for (const [, value] of entries) {
    const ok = typeof value === 'boolean' || (typeof value === 'number' && Number.isFinite(value)) ||
      (typeof value === 'string' && Buffer.byteLength(value) <= 256);
    if (!ok) throw new InvalidPoint(index, 'attributes', 'attribute values are strings, numbers or booleans');
  }
}

// Returns the points in stored form (ts as epoch ms, only the fields the device sent) or throws InvalidPoint.
export function parsePoints(batch, nowMs) {
  return batch.map((raw, index) => {
    if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) {
      throw new InvalidPoint(index, '', 'a point is a JSON object');
    }
    for (const field of Object.keys(raw)) {
      if (!KNOWN_FIELDS.has(field)) throw new InvalidPoint(index, field, `unknown field "${field}"`);
    }
    const ts = parseTimestamp(raw.ts);
    if (!(ts >= MIN_TS_MS && ts <= nowMs + MAX_FUTURE_MS)) throw new InvalidPoint(index, 'ts', 'bad ts');
    if (!inRange(raw.lat, -90, 90)) throw new InvalidPoint(index, 'lat', 'lat must be in [-90, 90]');
    if (!inRange(raw.lon, -180, 180)) throw new InvalidPoint(index, 'lon', 'lon must be in [-180, 180]');

    const point = { ts, lat: raw.lat, lon: raw.lon };
    for (const [field, [min, max, maxExclusive]] of Object.entries(OPTIONAL_NUMBERS)) {
      if (raw[field] === undefined) continue;
      if (!inRange(raw[field], min, max, maxExclusive)) throw new InvalidPoint(index, field, `${field} out of range`);
      point[field] = raw[field];
    }
    if (raw.attributes !== undefined) {
      checkAttributes(raw.attributes, index);
      point.attributes = raw.attributes;
    }
    return point;
  });
}
