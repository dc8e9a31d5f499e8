// The persons list's order, as the server sorts it (GSI1's sort key): the case-folded NFC
// last name, then the case-folded first name, then the id, by code point. The persons
// collection gives every row that key as `sortKey`; a live query ordered by it (stringSort
// 'lexical') sorts exactly as the server pages, so order, limit and cursors go to the server.
import { BasicIndex } from '@tanstack/db'
import type { Person } from './types.js'

/** A person as the persons collection holds it: the server's item plus its list position. */
export type PersonRow = Person & {
  /** Client-side, never sent: foldName(lastName) U+001F foldName(firstName) U+001F id (see sortKey). */
  sortKey: string
}

/** Separates the parts of a sortKey; sorts below every character a name may hold. */
export const SEP = '\u001f'

/**
 * A name as the server orders and prefix-matches it: trimmed, NFC, case-folded as Go's
 * cases.Fold does. JavaScript has no case folding; upper- then lower-casing, twice
 * (ẞ → ß → ss), is it but for the final sigma, which folds to σ. (The server's test of
 * this: test/sync.test.ts, "sortKey orders as the server does".)
 */
export function foldName(name: string): string {
  let s = name.trim().normalize('NFC')
  for (let i = 0; i < 2; i++) s = s.toUpperCase().toLowerCase()
  return s.replaceAll('\u03c2', '\u03c3')
}

/**
 * The server's list position of a person, as a string whose UTF-16 order is the server's
 * order: foldName(lastName) SEP foldName(firstName) SEP id, with ASTRAL before each
 * character beyond U+FFFF (the server compares code points; UTF-16 would put those
 * characters before U+E000..U+FFFF).
 */
export function sortKey(p: Pick<Person, 'lastName' | 'firstName' | 'id'>): string {
  const key = foldName(p.lastName) + SEP + foldName(p.firstName) + SEP + p.id.toLowerCase()
  return key.replace(/[\ud800-\udbff]/g, ASTRAL + '$&')
}

/** Marks a character beyond U+FFFF in a sortKey (a noncharacter: in no name). */
export const ASTRAL = '\uffff'

/** The afterLastName, afterFirstName and afterId of a sortKey. */
export function sortKeyParts(key: string): [string, string, string] {
  const [last, first, id] = key.replaceAll(ASTRAL, '').split(SEP)
  return [last, first, id]
}

/** The row of a person: the item with its sortKey (also for inserts). */
export function withSortKey<T extends Pick<Person, 'lastName' | 'firstName' | 'id'>>(p: T): T & { sortKey: string } {
  return { ...p, sortKey: sortKey(p) }
}

/** The server's order of two persons. */
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
