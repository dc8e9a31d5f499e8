// The HTTP side: one PersonsClient per API and user session. It sends requests (retrying
// what is safe to retry), turns problem+json answers into ApiError, and keeps, per item, the
// newest version the client has seen and a queue of its writes.
import type { Problem, Versioned } from './types.js'

/** A problem+json answer (RFC 9457) of the persons API. */
export class ApiError<TCurrent = unknown> extends Error {
  /** HTTP status: 400, 404, 409, 412, ... */
  readonly status: number
  readonly title: string
  readonly detail: string | undefined
  /** The invalid fields of a 400 (body fields, or limit, cursor, q, If-Match, ...). */
  readonly errors: ReadonlyArray<{ field: string; message: string }>
  /** 409 and 412: the item as the server stores it now. */
  readonly current: TCurrent | undefined
  readonly requestId: string | undefined
  readonly method: string
  readonly path: string

  constructor(method: string, path: string, status: number, problem: Partial<Problem> & { current?: TCurrent }) {
    super(`${method} ${path}: ${status} ${problem.title ?? ''}${problem.detail ? `: ${problem.detail}` : ''}`)
    this.name = 'ApiError'
    this.method = method
    this.path = path
    this.status = status
    this.title = problem.title ?? ''
    this.detail = problem.detail
    this.errors = problem.errors ?? []
    this.current = problem.current
    this.requestId = problem.requestId
  }
}

export interface RetryOptions {
  /** Attempts in all, the first included. Default 5. */
  attempts?: number
  /** First backoff window in ms (doubles per attempt, full jitter). Default 100. */
  baseDelayMs?: number
  /** Largest wait in ms, Retry-After included. Default 5000. */
  maxDelayMs?: number
}

export interface ClientOptions {
  /** The API's base URL, e.g. http://127.0.0.1:8080 or the stack's ApiUrl. */
  baseUrl: string
  /** Extra headers for every request (e.g. Authorization); a function is called per request. */
  headers?: HeadersInit | (() => HeadersInit | Promise<HeadersInit>)
  /** The fetch to use (default: globalThis.fetch). */
  fetch?: typeof fetch
  retry?: RetryOptions
}

export interface RequestOptions {
  query?: Record<string, string | number | undefined>
  body?: unknown
  contentType?: string
  ifMatch?: number
  signal?: AbortSignal
}

export interface Response<T> {
  status: number
  body: T
  etag: number | undefined
  /** How many attempts it took (more than 1: an earlier attempt may have reached the server). */
  attempts: number
}

/** Statuses worth another attempt: the server asks to come back later. */
const retryStatus = new Set([429, 503])

export class PersonsClient {
  readonly baseUrl: string
  readonly #options: ClientOptions
  readonly #newest = new Map<string, number>()
  readonly #queues = new Map<string, Promise<unknown>>()

  constructor(options: ClientOptions) {
    this.#options = options
    this.baseUrl = options.baseUrl.replace(/\/+$/, '')
  }

  /**
   * Sends one request. Network errors, 429 and 503 are retried with exponential backoff and
   * full jitter, waiting at least what Retry-After says. Any other status >= 400 throws an
   * ApiError. Every write this package sends is safe to repeat: a create carries its id, a
   * merge patch or a PUT applied twice is applied once, a delete of a deleted item is a 404.
   */
  async request<T>(method: string, path: string, o: RequestOptions = {}): Promise<Response<T>> {
    const url = new URL(this.baseUrl + path)
    for (const [k, v] of Object.entries(o.query ?? {})) if (v !== undefined) url.searchParams.set(k, String(v))
    const { attempts: max = 5, baseDelayMs = 100, maxDelayMs = 5000 } = this.#options.retry ?? {}
    const doFetch = this.#options.fetch ?? globalThis.fetch
    for (let attempt = 1; ; attempt++) {
      const extra = typeof this.#options.headers === 'function' ? await this.#options.headers() : this.#options.headers
      const headers = new Headers(extra)
      headers.set('Accept', 'application/json, application/problem+json')
      if (o.body !== undefined) headers.set('Content-Type', o.contentType ?? 'application/json')
      if (o.ifMatch !== undefined) headers.set('If-Match', `"${o.ifMatch}"`)
      let res: globalThis.Response
      try {
        res = await doFetch(url, {
          method,
          headers,
          body: o.body === undefined ? undefined : JSON.stringify(o.body),
          signal: o.signal,
        })
      } catch (err) {
        if (o.signal?.aborted || attempt >= max) throw err
        await sleep(backoff(attempt, baseDelayMs, maxDelayMs), o.signal)
        continue
      }
      if (retryStatus.has(res.status) && attempt < max) {
        await res.body?.cancel()
        const wait = Math.max(retryAfterMs(res.headers.get('Retry-After')), backoff(attempt, baseDelayMs, maxDelayMs))
        await sleep(Math.min(wait, maxDelayMs), o.signal)
        continue
      }
      const text = await res.text()
      const body = text === '' ? undefined : JSON.parse(text)
      if (res.status >= 400) {
        const problem = body && typeof body === 'object' ? body : { title: res.statusText, detail: text }
        throw new ApiError(method, path, res.status, problem)
      }
      const etag = res.headers.get('ETag')?.match(/^(?:W\/)?"?(\d+)"?$/)?.[1]
      return { status: res.status, body: body as T, etag: etag ? Number(etag) : undefined, attempts: attempt }
    }
  }

  /** Records the version of an item the client saw (the newest one counts). */
  see(path: string, item: Versioned | undefined): void {
    if (item && typeof item.version === 'number' && item.version > (this.#newest.get(path) ?? 0)) {
      this.#newest.set(path, item.version)
    }
  }

  /** The newest version of the item at path the client has seen, or fallback. */
  newest(path: string, fallback?: number): number | undefined {
    const known = this.#newest.get(path)
    return known === undefined || (fallback !== undefined && fallback > known) ? fallback : known
  }

  /** Forgets a deleted item. */
  forget(path: string): void {
    this.#newest.delete(path)
  }

  /**
   * Runs write after every earlier write to the same item has settled, so that each
   * write's If-Match sees the version the previous one produced.
   */
  serialize<T>(path: string, write: () => Promise<T>): Promise<T> {
    const prev = this.#queues.get(path) ?? Promise.resolve()
    const run = prev.then(write, write)
    const tail = run.catch(() => undefined)
    this.#queues.set(path, tail)
    void tail.then(() => {
      if (this.#queues.get(path) === tail) this.#queues.delete(path)
    })
    return run
  }
}

/**
 * TanStack Query's retry for the collections' loads: requests already retry what is
 * transient, so a load fails at once on a 4xx and is tried twice more on anything else.
 */
export function retryQuery(failures: number, err: unknown): boolean {
  return failures < 2 && !(err instanceof ApiError && err.status < 500)
}

function backoff(attempt: number, base: number, max: number): number {
  return Math.random() * Math.min(max, base * 2 ** (attempt - 1))
}

/** Retry-After in ms: delay-seconds or an HTTP date; 0 if absent or unreadable. */
function retryAfterMs(value: string | null): number {
  if (!value) return 0
  if (/^\d+$/.test(value.trim())) return Number(value) * 1000
  const at = Date.parse(value)
  return Number.isNaN(at) ? 0 : Math.max(0, at - Date.now())
}

function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(signal.reason)
    const t = setTimeout(resolve, ms)
    signal?.addEventListener('abort', () => (clearTimeout(t), reject(signal.reason)), { once: true })
  })
}
