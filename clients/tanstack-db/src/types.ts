// The API's types, derived from the ones openapi-typescript generates from
// pkg/api/openapi.json (src/api.gen.ts, written by `npm run gen`).
import type { components } from './api.gen.js'

type S = components['schemas']

// openapi-typescript turns dateOfBirth's `anyOf: [{format: date-time}, {format: date}]`
// into `unknown`; on the wire it is a string (or null when unset).
type WithDateOfBirth<T> = Omit<T, 'dateOfBirth'> & { dateOfBirth: string | null }

/** A person as the server returns it: every member present, unset optionals null. */
export type Person = WithDateOfBirth<S['Person']>
export type Address = S['Address']
export type BankAccount = S['BankAccount']
export type ContactInfo = S['ContactInfo']
export type Employment = S['Employment']
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

/** Anything the API stores: it has an id and an optimistic-locking version. */
export interface Versioned {
  id: string
  version: number
}
