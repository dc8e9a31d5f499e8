// Mutation handlers shared by the persons and the related collections: each write goes to
// the server in the item's queue, its answer (and the other items it changed) is written
// back into the collection, and no refetch follows.
import type { Collection, DeleteMutationFnParams, InsertMutationFnParams, UpdateMutationFnParams } from '@tanstack/db'
import type { QueryCollectionUtils } from '@tanstack/query-db-collection'
import { ApiError, type PersonsClient } from './client.js'
import type { Versioned } from './types.js'

/** Where a kind of item lives: its list path and how writes to it are answered. */
export interface Resource {
  /** The list path, e.g. /persons or /persons/{personId}/addresses. */
  path: string
  /** PATCH (default) sends mutation.changes as a merge patch; PUT sends the whole item. */
  update: 'PATCH' | 'PUT'
  /** Turns a server item into a collection row (the persons collection adds sortKey). */
  toRow?: (item: any) => any
  /** Called after an item is deleted on the server (a person's delete cascades). */
  deleted?: (id: string) => Promise<unknown>
}

/** Members never sent: the server owns them, or they are the client's (sortKey). */
const notSent = new Set(['version', 'createdAt', 'updatedAt', 'changed', 'sortKey'])

type Utils<T extends Versioned> = QueryCollectionUtils<T, string, T>
type WriteAnswer<T> = T & { changed?: T[] }

export function mutationHandlers<T extends Versioned>(client: PersonsClient, resource: Resource) {
  const itemPath = (id: string) => `${resource.path}/${id}`

  /** Writes the server's answer into the collection: the item and what else it changed. */
  async function apply(collection: Collection<T, string, Utils<T>>, answer: WriteAnswer<T>) {
    const { changed = [], ...item } = answer
    const items = [item as unknown as T, ...changed].map((it) => (resource.toRow ? resource.toRow(it) : it) as T)
    for (const it of items) client.see(itemPath(it.id), it)
    await collection.utils.writeUpsert(items)
  }

  /** After a 409/412: the server's item replaces the optimistic one; then the error is thrown. */
  async function showCurrent(collection: Collection<T, string, Utils<T>>, err: unknown, id: string) {
    if (err instanceof ApiError && err.status === 404) {
      client.forget(itemPath(id))
      await collection.utils.writeDelete(id)
    } else if (err instanceof ApiError && err.current) {
      await apply(collection, err.current as T)
    }
  }

  const onInsert = async ({ transaction, collection }: InsertMutationFnParams<T, string, Utils<T>>) => {
    await Promise.all(
      transaction.mutations.map((m) =>
        client.serialize(itemPath(m.key), async () => {
          const body = strip(m.modified)
          try {
            const res = await client.request<WriteAnswer<T>>('POST', resource.path, { body, signal: undefined })
            await apply(collection, res.body)
          } catch (err) {
            // A retried create whose first attempt did reach the server: the stored item is ours.
            if (err instanceof ApiError && err.status === 409 && err.current && contains(err.current, body)) {
              await apply(collection, err.current as T)
              return
            }
            throw err
          }
        }),
      ),
    )
    return { refetch: false }
  }

  const onUpdate = async ({ transaction, collection }: UpdateMutationFnParams<T, string, Utils<T>>) => {
    await Promise.all(
      transaction.mutations.map((m) =>
        client.serialize(itemPath(m.key), async () => {
          const path = itemPath(m.key)
          const ifMatch = client.newest(path, m.original.version)
          const put = resource.update === 'PUT'
          const body = strip(put ? m.modified : m.changes)
          try {
            const res = await client.request<WriteAnswer<T>>(resource.update, path, {
              body,
              ifMatch,
              contentType: put ? 'application/json' : 'application/merge-patch+json',
            })
            await apply(collection, res.body)
          } catch (err) {
            // A retry of a write that had reached the server meets its own result as a 412.
            if (err instanceof ApiError && err.status === 412 && err.current && contains(err.current, body)) {
              await apply(collection, err.current as T)
              return
            }
            await showCurrent(collection, err, m.key)
            throw err
          }
        }),
      ),
    )
    return { refetch: false }
  }

  const onDelete = async ({ transaction, collection }: DeleteMutationFnParams<T, string, Utils<T>>) => {
    await Promise.all(
      transaction.mutations.map((m) =>
        client.serialize(itemPath(m.key), async () => {
          const path = itemPath(m.key)
          try {
            await client.request('DELETE', path, { ifMatch: client.newest(path, m.original.version) })
          } catch (err) {
            // Already gone (deleted elsewhere, or a retry after a lost answer): done.
            if (!(err instanceof ApiError && err.status === 404)) {
              await showCurrent(collection, err, m.key)
              throw err
            }
          }
          client.forget(path)
          await collection.utils.writeDelete(m.key)
          await resource.deleted?.(m.key).catch(() => undefined)
        }),
      ),
    )
    return { refetch: false }
  }

  return { onInsert, onUpdate, onDelete }
}

function strip(item: object): Record<string, unknown> {
  return Object.fromEntries(Object.entries(item).filter(([k]) => !notSent.has(k)))
}

/** Whether stored holds every member of sent (dates compared as instants, null as absent). */
function contains(stored: object, sent: Record<string, unknown>): boolean {
  const s = stored as Record<string, unknown>
  return Object.entries(sent).every(([k, v]) => sameValue(s[k], v))
}

function sameValue(a: unknown, b: unknown): boolean {
  if (a === b || (a == null && b == null)) return true
  if (typeof a === 'string' && typeof b === 'string') {
    if (a.normalize('NFC') === b.normalize('NFC')) return true
    if (a.toLowerCase() === b.toLowerCase() && /^[0-9a-f-]{36}$/i.test(a)) return true // ids
    const ta = Date.parse(a)
    return /^\d{4}-\d\d-\d\d/.test(a) && !Number.isNaN(ta) && ta === Date.parse(b)
  }
  return false
}
