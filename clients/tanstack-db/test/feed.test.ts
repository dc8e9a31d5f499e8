// The change feed: client B follows GET /changes and sees client A's create, edit, primary
// switch and delete (a cascade) without refetching any list.
import assert from 'node:assert/strict'
import { after, before, test } from 'node:test'
import { ChangeFeed, newId, withSortKey, type ContactInfo, type Person } from '../src/index.js'
import { App, rows, serverList, startServer, type Server } from './harness.js'

let server: Server
before(async () => {
  server = await startServer()
})
after(async () => {
  await server?.stop()
})

async function until(what: string, cond: () => boolean, ms = 30_000) {
  const end = Date.now() + ms
  while (!cond()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`)
    await new Promise((r) => setTimeout(r, 100))
  }
}

test("client B follows A's changes through the feed alone", async () => {
  const a = new App(server.url)
  const b = new App(server.url)
  // The default persons key (['persons', 'list']) is not a prefix of the related
  // collections' keys (['persons', id, kind]): query-db-collection tracks every query
  // under a collection's key, and with ['persons'] a writeUpsert into persons landed in a
  // live related collection too (found by this test).
  const personsA = a.persons({ pageSize: 100 })
  const personsB = b.persons({ pageSize: 100 })
  const pid = newId()
  const contactsA = a.related(pid, 'contacts')
  const contactsB = b.related(pid, 'contacts')
  const feed = new ChangeFeed({
    client: b.client,
    persons: personsB,
    related: (personId, kind) => (personId === pid && kind === 'contacts' ? contactsB : undefined),
    intervalMs: 250,
    onGone: async () => assert.fail('410 on a fresh cursor'),
  })
  await feed.start() // the cursor first, then the initial load
  await Promise.all([personsA.preload(), personsB.preload(), contactsA.preload(), contactsB.preload()])
  const loaded = b.requests.length

  try {
    const p = withSortKey({ id: pid, firstName: 'Ada', lastName: 'Lovelace', dateOfBirth: null, gender: null } as Person)
    await personsA.insert(p).isPersisted.promise
    await until('the create', () => personsB.get(pid)?.lastName === 'Lovelace')

    await personsA.update(pid, (d) => void (d.lastName = 'King')).isPersisted.promise
    await until('the edit', () => personsB.get(pid)?.lastName === 'King')
    assert.equal(personsB.get(pid)?.version, 2)

    const c1 = { id: newId(), personId: pid, type: 'email', value: 'ada@example.com', isPrimary: true, isVerified: true } as ContactInfo
    const c2 = { id: newId(), personId: pid, type: 'phone', value: '+44 20 7946 0000', isPrimary: true, isVerified: false } as ContactInfo
    await contactsA.insert(c1).isPersisted.promise
    await contactsA.insert(c2).isPersisted.promise // takes the primary from c1
    await until('the primary switch', () => contactsB.get(c2.id)?.isPrimary === true && contactsB.get(c1.id)?.isPrimary === false)
    assert.deepEqual(rows(contactsB), await serverList(server.url, `/persons/${pid}/contacts`))
    assert.deepEqual(rows(personsB), await serverList(server.url, '/persons'))

    await personsA.delete(pid).isPersisted.promise // cascades to the contacts
    await until('the delete', () => personsB.get(pid) === undefined && contactsB.size === 0)

    const after = b.requests.slice(loaded)
    assert.ok(after.length > 0 && after.every((r) => r.startsWith('GET /changes?')), `B sent ${after.filter((r) => !r.startsWith('GET /changes')).join(', ')}`)
  } finally {
    feed.stop()
    await Promise.all([personsA.cleanup(), personsB.cleanup(), contactsA.cleanup(), contactsB.cleanup()])
  }
})
