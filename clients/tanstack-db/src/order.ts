// The persons list's order, as the server sorts it (GSI1's sort key): the case-folded NFC
// last name, then the case-folded first name, then the id. The persons collection gives
// every row that key as `sortKey`; a live query ordered by it (stringSort 'lexical') sorts
// exactly as the server pages, so order, limit and cursors can be pushed down.
import { BasicIndex } from '@tanstack/db'
import type { Person } from './types.js'

/** A person as the persons collection holds it: the server's item plus its list position. */
export type PersonRow = Person & {
  /** Client-side, never sent: foldName(lastName) U+001F foldName(firstName) U+001F id. */
  sortKey: string
}

/** Separates the parts of a sortKey; sorts below every character a name may hold. */
export const SEP = '\u001f'

/**
 * A name as the server orders and prefix-matches it: trimmed, NFC, case-folded.
 * JavaScript has no Unicode case folding; upper- then lower-casing equals it for every
 * name but a few Cherokee and polytonic Greek letters.
 */
export function foldName(name: string): string {
  return name.trim().normalize('NFC').toUpperCase().toLowerCase()
}

export function sortKey(p: Pick<Person, 'lastName' | 'firstName' | 'id'>): string {
  return foldName(p.lastName) + SEP + foldName(p.firstName) + SEP + p.id.toLowerCase()
}

/** The row of a person: the item with its sortKey (also for inserts). */
export function withSortKey<T extends Pick<Person, 'lastName' | 'firstName' | 'id'>>(p: T): T & { sortKey: string } {
  return { ...p, sortKey: sortKey(p) }
}

/**
 * The server's order of two persons. (Strings compare by UTF-16 code unit here and by
 * code point on the server: they differ only between astral characters and U+E000..U+FFFF.)
 */
export function comparePersons(a: Pick<Person, 'lastName' | 'firstName' | 'id'>, b: Pick<Person, 'lastName' | 'firstName' | 'id'>): number {
  const x = sortKey(a)
  const y = sortKey(b)
  return x < y ? -1 : x > y ? 1 : 0
}

/**
 * The index an on-demand persons collection needs to page a live query ordered by sortKey
 * (without it TanStack DB loads whole results): persons.createIndex((p) => p.sortKey, sortKeyIndex).
 */
export const sortKeyIndex = {
  indexType: BasicIndex,
  options: { compareOptions: { direction: 'asc', nulls: 'first', stringSort: 'lexical' } },
} as const
