// The persons list's order, as the server sorts it (GSI1's sort key): the case-folded NFC
// last name, then the case-folded first name, then the id, compared by code point (the
// byte order of UTF-8). Give compareNames to a live query's orderBy on lastName (and
// firstName) so that local order and the server's pages agree.
import type { Person } from './types.js'

/**
 * The name as the server orders and prefix-matches it: NFC, trimmed, case-folded.
 * JavaScript has no Unicode case folding; upper- then lower-casing matches it for every
 * name but a few polytonic Greek and Cherokee letters.
 */
export function foldName(name: string): string {
  return name.normalize('NFC').trim().toUpperCase().toLowerCase()
}

/** Compares strings by code point (UTF-16 puts U+E000..U+FFFF after astral characters). */
export function compareCodePoints(a: string, b: string): number {
  const n = Math.min(a.length, b.length)
  for (let i = 0; i < n; i++) {
    const x = a.charCodeAt(i)
    const y = b.charCodeAt(i)
    if (x === y) continue
    const xs = x >= 0xd800 && x < 0xe000
    const ys = y >= 0xd800 && y < 0xe000
    if (xs !== ys) return xs ? 1 : -1
    return x - y
  }
  return a.length - b.length
}

/** The server's order of two names (for orderBy's `compare` with stringSort: 'custom'). */
export function compareNames(a: string, b: string): number {
  return compareCodePoints(foldName(a), foldName(b))
}

/** The server's order of two persons: last name, first name, id. */
export function comparePersons(a: Person, b: Person): number {
  return compareNames(a.lastName, b.lastName) || compareNames(a.firstName, b.firstName) || compareCodePoints(a.id, b.id)
}
