// The change feed (GET /changes): after the initial load, a client follows the feed and
// applies every change — its own, other clients', the seed's, cascade deletes, demoted
// primaries — to its collections with writeUpsert / writeDelete, without refetching lists.
import { ApiError, type PersonsClient } from './client.js'
import { withSortKey } from './order.js'
import type { components } from './api.gen.js'
import type { RelatedKind, Versioned } from './types.js'

export type ChangeEntry = components['schemas']['ChangeEntry']
export type ChangePage = components['schemas']['ChangePage']

/** What the feed writes into: a collection's sync utilities (query collections have them). */
export interface SyncTarget {
  get(key: string): Versioned | undefined
  utils: { writeUpsert(item: any): void; writeDelete(key: string): void }
}

export interface ChangeFeedConfig {
  client: PersonsClient
  /** The persons collection, if the app has one. */
  persons?: SyncTarget
  /** The collection of a person's related kind, if the app holds it (else the entry is skipped). */
  related?: (personId: string, kind: RelatedKind) => SyncTarget | undefined
  /** Poll interval in ms. Default 5000. */
  intervalMs?: number
  /**
   * Called on 410 Gone (the cursor is older than the feed's retention): reload every
   * collection. The feed then continues from a cursor taken before the reload.
   */
  onGone: () => Promise<void>
  /** Start from this cursor (from an earlier session) instead of "now". */
  cursor?: string
  /** Page size of the feed. Default 500. */
  limit?: number
}

const kindOf: Record<string, RelatedKind | 'persons'> = {
  Person: 'persons',
  Address: 'addresses',
  BankAccount: 'bank-accounts',
  ContactInfo: 'contacts',
  Employment: 'employments',
}

/**
 * Follows the change feed. Call start() BEFORE the initial load (it takes the cursor for
 * "now" first, so nothing that happens during the load is missed), then load, then the
 * polls apply what changed since. An entry no newer than the row held is ignored: the
 * feed may repeat entries, and a list loaded after the cursor may be newer than them.
 */
export class ChangeFeed {
  readonly #c: ChangeFeedConfig
  #cursor: string | undefined
  #timer: ReturnType<typeof setTimeout> | undefined
  #running: Promise<void> | undefined
  #stopped = true

  constructor(config: ChangeFeedConfig) {
    this.#c = config
    this.#cursor = config.cursor
  }

  /** The position reached: save it to resume a later session. */
  get cursor(): string | undefined {
    return this.#cursor
  }

  /** Takes the cursor for now (unless given) and starts polling. */
  async start(): Promise<void> {
    if (this.#cursor === undefined) this.#cursor = await this.#now()
    this.#stopped = false
    this.#schedule()
  }

  stop(): void {
    this.#stopped = true
    if (this.#timer) clearTimeout(this.#timer)
    this.#timer = undefined
  }

  /** Polls now (after the app's own writes, say); resolves when the feed is caught up. */
  poll(): Promise<void> {
    this.#running ??= this.#drain().finally(() => (this.#running = undefined))
    return this.#running
  }

  #schedule() {
    if (this.#stopped) return
    this.#timer = setTimeout(() => {
      void this.poll()
        .catch(() => undefined) // transient failures: the next poll tries again
        .finally(() => this.#schedule())
    }, this.#c.intervalMs ?? 5000)
  }

  async #now(): Promise<string> {
    const res = await this.#c.client.request<ChangePage>('GET', '/changes')
    return res.body.nextCursor
  }

  async #drain(): Promise<void> {
    for (;;) {
      let page: ChangePage
      try {
        const res = await this.#c.client.request<ChangePage>('GET', '/changes', {
          query: { cursor: this.#cursor, limit: this.#c.limit ?? 500 },
        })
        page = res.body
      } catch (err) {
        if (err instanceof ApiError && err.status === 410) {
          this.#cursor = await this.#now()
          await this.#c.onGone()
          return
        }
        throw err
      }
      for (const e of page.items) this.apply(e)
      this.#cursor = page.nextCursor
      if (page.items.length === 0) return
    }
  }

  /** Applies one entry to the collection that holds its item, if any. */
  apply(e: ChangeEntry): void {
    const kind = kindOf[e.kind]
    if (!kind) return
    const target = kind === 'persons' ? this.#c.persons : this.#c.related?.(e.personId, kind)
    const path = kind === 'persons' ? `/persons/${e.id}` : `/persons/${e.personId}/${kind}/${e.id}`
    if (!target) return
    const held = target.get(e.id)?.version
    if (e.op === 'delete') {
      // A row newer than the deleted version is a re-created item: keep it.
      if (target.get(e.id) !== undefined && (held === undefined || held <= e.version)) {
        target.utils.writeDelete(e.id)
        this.#c.client.forget(path)
      }
      return
    }
    if (held !== undefined && held >= e.version) return
    const item = e.item as unknown as Versioned & Record<string, unknown>
    target.utils.writeUpsert(kind === 'persons' ? withSortKey(item as any) : item)
    this.#c.client.see(path, item)
  }
}
