// The persons collection: eager (every person, in pages of up to 1,000) or on demand (each
// live query's where/orderBy/limit pushed down to GET /persons as far as the server can
// answer it; whatever it cannot is filtered here).
import { compileSingleRowExpression, toBooleanPredicate, type IR, type LoadSubsetOptions } from '@tanstack/db'
import { queryCollectionOptions } from '@tanstack/query-db-collection'
import type { QueryClient } from '@tanstack/query-core'
import { ApiError, type PersonsClient } from './client.js'
import { mutationHandlers } from './handlers.js'
import { compareNames } from './order.js'
import type { Person } from './types.js'

export interface PersonsCollectionConfig {
  client: PersonsClient
  queryClient: QueryClient
  /** 'eager' (default) loads every person; 'on-demand' loads what live queries ask for. */
  syncMode?: 'eager' | 'on-demand'
  /** Persons per request, 1..1000. Default 1000. */
  pageSize?: number
  /** Default ['persons']. */
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
  /** Exact last name. */
  lastName?: string
  gender?: string
  /** dateOfBirth on or after / on or before (RFC 3339 or a date). */
  bornFrom?: string
  bornTo?: string
  /** The list's order: asc (default) or desc. */
  order?: 'asc' | 'desc'
}

/** What part of a load the server answers: its parameters, and whether it pages in our order. */
export interface PersonsPlan {
  query: PersonsQuery
  /** The leading orderBy is lastName in the server's order (compareNames): pages come in order. */
  ordered: boolean
}

export function personsCollectionOptions(config: PersonsCollectionConfig) {
  const { client, queryClient, syncMode = 'eager', pageSize = 1000, queryKey = ['persons'] } = config
  const handlers = mutationHandlers<Person>(client, {
    path: '/persons',
    hasChanged: false,
    update: 'PATCH',
    // The server deleted the person's related items too: the related collections of this
    // QueryClient (keys ['persons', id, ...]) refetch, find no person and become empty.
    deleted: (id) => queryClient.invalidateQueries({ queryKey: ['persons', id] }),
  })
  return queryCollectionOptions<Person>({
    id: config.id,
    queryClient,
    queryKey: [...queryKey],
    syncMode,
    getKey: (p) => p.id,
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
 * Loads the persons a subset asks for (all of them without one). Rows come back in the
 * server's order; the served prefix of an ordered, limited subset includes every row that
 * ties with its last one on the leading order value, as TanStack DB expects.
 */
export async function loadPersons(
  client: PersonsClient,
  subset: LoadSubsetOptions | undefined,
  pageSize = 1000,
  signal?: AbortSignal,
): Promise<Person[]> {
  const plan = planPersons(subset)
  const where = subset?.where ? compileSingleRowExpression(subset.where) : undefined
  const matches = (p: Person) => !where || toBooleanPredicate(where(p as unknown as Record<string, unknown>))
  const from = plan.ordered ? cursorValue(subset) : undefined
  const desc = plan.query.order === 'desc'
  const limit = plan.ordered ? subset?.limit : undefined

  const rows: Person[] = []
  let cursor: string | undefined
  for (;;) {
    const page = await client.request<PersonsPage>('GET', '/persons', {
      query: { ...plan.query, limit: pageSize, cursor },
      signal,
    })
    for (const p of page.body.items) {
      if (from !== undefined) {
        const c = compareNames(p.lastName, from)
        if (desc ? c > 0 : c < 0) continue // before the cursor (its ties included)
      }
      if (!matches(p)) continue
      if (limit !== undefined && rows.length >= limit && compareNames(p.lastName, rows[rows.length - 1].lastName) !== 0) {
        return rows // the prefix is served, ties included
      }
      rows.push(p)
    }
    cursor = page.body.nextCursor
    if (!cursor) return rows
  }
}

type Expr = IR.BasicExpression

/**
 * Maps a subset to GET /persons parameters: the top-level AND of the where clause, term by
 * term (lastName prefix via like/ilike 'x%', lastName eq, gender eq, dateOfBirth bounds),
 * and the order when the leading orderBy is lastName compared with compareNames. Terms it
 * cannot map are left to the local filter; the parameters only ever narrow to a superset.
 */
export function planPersons(subset: LoadSubsetOptions | undefined): PersonsPlan {
  const query: PersonsQuery = {}
  for (const term of conjuncts(subset?.where)) {
    const t = comparison(term)
    if (!t) continue
    const { op, field, value } = t
    if (field === 'lastName' && typeof value === 'string') {
      if ((op === 'like' || op === 'ilike') && /^[^%_]+%$/.test(value) && query.q === undefined) query.q = value.slice(0, -1)
      else if (op === 'eq' && query.lastName === undefined) query.lastName = value
    } else if (field === 'gender' && op === 'eq' && typeof value === 'string') {
      query.gender = value
    } else if (field === 'dateOfBirth' && (typeof value === 'string' || value instanceof Date)) {
      const at = value instanceof Date ? value.toISOString() : value
      if (op === 'gt' || op === 'gte') query.bornFrom = at
      if (op === 'lt' || op === 'lte') query.bornTo = at
    }
  }
  const first = subset?.orderBy?.[0]
  const ordered =
    first !== undefined &&
    isRef(first.expression, 'lastName') &&
    first.compareOptions.stringSort === 'custom' &&
    first.compareOptions.compare === compareNames
  if (ordered && first.compareOptions.direction === 'desc') query.order = 'desc'
  return { query, ordered }
}

/** The leading order value a cursor continues from (whereFrom: gt/lt(lastName, value)). */
function cursorValue(subset: LoadSubsetOptions | undefined): string | undefined {
  const t = subset?.cursor ? comparison(subset.cursor.whereFrom) : undefined
  return t && t.field === 'lastName' && typeof t.value === 'string' ? t.value : undefined
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

function isRef(e: Expr, field: string): boolean {
  return e.type === 'ref' && fieldOf(e) === field
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
