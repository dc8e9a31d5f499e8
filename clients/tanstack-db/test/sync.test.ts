// Two (or three) TanStack DB clients against the real API: after every scenario each
// client's collection equals a fresh GET of the server's state.
import assert from 'node:assert/strict'
import { after, before, describe, test } from 'node:test'
import { createCollection, type Collection } from '@tanstack/db'
import { ApiError, comparePersons, newId, personDetailsCollectionOptions, withSortKey, type ContactInfo, type Person } from '../src/index.js'
import { App, fetchJson, rows, serverList, startServer, type Server } from './harness.js'

let server: Server
before(async () => {
  server = await startServer()
})
after(async () => {
  await server?.stop()
})

/** Asserts that every collection holds exactly what the server lists at path. */
async function assertConverged(path: string, ...collections: Collection<any, any, any>[]) {
  const want = await serverList(server.url, path)
  for (const [i, c] of collections.entries()) assert.deepEqual(rows(c), want, `collection ${i} vs GET ${path}`)
}

const ada = () =>
  withSortKey({ id: newId(), firstName: 'Ada', lastName: 'Lovelace', dateOfBirth: '1815-12-10T00:00:00.000Z', gender: 'female' } as Person)

async function persisted(tx: { isPersisted: { promise: Promise<unknown> } }) {
  await tx.isPersisted.promise
}

