// The demo's data layer: one PersonsClient, one QueryClient and the persons collection
// (on demand: every live query's search, order and window go to GET /persons). The API's
// base URL is the page's origin (`make run` serves both) or ?api=URL; ?token=T sends
// Authorization: Bearer T (a cross-origin page then gets CORS preflights for every request).
import { createCollection } from '@tanstack/react-db'
import { QueryClient } from '@tanstack/query-core'
import { PersonsClient, personsCollectionOptions, sortKeyIndex } from '../../tanstack-db/src/index.js'

const params = new URLSearchParams(location.search)
export const baseUrl = (params.get('api') ?? location.origin).replace(/\/+$/, '')
const token = params.get('token')

/** One line of the request log shown under the page (the newest first). */
export interface LoggedRequest {
  n: number
  method: string
  path: string
  status: number | 'failed' | '…'
  ms: number
}

let logged: LoggedRequest[] = []
let count = 0
const listeners = new Set<() => void>()
function publish(entry: LoggedRequest) {
  logged = [entry, ...logged.filter((e) => e.n !== entry.n)].slice(0, 12)
  for (const l of listeners) l()
}
export const requestLog = {
  subscribe(l: () => void) {
    listeners.add(l)
    return () => void listeners.delete(l)
  },
  get: () => logged,
  total: () => count,
}

export const client = new PersonsClient({
  baseUrl,
  headers: token ? { Authorization: `Bearer ${token}` } : undefined,
  fetch: async (input, init) => {
    const url = new URL(String(input))
    const entry: LoggedRequest = { n: ++count, method: init?.method ?? 'GET', path: url.pathname + url.search, status: '…', ms: 0 }
    const start = performance.now()
    publish(entry)
    try {
      const res = await fetch(input, init)
      publish({ ...entry, status: res.status, ms: Math.round(performance.now() - start) })
      return res
    } catch (err) {
      publish({ ...entry, status: 'failed', ms: Math.round(performance.now() - start) })
      throw err
    }
  },
})

// No refetch on window focus: the page shows what it loaded and what it wrote until
// "Refresh" (so that two windows side by side can disagree, and a stale edit gets its 412).
export const queryClient = new QueryClient({
  defaultOptions: { queries: { refetchOnWindowFocus: false, retry: false } },
})

export const persons = createCollection(
  personsCollectionOptions({ client, queryClient, syncMode: 'on-demand', pageSize: 100 }),
)
persons.createIndex((p) => p.sortKey, sortKeyIndex)
