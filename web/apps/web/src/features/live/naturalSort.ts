/**
 * Natural order for names as people number them: "van-2" < "van-10" < "van-100", case-insensitive.
 *
 * Names are compared run by run: a run of digits against a run of digits compares by value (then by length,
 * so "van-02" comes after "van-2" and the order stays total), anything else by lower-cased character.
 * Pure, no locale: the same order in every browser and in Node.
 */
export function naturalCompare(a: string, b: string): number {
  const x = a.toLowerCase()
  const y = b.toLowerCase()
  let i = 0
  let j = 0
  while (i < x.length && j < y.length) {
    const cx = x.charCodeAt(i)
    const cy = y.charCodeAt(j)
    if (isDigit(cx) && isDigit(cy)) {
      const endX = digitsEnd(x, i)
      const endY = digitsEnd(y, j)
      const byValue = compareDigitRuns(x.slice(i, endX), y.slice(j, endY))
      if (byValue !== 0) return byValue
      i = endX
      j = endY
      continue
    }
    if (cx !== cy) return cx < cy ? -1 : 1
    i++
    j++
  }
  return x.length - i - (y.length - j)
}

/** Vehicles (or anything with a name and an id) in natural name order, ties broken by id. */
export function compareByName(a: { name: string; id: string }, b: { name: string; id: string }): number {
  return naturalCompare(a.name, b.name) || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0)
}

function isDigit(c: number): boolean {
  return c >= 48 && c <= 57
}

function digitsEnd(s: string, from: number): number {
  let k = from
  while (k < s.length && isDigit(s.charCodeAt(k))) k++
  return k
}

/** Compares two digit runs by value without parsing (runs may be longer than a safe integer). */
function compareDigitRuns(p: string, q: string): number {
  const a = p.replace(/^0+(?=\d)/, '')
  const b = q.replace(/^0+(?=\d)/, '')
  if (a.length !== b.length) return a.length - b.length
  if (a !== b) return a < b ? -1 : 1
  return p.length - q.length // equal values: fewer leading zeros first
}
