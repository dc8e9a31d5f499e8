// The related collections of one person: addresses, bank accounts, contacts, employments.
// Each loads from its list (GET /persons/{id}/{kind}) or, through a details loader, all
// four from ONE GET /persons/{id}?include=all. A person that no longer exists has no items:
// the collection becomes empty rather than failing.
import { queryCollectionOptions } from '@tanstack/query-db-collection'
import type { QueryClient } from '@tanstack/query-core'
import { ApiError, retryQuery, type PersonsClient } from './client.js'
import { mutationHandlers } from './handlers.js'
import { detailsMember, type PersonDetails, type RelatedItems, type RelatedKind } from './types.js'

export interface RelatedCollectionConfig<K extends RelatedKind> {
  client: PersonsClient
  queryClient: QueryClient
  personId: string
  kind: K
  /** How updates are sent: PATCH of mutation.changes (default) or PUT of mutation.modified. */
  update?: 'PATCH' | 'PUT'
  /** Load through this shared GET ?include=all instead of the kind's own list. */
  details?: DetailsLoader
  id?: string
}

export function relatedCollectionOptions<K extends RelatedKind>(config: RelatedCollectionConfig<K>) {
  type T = RelatedItems[K]
  const { client, queryClient, personId, kind, details } = config
  const path = `/persons/${personId}/${kind}`
  const handlers = mutationHandlers<T>(client, { path, update: config.update ?? 'PATCH' })
  return queryCollectionOptions<T>({
    id: config.id ?? `persons/${personId}/${kind}`,
    queryClient,
    queryKey: ['persons', personId, kind],
    getKey: (item) => item.id,
    retry: retryQuery,
    queryFn: async ({ signal }) => {
      const items = details
        ? ((await details.load())?.[detailsMember[kind]] ?? [])
        : await listRelated(client, path, signal)
      for (const it of items as T[]) client.see(`${path}/${it.id}`, it)
      return items as T[]
    },
    ...handlers,
  })
}

/** Every item of a related list, following nextCursor; [] if the person does not exist. */
async function listRelated<T>(client: PersonsClient, path: string, signal?: AbortSignal): Promise<T[]> {
  const items: T[] = []
  let cursor: string | undefined
  try {
    do {
      const page = await client.request<{ items: T[]; nextCursor?: string }>('GET', path, {
        query: { limit: 100, cursor },
        signal,
      })
      items.push(...page.body.items)
      cursor = page.body.nextCursor
    } while (cursor)
  } catch (err) {
    if (err instanceof ApiError && err.status === 404) return []
    throw err
  }
  return items
}

export interface DetailsLoader {
  /** The person with every related item (one request), or undefined if it does not exist. */
  load(): Promise<PersonDetails | undefined>
}

/**
 * A shared GET /persons/{id}?include=all. Loads that overlap (the four collections starting
 * or refetching together) share one request, through the QueryClient's deduplication.
 */
export function detailsLoader(client: PersonsClient, queryClient: QueryClient, personId: string): DetailsLoader {
  const queryKey = ['persons', personId, 'details']
  return {
    load: () =>
      queryClient.fetchQuery({
        queryKey,
        staleTime: 0,
        queryFn: async ({ signal }) => {
          try {
            const res = await client.request<PersonDetails>('GET', `/persons/${personId}`, {
              query: { include: 'all' },
              signal,
            })
            client.see(`/persons/${personId}`, res.body)
            return res.body
          } catch (err) {
            if (err instanceof ApiError && err.status === 404) return null
            throw err
          }
        },
      }).then((d) => d ?? undefined),
  }
}

/**
 * Options for all four related collections of a person, loaded together by one
 * GET /persons/{id}?include=all.
 */
export function personDetailsCollectionOptions(config: {
  client: PersonsClient
  queryClient: QueryClient
  personId: string
  update?: 'PATCH' | 'PUT'
}) {
  const details = detailsLoader(config.client, config.queryClient, config.personId)
  const of = <K extends RelatedKind>(kind: K) => relatedCollectionOptions({ ...config, kind, details })
  return {
    addresses: of('addresses'),
    bankAccounts: of('bank-accounts'),
    contacts: of('contacts'),
    employments: of('employments'),
  }
}
