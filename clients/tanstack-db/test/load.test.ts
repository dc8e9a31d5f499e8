// 10,000 persons: an eager collection loads them in at most 10 requests; on-demand live
// queries (pushed down to GET /persons) return exactly what a local filter over all rows
// returns, in the server's order.
import assert from 'node:assert/strict'
import { after, before, describe, test } from 'node:test'
import { and, createLiveQueryCollection, eq, gte, ilike, lt, type Collection, type InitialQueryBuilder, type QueryBuilder } from '@tanstack/db'
import { comparePersons, sortKeyIndex, type Person, type PersonRow } from '../src/index.js'
import { App, plain, rows, serverList, startServer, type Server } from './harness.js'

const N = 10_000

async function until(ok: () => boolean, ms = 5000) {
  for (const t0 = Date.now(); !ok(); await new Promise((r) => setTimeout(r, 10))) {
    if (Date.now() - t0 > ms) throw new Error('timed out')
  }
}
let server: Server
let all: Person[] // every person, in the server's order
before(async () => {
  server = await startServer()
  const seeded = await server.seedProfiles(N)
  console.log(`seeded ${seeded.persons} persons in ${seeded.durationMs} ms`)
})
after(async () => {
  await server?.stop()
})

// the server's order: sortKey, compared by code unit
const asc = { direction: 'asc', stringSort: 'lexical' } as const
const desc = { direction: 'desc', stringSort: 'lexical' } as const

