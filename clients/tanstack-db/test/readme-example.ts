// The README's example, compiled by every build so that it stays true (not run).
import { createCollection } from '@tanstack/db'
import { QueryClient } from '@tanstack/query-core'
import { ApiError, PersonsClient, newId, personsCollectionOptions, relatedCollectionOptions, withSortKey } from '../src/index.js'

export async function example(token: string, personId: string, id: string, phoneId: string, showConflict: (p: unknown) => void) {
  const client = new PersonsClient({ baseUrl: 'http://127.0.0.1:8080', headers: () => ({ Authorization: `Bearer ${token}` }) })
  const queryClient = new QueryClient()
  const persons = createCollection(personsCollectionOptions({ client, queryClient }))
  const contacts = createCollection(relatedCollectionOptions({ client, queryClient, personId, kind: 'contacts' }))

  persons.insert(withSortKey({ id: newId(), firstName: 'Ada', lastName: 'Lovelace', dateOfBirth: null, gender: null }))
  persons.update(id, (p) => void (p.gender = null))
  contacts.update(phoneId, (c) => void (c.isPrimary = true))

  const tx = persons.update(id, (p) => void (p.firstName = 'Augusta'))
  try {
    await tx.isPersisted.promise
  } catch (e) {
    if (e instanceof ApiError && e.status === 412) showConflict(e.current)
  }
}
