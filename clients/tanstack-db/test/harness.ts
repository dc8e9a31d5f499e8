// Test harness: the real persons API (scripts/serve) on a free port, and TanStack DB clients
// that talk to it. Against PERSONS_DYNAMODB_ENDPOINT (what `make test` sets) each server gets
// its own table on that engine; without it, one in-memory DynamoDB Local is started here
// (scripts/ddb) and stopped at the end. PERSONS_SERVE names another serve binary to test.
import { execFile, spawn, type ChildProcess } from 'node:child_process'
import { once } from 'node:events'
import { rename } from 'node:fs/promises'
import { createServer } from 'node:net'
import { dirname, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { promisify } from 'node:util'
import { createCollection, type Collection } from '@tanstack/db'
import { QueryClient } from '@tanstack/query-core'
import { PersonsClient, personsCollectionOptions, relatedCollectionOptions, sortKey, type ClientOptions } from '../src/index.js'
import type { RelatedKind } from '../src/types.js'

const run = promisify(execFile)
/** The repository root (this file runs from clients/tanstack-db/dist/test). */
export const root = resolve(dirname(fileURLToPath(import.meta.url)), '../../../..')
const bin = (name: string) => resolve(root, 'bin', name)

/** Builds the Go helpers once per process; a rename makes parallel test files safe. */
let built: Promise<void> | undefined
function buildBinaries(): Promise<void> {
  built ??= (async () => {
    for (const name of ['serve', 'ddb', 'seedprofiles']) {
      const tmp = bin(`.${name}-${process.pid}`)
      await run('go', ['build', '-o', tmp, `./scripts/${name}`], { cwd: root })
      await rename(tmp, bin(name))
    }
  })()
  return built
}

export async function freePort(): Promise<number> {
  const srv = createServer().listen(0, '127.0.0.1')
  await once(srv, 'listening')
  const port = (srv.address() as { port: number }).port
  srv.close()
  return port
}

export interface Server {
  url: string
  endpoint: string
  table: string
  /** Writes count generated persons (PROFILE items only) straight into the table. */
  seedProfiles(count: number): Promise<{ persons: number; durationMs: number }>
  stop(): Promise<void>
}

let tables = 0

/** Starts DynamoDB Local (unless PERSONS_DYNAMODB_ENDPOINT is set) and the API on free ports. */
export async function startServer(): Promise<Server> {
  await buildBinaries()
  let endpoint = process.env.PERSONS_DYNAMODB_ENDPOINT
  let stopEngine = async () => {}
  if (!endpoint) {
    const port = await freePort()
    await run(bin('ddb'), ['-port', String(port), 'up'], { cwd: root })
    endpoint = `http://127.0.0.1:${port}`
    stopEngine = async () => void (await run(bin('ddb'), ['-port', String(port), 'down'], { cwd: root }))
  }
  const table = `client-${process.pid}-${++tables}`
  const addr = `127.0.0.1:${await freePort()}`
  // PERSONS_SERVE: a serve binary built elsewhere (e.g. from another branch) instead of bin/serve
  const proc = spawn(process.env.PERSONS_SERVE || bin('serve'), ['-addr', addr, '-endpoint', endpoint, '-table', table, '-seed-count', '0'], {
    cwd: root,
    stdio: ['ignore', 'ignore', 'pipe'],
  })
  const url = await waitForUrl(proc)
  return {
    url,
    endpoint,
    table,
    async seedProfiles(count) {
      const { stdout } = await run(bin('seedprofiles'), ['-endpoint', endpoint, '-table', table, '-count', String(count)])
      return JSON.parse(stdout)
    },
    async stop() {
      if (proc.exitCode === null) {
        proc.kill('SIGTERM')
        await once(proc, 'exit')
      }
      await stopEngine()
    },
  }
}

/** Reads serve's stderr until it prints its URL; fails with its output if it exits first. */
function waitForUrl(proc: ChildProcess): Promise<string> {
  return new Promise((resolve, reject) => {
    let out = ''
    proc.stderr!.setEncoding('utf8')
    proc.stderr!.on('data', (chunk: string) => {
      out += chunk
      const m = out.match(/persons API on (http:\/\/\S+)/)
      if (m) {
        proc.stderr!.removeAllListeners('data')
        proc.stderr!.resume() // keep draining the access log
        resolve(m[1])
      }
    })
    proc.once('exit', (code) => reject(new Error(`serve exited (${code}):\n${out}`)))
  })
}

/** One user's app: its own PersonsClient, QueryClient and collections. */
export class App {
  readonly client: PersonsClient
  readonly queryClient = new QueryClient({ defaultOptions: { queries: { retry: false } } })
  /** Requests this app sent, as "METHOD path?query". */
  readonly requests: string[] = []
  /** Set to make the next matching request reach the server but lose its answer. */
  loseAnswerOf: ((method: string, url: URL) => boolean) | undefined

  constructor(baseUrl: string, options: Partial<ClientOptions> = {}) {
    const send = options.fetch ?? fetch
    this.client = new PersonsClient({
      baseUrl,
      retry: { baseDelayMs: 10 },
      ...options,
      fetch: async (input, init) => {
        const url = new URL(String(input))
        const method = init?.method ?? 'GET'
        this.requests.push(`${method} ${url.pathname}${url.search}`)
        const res = await send(input, init)
        if (this.loseAnswerOf?.(method, url)) {
          this.loseAnswerOf = undefined
          await res.arrayBuffer()
          throw new TypeError('fetch failed (answer lost by the test)')
        }
        return res
      },
    })
  }

  persons(options: { syncMode?: 'eager' | 'on-demand'; pageSize?: number } = {}) {
    return createCollection(personsCollectionOptions({ client: this.client, queryClient: this.queryClient, ...options }))
  }

  related<K extends RelatedKind>(personId: string, kind: K, update?: 'PATCH' | 'PUT') {
    return createCollection(relatedCollectionOptions({ client: this.client, queryClient: this.queryClient, personId, kind, update }))
  }
}

/** The rows of a collection as plain objects (no virtual $ props), sorted by id. */
export function rows<T extends { id: string }>(c: Collection<T, any, any>): T[] {
  return [...c.values()].map((r) => plain(r as T)).sort(byId)
}

/**
 * An item as the server sends it: without TanStack DB's virtual $ members and without the
 * persons collection's sortKey (checked to be right first).
 */
export function plain<T extends object>(item: T): T {
  const r = item as Record<string, any>
  if ('sortKey' in r && r.sortKey !== sortKey(r as any)) throw new Error(`stale sortKey ${r.sortKey} in ${JSON.stringify(r)}`)
  return Object.fromEntries(Object.entries(item).filter(([k]) => !k.startsWith('$') && k !== 'sortKey')) as T
}

export function byId(a: { id?: unknown }, b: { id?: unknown }): number {
  return String(a.id) < String(b.id) ? -1 : String(a.id) > String(b.id) ? 1 : 0
}

/** A fresh GET of a list (all pages) or an item, with a client of its own. */
export async function fetchJson<T>(url: string): Promise<{ status: number; body: T }> {
  const res = await fetch(url)
  return { status: res.status, body: (await res.json().catch(() => undefined)) as T }
}

export async function serverList<T extends { id: string }>(baseUrl: string, path: string, limit = 100): Promise<T[]> {
  const items: T[] = []
  let cursor: string | undefined
  do {
    const u = new URL(baseUrl + path)
    u.searchParams.set('limit', String(limit))
    if (cursor) u.searchParams.set('cursor', cursor)
    const { status, body } = await fetchJson<{ items: T[]; nextCursor?: string }>(String(u))
    if (status === 404) return []
    if (status !== 200) throw new Error(`GET ${u}: ${status} ${JSON.stringify(body)}`)
    items.push(...body.items)
    cursor = body.nextCursor
  } while (cursor)
  return items.sort(byId)
}
