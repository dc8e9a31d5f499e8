// The persons collection: eager (every person, in pages of up to 1,000) or on demand (each
// live query's where/orderBy/limit pushed down to GET /persons as far as the server can
// answer it; whatever it cannot is filtered here).
import { compileSingleRowExpression, parseLoadSubsetOptions, toBooleanPredicate, type IR, type LoadSubsetOptions } from '@tanstack/db'
import { queryCollectionOptions } from '@tanstack/query-db-collection'
import type { QueryClient } from '@tanstack/query-core'
import { ApiError, retryQuery, type PersonsClient } from './client.js'
import { mutationHandlers } from './handlers.js'
import { sortKeyParts, withSortKey, type PersonRow } from './order.js'
import type { Person } from './types.js'

export interface PersonsCollectionConfig {
  client: PersonsClient
  queryClient: QueryClient
  /** 'eager' (default) loads every person; 'on-demand' loads what live queries ask for. */
  syncMode?: 'eager' | 'on-demand'
  /** Persons per request, 1..1000. Default 1000. */
  pageSize?: number
  /** Default ['persons', 'list']: not a prefix of the related collections' keys
   * (['persons', personId, kind]), whose rows would otherwise receive the persons' writes. */
  queryKey?: readonly unknown[]
  id?: string
}

interface PersonsPage {
  items: Person[]
  nextCursor?: string
}

/** The query parameters of GET /persons (besides limit and cursor). */
export interface PersonsQuery {
  /** Last-name prefix, case-insensitive. */
  q?: string
  /** Last name, case-insensitive. */
  lastName?: string
  gender?: string
  /** dateOfBirth on or after / on or before (inclusive; RFC 3339 or a date). */
  bornFrom?: string
  bornTo?: string
  /** asc (default) or desc. */
  order?: 'asc' | 'desc'
  /** A value cursor: the list starts after this person (all three or none). */
  afterLastName?: string
  afterFirstName?: string
  afterId?: string
}

/** What the server answers of a subset: its parameters, and how many rows to read. */
export interface PersonsPlan {
  query: PersonsQuery
  /** Rows wanted in the server's order (orderBy sortKey); undefined: every match. */
  limit?: number
  /** Whether every where term went to the server (the server's limit then counts matches). */
  exact: boolean
}

export function personsCollectionOptions(config: PersonsCollectionConfig) {
  const { client, queryClient, syncMode = 'eager', pageSize = 1000, queryKey = ['persons', 'list'] } = config
  const handlers = mutationHandlers<PersonRow>(client, {
    path: '/persons',
    update: 'PATCH',
    toRow: withSortKey,
    // The server deleted the person's related items too: the related collections of this
    // QueryClient (keys ['persons', id, ...]) refetch, find no person and become empty.
    deleted: (id) => queryClient.invalidateQueries({ queryKey: ['persons', id] }),
  })
  return queryCollectionOptions<PersonRow>({
    id: config.id,
    queryClient,
    queryKey: [...queryKey],
    syncMode,
    getKey: (p) => p.id,
    retry: retryQuery,
    queryFn: async (ctx) => {
      const subset = ctx.meta?.loadSubsetOptions as LoadSubsetOptions | undefined
      const rows = await loadPersons(client, subset, pageSize, ctx.signal)
      for (const p of rows) client.see(`/persons/${p.id}`, p)
      return rows
    },
    ...handlers,
  })
}

/**
 * Loads the persons a subset asks for (every person without one), in the server's order.
 * Where terms the server cannot answer are applied here; an ordered, limited subset reads
 * pages until it has its rows.
 */
export async function loadPersons(
  client: PersonsClient,
  subset: LoadSubsetOptions | undefined,
  pageSize = 1000,
  signal?: AbortSignal,
): Promise<PersonRow[]> {
  const plan = planPersons(subset)
  const where = subset?.where ? compileSingleRowExpression(subset.where) : undefined
  const rows: PersonRow[] = []
  let query: Record<string, string | number | undefined> = { ...plan.query }
  for (;;) {
    const want = plan.limit === undefined ? pageSize : Math.min(pageSize, plan.exact ? plan.limit - rows.length : pageSize)
    const page = await client.request<PersonsPage>('GET', '/persons', { query: { ...query, limit: want }, signal })
    for (const p of page.body.items) {
      const row = withSortKey(p)
      if (where && !toBooleanPredicate(where(row))) continue
      rows.push(row)
      if (rows.length === plan.limit) return rows
    }
    if (!page.body.nextCursor) return rows
    // the next page: the same list, from the cursor (which replaces a value cursor)
    const { afterLastName: _l, afterFirstName: _f, afterId: _i, ...rest } = query
    query = { ...rest, cursor: page.body.nextCursor }
  }
}