describe('10,000 persons', () => {
  test('an eager collection loads all of them in at most 10 requests', async () => {
    const app = new App(server.url)
    const persons = app.persons()
    const t0 = performance.now()
    await persons.preload()
    const ms = Math.round(performance.now() - t0)
    console.log(`eager load: ${persons.size} persons, ${app.requests.length} requests, ${ms} ms`)
    assert.equal(persons.size, N)
    assert.ok(app.requests.length <= 10, `${app.requests.length} requests: ${app.requests.join(', ')}`)
    const fresh = await serverList<Person>(server.url, '/persons', 1000)
    assert.deepEqual(rows(persons), fresh)
    all = fresh.sort(comparePersons)
    await persons.cleanup()
  })

  describe('on-demand live queries equal a local filter over all rows', () => {
    let app: App
    let persons: Collection<PersonRow, string, any>
    before(() => {
      assert.ok(all, 'needs the eager test')
      app = new App(server.url)
      persons = app.persons({ syncMode: 'on-demand' }) as unknown as Collection<PersonRow, string, any>
      persons.createIndex((row) => row.sortKey, sortKeyIndex)
    })
    after(async () => {
      await persons.cleanup()
    })

    /** Runs a live query; returns its rows in order and the requests it made. */
    async function live(build: (q: InitialQueryBuilder) => QueryBuilder<any>) {
      const sent = app.requests.length
      const lq = createLiveQueryCollection(build)
      await lq.preload()
      const got = lq.toArray.map((r) => plain(r as Person))
      await lq.cleanup()
      return { got, requests: app.requests.slice(sent) }
    }
    const fold = (s: string) => s.toLowerCase()
    // a common last name and a prefix with many matches, from the data itself
    const common = () => {
      const counts = new Map<string, number>()
      for (const p of all) counts.set(p.lastName, (counts.get(p.lastName) ?? 0) + 1)
      return [...counts].sort((a, b) => b[1] - a[1])[0][0]
    }

    test('last-name prefix (ilike "Sm%"): q=Sm', async () => {
      const { got, requests } = await live((q) =>
        q.from({ p: persons }).where(({ p }) => ilike(p.lastName, 'Sm%'))
          .orderBy(({ p }) => p.sortKey, asc),
      )
      const want = all.filter((p) => fold(p.lastName).startsWith('sm'))
      assert.ok(want.length > 10)
      assert.deepEqual(got, want)
      assert.ok(requests.every((r) => r.includes('q=Sm')), requests.join(', '))
    })

    test('exact last name: lastName=', async () => {
      const name = common()
      const { got, requests } = await live((q) =>
        q.from({ p: persons }).where(({ p }) => eq(p.lastName, name))
          .orderBy(({ p }) => p.sortKey, asc),
      )
      const want = all.filter((p) => p.lastName === name)
      assert.ok(want.length > 1, name)
      assert.deepEqual(got, want)
      assert.ok(requests.every((r) => r.includes(`lastName=${encodeURIComponent(name)}`)), requests.join(', '))
    })

    test('descending order with a limit: order=desc&limit=50', async () => {
      const { got, requests } = await live((q) =>
        q.from({ p: persons })
          .orderBy(({ p }) => p.sortKey, desc)
          .limit(50),
      )
      assert.deepEqual(got, [...all].reverse().slice(0, 50))
      // one page of 50 in the server's descending order, then TanStack DB's check of the
      // boundary value's ties (sortKey is unique: one last name's persons)
      assert.equal(requests[0], 'GET /persons?order=desc&limit=50')
      assert.ok(requests.length <= 2 && requests.slice(1).every((r) => r.includes('lastName=')), requests.join(', '))
    })

    test('paging a window: the next page continues after the last row (afterLastName, afterFirstName, afterId)', async () => {
      const sent = app.requests.length
      const lq = createLiveQueryCollection((q) => q.from({ p: persons }).orderBy(({ p }) => p.sortKey, asc).offset(0).limit(20))
      await lq.preload()
      assert.deepEqual(lq.toArray.map((r) => plain(r as Person)), all.slice(0, 20))
      await lq.utils.setWindow({ offset: 20, limit: 20 })
      await until(() => lq.toArray.length === 20 && (lq.toArray[0] as Person).id === all[20].id)
      assert.deepEqual(lq.toArray.map((r) => plain(r as Person)), all.slice(20, 40))
      const requests = app.requests.slice(sent)
      await lq.cleanup()
      // the first page, the next from the value cursor, and the boundary ties' checks: never a full load
      assert.equal(requests[0], 'GET /persons?limit=20', requests.join(', '))
      assert.ok(requests.some((r) => r.includes(`afterLastName=`) && r.includes(`afterId=${all[19].id}&limit=20`)), requests.join(', '))
      assert.ok(requests.every((r) => r.includes('limit=20') || r.includes('lastName=')), requests.join(', '))
    })

    test('gender and prefix with a limit: gender=other&q=B', async () => {
      const { got, requests } = await live((q) =>
        q.from({ p: persons }).where(({ p }) => and(eq(p.gender, 'other'), ilike(p.lastName, 'B%')))
          .orderBy(({ p }) => p.sortKey, asc)
          .limit(20),
      )
      const want = all.filter((p) => p.gender === 'other' && fold(p.lastName).startsWith('b')).slice(0, 20)
      assert.equal(want.length, 20)
      assert.deepEqual(got, want)
      assert.ok(requests.every((r) => r.includes('gender=other') && r.includes('q=B')), requests.join(', '))
    })

    test('date of birth range: bornFrom/bornTo', async () => {
      const from = '1990-01-01T00:00:00.000Z'
      const to = '1991-01-01T00:00:00.000Z'
      const { got, requests } = await live((q) =>
        q.from({ p: persons }).where(({ p }) => and(gte(p.dateOfBirth, from), lt(p.dateOfBirth, to)))
          .orderBy(({ p }) => p.sortKey, asc),
      )
      const want = all.filter((p) => p.dateOfBirth !== null && p.dateOfBirth >= from && p.dateOfBirth < to)
      assert.ok(want.length > 10)
      assert.deepEqual(got, want)
      assert.ok(requests.every((r) => r.includes('bornFrom=') && r.includes('bornTo=')), requests.join(', '))
    })

    test('a filter the server cannot answer (first name) is applied locally', async () => {
      const first = all[0].firstName
      const { got, requests } = await live((q) =>
        q.from({ p: persons }).where(({ p }) => eq(p.firstName, first))
          .orderBy(({ p }) => p.sortKey, asc),
      )
      assert.deepEqual(got, all.filter((p) => p.firstName === first))
      assert.ok(requests.every((r) => !r.includes('firstName')), requests.join(', '))
    })
  })
})
