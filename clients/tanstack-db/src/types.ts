// The API's types, derived from the ones openapi-typescript generates from
// pkg/api/openapi.json (src/api.gen.ts, written by `npm run gen`).
import type { components } from './api.gen.js'

type S = components['schemas']

// openapi-typescript turns dateOfBirth's `anyOf: [{format: date-time}, {format: date}]`
// into `unknown`; on the wire it is a string (or null when unset).
type WithDateOfBirth<T> = Omit<T, 'dateOfBirth'> & { dateOfBirth: string | null }

/**
 * The server sets these; an optimistic insert does not have them until the server's answer
 * is written back, so collection rows have them optional.
 */
type ServerOwned = 'version' | 'createdAt' | 'updatedAt'
type Row<T> = Omit<T, ServerOwned> & { readonly [K in ServerOwned & keyof T]?: T[K] }

/** A person (every member present, unset optionals null; server-owned ones once stored). */
export type Person = Row<WithDateOfBirth<S['Person']>>
export type Address = Row<S['Address']>
export type BankAccount = Row<S['BankAccount']>
export type ContactInfo = Row<S['ContactInfo']>
export type Employment = Row<S['Employment']>
/** GET /persons/{id}?include=all. */
export type PersonDetails = WithDateOfBirth<S['PersonDetails']>
export type Problem = S['Problem']

/** The related kinds, by their URL segment. */
export interface RelatedItems {
  addresses: Address
  'bank-accounts': BankAccount
  contacts: ContactInfo
  employments: Employment
}
export type RelatedKind = keyof RelatedItems
export type RelatedItem = RelatedItems[RelatedKind]

/** The PersonDetails member that holds each kind (GET /persons/{id}?include=all). */
export const detailsMember = {
  addresses: 'addresses',
  'bank-accounts': 'bankAccounts',
  contacts: 'contacts',
  employments: 'employments',
} as const satisfies Record<RelatedKind, keyof PersonDetails>

/** Anything the API stores: an id and (once stored) an optimistic-locking version. */
export interface Versioned {
  id: string
  readonly version?: number
}