type Expr = IR.BasicExpression

/**
 * Maps a subset to GET /persons parameters. Where: the top-level AND, term by term
 * (lastName prefix via like/ilike 'x%', lastName or sortKey eq, gender eq, dateOfBirth bounds); a term
 * it cannot map is left to the local filter, so the server answers a superset. Order: when
 * the subset is ordered by sortKey (stringSort 'lexical'), its direction, limit and cursor
 * go to the server too; any other order loads every match (TanStack DB sorts locally).
 */
export function planPersons(subset: LoadSubsetOptions | undefined): PersonsPlan {
  const query: PersonsQuery = {}
  let exact = true
  for (const term of conjuncts(subset?.where)) {
    const t = comparison(term)
    const v = t?.value instanceof Date ? t.value.toISOString() : t?.value
    if (t?.field === 'lastName' && typeof v === 'string' && (t.op === 'like' || t.op === 'ilike') && /^[^%_]+%$/.test(v) && !query.q) {
      query.q = v.slice(0, -1)
      exact &&= t.op === 'ilike'
    } else if (t?.field === 'lastName' && t.op === 'eq' && typeof v === 'string' && !query.lastName) {
      query.lastName = v
      exact = false // the server compares case-insensitively
    } else if (t?.field === 'sortKey' && t.op === 'eq' && typeof v === 'string' && !query.lastName) {
      query.lastName = sortKeyParts(v)[0] // one person (TanStack DB loads an order value's ties so)
      exact = false
    } else if (t?.field === 'gender' && t.op === 'eq' && typeof v === 'string' && !query.gender) {
      query.gender = v
    } else if (t?.field === 'dateOfBirth' && typeof v === 'string' && (t.op === 'gte' || t.op === 'gt') && !query.bornFrom) {
      query.bornFrom = v
      exact &&= t.op === 'gte'
    } else if (t?.field === 'dateOfBirth' && typeof v === 'string' && (t.op === 'lte' || t.op === 'lt') && !query.bornTo) {
      query.bornTo = v
      exact &&= t.op === 'lte'
    } else {
      exact = false
    }
  }
  const first = sorts(subset)[0]
  if (!first || first.field.join('.') !== 'sortKey' || first.stringSort !== 'lexical') {
    return { query, exact } // no order the server knows: every match
  }
  if (first.direction === 'desc') query.order = 'desc'
  // a cursor continues after the row whose sortKey is its value
  const from = subset?.cursor ? comparison(subset.cursor.whereFrom) : undefined
  if (from?.field === 'sortKey' && typeof from.value === 'string') {
    const [afterLastName, afterFirstName, afterId] = sortKeyParts(from.value)
    Object.assign(query, { afterLastName, afterFirstName, afterId })
  }
  const limit = subset?.limit === undefined ? undefined : subset.limit + (subset.cursor ? 0 : (subset.offset ?? 0))
  return { query, exact, limit }
}

/**
 * The subset's order, by TanStack DB's parseLoadSubsetOptions (given no where: it throws
 * on like/ilike and or, which the where mapping above handles itself).
 */
function sorts(subset: LoadSubsetOptions | undefined) {
  try {
    return parseLoadSubsetOptions({ orderBy: subset?.orderBy, limit: subset?.limit }).sorts
  } catch {
    return [] // an expression, not a field: not the server's order
  }
}

function conjuncts(e: Expr | undefined): Expr[] {
  if (!e) return []
  return e.type === 'func' && e.name === 'and' ? e.args.flatMap(conjuncts) : [e]
}

const flipped: Record<string, string> = { gt: 'lt', gte: 'lte', lt: 'gt', lte: 'gte', eq: 'eq' }

/** A term `op(field, value)` (or `op(value, field)`) on a top-level field of the row. */
function comparison(e: Expr): { op: string; field: string; value: unknown } | undefined {
  if (e.type !== 'func' || e.args.length !== 2) return undefined
  const [a, b] = e.args
  if (a.type === 'ref' && b.type === 'val') return { op: e.name, field: fieldOf(a), value: b.value }
  if (a.type === 'val' && b.type === 'ref' && flipped[e.name]) return { op: flipped[e.name], field: fieldOf(b), value: a.value }
  return undefined
}

function fieldOf(ref: IR.PropRef): string {
  return ref.path.length === 1 ? ref.path[0] : ''
}

/** GET /persons/{id}, or undefined if there is no such person. */
export async function getPerson(client: PersonsClient, id: string): Promise<Person | undefined> {
  try {
    return (await client.request<Person>('GET', `/persons/${id}`)).body
  } catch (err) {
    if (err instanceof ApiError && err.status === 404) return undefined
    throw err
  }
}