describe('two clients', () => {
  let a: App, b: App
  let personsA: ReturnType<App['persons']>, personsB: ReturnType<App['persons']>
  before(async () => {
    a = new App(server.url)
    b = new App(server.url)
    personsA = a.persons({ pageSize: 100 })
    personsB = b.persons({ pageSize: 100 })
    await Promise.all([personsA.preload(), personsB.preload()])
  })

  test('edit the same person in turn; each sees the other after a refetch', async () => {
    const p = ada()
    await persisted(personsA.insert(p))
    await personsB.utils.refetch()
    await persisted(personsB.update(p.id, (d) => void (d.lastName = 'King')))
    await personsA.utils.refetch()
    await persisted(personsA.update(p.id, (d) => void (d.firstName = 'Augusta')))
    await personsB.utils.refetch()
    assert.equal(personsB.get(p.id)?.firstName, 'Augusta')
    assert.equal(personsB.get(p.id)?.lastName, 'King')
    assert.equal(personsB.get(p.id)?.version, 3)
    await assertConverged('/persons', personsA, personsB)
  })

  test('a cleared optional field (null) reaches the other client on refetch', async () => {
    const p = ada()
    await persisted(personsA.insert(p))
    await personsB.utils.refetch()
    assert.equal(personsB.get(p.id)?.gender, 'female')
    await persisted(personsA.update(p.id, (d) => Object.assign(d, { gender: null, dateOfBirth: null })))
    await personsB.utils.refetch()
    assert.equal(personsB.get(p.id)?.gender, null)
    assert.equal(personsB.get(p.id)?.dateOfBirth, null)
    await assertConverged('/persons', personsA, personsB)
  })

  test('rapid successive edits of one item chain their versions: no 412, the last edit wins', async () => {
    const p = ada()
    await persisted(personsA.insert(p))
    const sent = a.requests.length
    const edits = Array.from({ length: 10 }, (_, i) => personsA.update(p.id, (d) => void (d.firstName = `Ada ${i + 1}`)))
    // and one more edit of another field while they are in flight
    edits.push(personsA.update(p.id, (d) => void (d.gender = 'other')))
    await Promise.all(edits.map(persisted)) // any 412 would reject here
    const patches = a.requests.slice(sent).filter((r) => r.startsWith('PATCH'))
    assert.equal(patches.length, 11)
    const got = personsA.get(p.id)!
    assert.equal(got.firstName, 'Ada 10')
    assert.equal(got.gender, 'other')
    assert.equal(got.version, 12)
    await personsB.utils.refetch()
    await assertConverged('/persons', personsA, personsB)
  })

  test('an edit made while the create is still on its way waits for it', async () => {
    const p = ada()
    const insert = personsA.insert(p)
    const edit = personsA.update(p.id, (d) => void (d.lastName = 'King'))
    await Promise.all([persisted(insert), persisted(edit)])
    assert.equal(personsA.get(p.id)?.lastName, 'King')
    assert.equal(personsA.get(p.id)?.version, 2)
    await personsB.utils.refetch()
    await assertConverged('/persons', personsA, personsB)
  })

  test('a conflicting edit gets 412 with the current item, and the client shows the server state', async () => {
    const p = ada()
    await persisted(personsA.insert(p))
    await personsB.utils.refetch()
    await persisted(personsA.update(p.id, (d) => void (d.lastName = 'Byron')))
    // B still holds version 1: its edit is based on a state the server no longer has.
    const tx = personsB.update(p.id, (d) => void (d.firstName = 'Augusta'))
    const err = await tx.isPersisted.promise.then(
      () => assert.fail('B overwrote A without a conflict'),
      (e: unknown) => e,
    )
    assert.ok(err instanceof ApiError, String(err))
    assert.equal(err.status, 412)
    assert.equal((err.current as Person).lastName, 'Byron')
    assert.equal((err.current as Person).version, 2)
    const shown = personsB.get(p.id)!
    assert.equal(shown.lastName, 'Byron')
    assert.equal(shown.firstName, 'Ada')
    await assertConverged('/persons', personsA, personsB)
    // Re-applied on the state it now shows, B's edit goes through.
    await persisted(personsB.update(p.id, (d) => void (d.firstName = 'Augusta')))
    await personsA.utils.refetch()
    assert.equal(personsA.get(p.id)?.firstName, 'Augusta')
    await assertConverged('/persons', personsA, personsB)
  })

  test('a create whose answer was lost is retried with the same id and succeeds once', async () => {
    const p = ada()
    let posts = 0
    a.loseAnswerOf = (method, url) => method === 'POST' && url.pathname === '/persons' && ++posts === 1
    await persisted(personsA.insert(p))
    assert.equal(a.requests.filter((r) => r === 'POST /persons').length >= 2, true)
    assert.equal(personsA.get(p.id)?.version, 1)
    // the same for an edit: the retried PATCH meets its own result
    a.loseAnswerOf = (method, url) => method === 'PATCH' && url.pathname === `/persons/${p.id}`
    await persisted(personsA.update(p.id, (d) => void (d.firstName = 'Augusta')))
    assert.equal(personsA.get(p.id)?.version, 2)
    await personsB.utils.refetch()
    await assertConverged('/persons', personsA, personsB)
  })

  test('429 and 503 with Retry-After are waited out and retried', async () => {
    let n = 0
    const busy = new App(server.url, {
      fetch: async (input, init) => {
        n++
        if (n === 1) return new Response('{}', { status: 503, headers: { 'Retry-After': '1' } })
        if (n === 2) return new Response('{}', { status: 429, headers: { 'Retry-After': '0' } })
        return fetch(input, init)
      },
    })
    const persons = busy.persons({ pageSize: 100 })
    const t0 = Date.now()
    await persons.preload()
    assert.equal(n, 3)
    assert.ok(Date.now() - t0 >= 1000, 'Retry-After: 1 was not waited for')
    await assertConverged('/persons', persons)
    await persons.cleanup()
  })

  test('primary switches: the demoted item updates in the writing client without a refetch', async () => {
    const p = ada()
    await persisted(personsA.insert(p))
    const path = `/persons/${p.id}/contacts`
    const contactsA = a.related(p.id, 'contacts')
    const contactsB = b.related(p.id, 'contacts', 'PUT')
    await Promise.all([contactsA.preload(), contactsB.preload()])
    const c1 = { id: newId(), personId: p.id, type: 'email', value: 'ada@example.com', isPrimary: true, isVerified: true } as ContactInfo
    const c2 = { id: newId(), personId: p.id, type: 'phone', value: '+44 20 7946 0000', isPrimary: false, isVerified: false } as ContactInfo
    await persisted(contactsA.insert(c1))
    await persisted(contactsA.insert(c2))
    const sent = a.requests.length
    await persisted(contactsA.update(c2.id, (d) => void (d.isPrimary = true)))
    assert.deepEqual(a.requests.slice(sent), [`PATCH ${path}/${c2.id}`], 'only the PATCH, no refetch')
    assert.equal(contactsA.get(c1.id)?.isPrimary, false)
    assert.equal(contactsA.get(c1.id)?.version, 2)
    await assertConverged(path, contactsA)

    // B switches back with a PUT of the whole item: the same, on its side.
    await contactsB.utils.refetch()
    const sentB = b.requests.length
    await persisted(contactsB.update(c1.id, (d) => void (d.isPrimary = true)))
    assert.deepEqual(b.requests.slice(sentB), [`PUT ${path}/${c1.id}`])
    assert.equal(contactsB.get(c2.id)?.isPrimary, false)
    await contactsA.utils.refetch()
    await assertConverged(path, contactsA, contactsB)
    await Promise.all([contactsA.cleanup(), contactsB.cleanup()])
  })

  test('deletes: a deleted item and a deleted person empty the other client', async () => {
    const p = ada()
    await persisted(personsA.insert(p))
    const path = `/persons/${p.id}/addresses`
    const addressesA = a.related(p.id, 'addresses')
    const addressesB = b.related(p.id, 'addresses')
    await Promise.all([addressesA.preload(), addressesB.preload()])
    const home = { id: newId(), personId: p.id, type: 'home', street: '12 St James Sq', city: 'London', state: 'London', postalCode: 'SW1Y 4JH', country: 'UK', isPrimary: true }
    const work = { ...home, id: newId(), type: 'work', street: '1 Analytical Row', isPrimary: false }
    await persisted(addressesA.insert(home as any))
    await persisted(addressesA.insert(work as any))
    await addressesB.utils.refetch()
    assert.equal(addressesB.size, 2)

    await persisted(addressesA.delete(work.id))
    await addressesB.utils.refetch()
    assert.equal(addressesB.size, 1)
    await assertConverged(path, addressesA, addressesB)

    await persisted(personsA.delete(p.id))
    await Promise.all([addressesB.utils.refetch(), personsB.utils.refetch()])
    assert.equal(addressesB.size, 0)
    assert.equal(addressesB.utils.isError, false, 'a deleted person is an empty list, not an error')
    assert.equal(personsB.has(p.id), false)
    await assertConverged(path, addressesA, addressesB)
    await assertConverged('/persons', personsA, personsB)
    await Promise.all([addressesA.cleanup(), addressesB.cleanup()])
  })

  test('sortKey orders as the server does, for names that case folding and byte order decide', async () => {
    const names = ['Straße', 'STRASSE', 'ẞach', 'Sachs', 'de Vries', 'Dean', 'DeAngelo', 'Müller', 'MÜLLER', 'Mu\u0308ller', 'Muller',
      'Οδυσσεύς', 'ΟΔΥΣΣΕΥΣ', 'İstanbul', 'Istanbul', 'ǅukić', 'Ꭰꭰ', 'Ꭱ', 'ﬀoulkes', 'Ffoulkes', "O'Brien", 'Obrien', 'Ñúñez', 'Nunez', 'Zoë', 'Żak', '李', '𠀋山', 'Ｓｍｉｔｈ', '\ue000x']
    const txs = names.map((lastName, i) => personsA.insert(withSortKey({ ...ada(), lastName, firstName: i % 2 ? 'Ann' : 'ann' })))
    await Promise.all(txs.map(persisted))
    for (const order of ['asc', 'desc'] as const) {
      const { body } = await fetchJson<{ items: Person[] }>(`${server.url}/persons?limit=1000&order=${order}`)
      const local = [...body.items].sort(comparePersons)
      if (order === 'desc') local.reverse()
      assert.deepEqual(body.items.map((p) => `${p.lastName} ${p.firstName}`), local.map((p) => `${p.lastName} ${p.firstName}`), order)
    }
    await personsB.utils.refetch()
    await assertConverged('/persons', personsA, personsB)
  })

  test('the details loader fills all four related collections with one request', async () => {
    const p = ada()
    await persisted(personsA.insert(p))
    const seed = a.related(p.id, 'employments')
    await seed.preload()
    await persisted(
      seed.insert({ id: newId(), personId: p.id, companyName: 'Analytical Engines', position: 'Programmer', department: null, startDate: '1842-01-01T00:00:00.000Z', endDate: null, isCurrent: true, salary: null, currency: 'GBP' } as any),
    )
    const opts = personDetailsCollectionOptions({ client: b.client, queryClient: b.queryClient, personId: p.id })
    const c = {
      addresses: createCollection(opts.addresses),
      bankAccounts: createCollection(opts.bankAccounts),
      contacts: createCollection(opts.contacts),
      employments: createCollection(opts.employments),
    }
    const sent = b.requests.length
    await Promise.all(Object.values(c).map((x) => x.preload()))
    assert.deepEqual(b.requests.slice(sent), [`GET /persons/${p.id}?include=all`])
    assert.equal(c.employments.size, 1)
    await assertConverged(`/persons/${p.id}/employments`, c.employments, seed)
    await assertConverged(`/persons/${p.id}/addresses`, c.addresses)

    // the person is deleted elsewhere: a refetch empties all four, without an error state
    await persisted(personsA.delete(p.id))
    await Promise.all(Object.values(c).map((x) => x.utils.refetch()))
    for (const x of Object.values(c)) {
      assert.equal(x.size, 0)
      assert.equal(x.utils.isError, false)
    }
    await Promise.all([seed.cleanup(), ...Object.values(c).map((x) => x.cleanup())])
  })
})
