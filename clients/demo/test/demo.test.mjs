// The demo page in headless Chromium against the real API, from another origin: two users
// (two browser contexts) editing the same person and contact; the second one's stale edit
// gets a 412 with the current item, and in the end both pages show what a GET returns.
import assert from 'node:assert/strict'
import { after, before, test } from 'node:test'
import { alerts, clickButton, fill, listedNames, openPage, shownItems, shownPerson, startDemo, until } from './harness.mjs'

let demo
before(async () => {
  demo = await startDemo({ seedCount: 25 })
})
after(async () => {
  await demo?.stop()
})

/** The person as the details show it, from a GET of the server. */
const asShown = (p) => ({
  firstName: p.firstName,
  lastName: p.lastName,
  dateOfBirth: p.dateOfBirth?.slice(0, 10) ?? '—',
  gender: p.gender ?? '—',
  version: String(p.version),
})

const member = { addresses: 'addresses', 'bank-accounts': 'bankAccounts', contacts: 'contacts', employments: 'employments' }

/**
 * Waits until the page shows exactly what a fresh GET ?include=all returns (asked again on
 * every poll, so that a write still in flight is waited for): the person's fields and
 * version, and each kind's items (ids, versions, primary badges; nothing pending).
 */
async function assertShowsServerState(page, id, kinds = Object.keys(member)) {
  let server, shown
  await until(page, async () => {
    const { status, body } = await demo.api.get(`/persons/${id}?include=all`)
    assert.equal(status, 200)
    server = { person: asShown(body) }
    shown = { person: await shownPerson(page) }
    for (const kind of kinds) {
      server[kind] = body[member[kind]]
        .map((it) => ({ id: it.id, primary: it.isPrimary === true, pending: false, version: `v${it.version}` }))
        .sort((a, b) => (a.id < b.id ? -1 : 1))
      shown[kind] = (await shownItems(page, kind)).map((it) => ({ id: it.id, primary: it.primary, pending: it.pending, version: it.text.match(/v\d+$/)?.[0] }))
    }
    return JSON.stringify(shown) === JSON.stringify(server)
  }, 'the page to show the server state').catch(() => assert.deepEqual(shown, server, 'the page shows the server state'))
}

test('two pages on another origin: list, search, details in one request, a 412 conflict, primary switch, errors, add/delete', async (t) => {
  const url = demo.pageUrl()
  const [p1, p2] = await Promise.all([openPage(demo.browser, url), openPage(demo.browser, url)])

  await t.test('the list pages through the server order (20, then the rest: Load more, or scrolling)', async () => {
    const all = (await demo.api.get('/persons?limit=100')).body.items.map((p) => `${p.lastName}, ${p.firstName}`)
    assert.equal(all.length, 25)
    await until(p1, async () => (await listedNames(p1)).length === 20, '20 persons')
    assert.deepEqual(await listedNames(p1), all.slice(0, 20))
    await clickButton(p1, 'Load more')
    await until(p1, async () => (await listedNames(p1)).length === 25, '25 persons')
    assert.deepEqual(await listedNames(p1), all)
    // infinite loading: on page 2, scrolling to the end of the list loads the rest
    await until(p2, async () => (await listedNames(p2)).length === 20, '20 persons on page 2')
    await p2.$eval('ul[aria-label="Persons"]', (ul) => ul.scrollTo(0, ul.scrollHeight))
    await until(p2, async () => (await listedNames(p2)).length === 25, '25 persons on page 2 after scrolling')
    assert.deepEqual(await listedNames(p2), all)
  })

  // The person to edit: the second seeded one (it has contacts of which one is primary).
  const first = (await demo.api.get('/persons?limit=2')).body.items[1]
  const id = first.id

  await t.test('search by last-name prefix asks the server (q) and shows its answer', async () => {
    const prefix = first.lastName.slice(0, 2)
    const want = (await demo.api.get(`/persons?limit=100&q=${encodeURIComponent(prefix)}`)).body.items.map((p) => `${p.lastName}, ${p.firstName}`)
    const asked = []
    const onRequest = (r) => r.method() === 'GET' && asked.push(new URL(r.url()).searchParams.get('q'))
    p1.on('request', onRequest)
    await fill(p1, undefined, 'Search last name', prefix.toLowerCase())
    await until(p1, async () => JSON.stringify(await listedNames(p1)) === JSON.stringify(want), `search result ${want}`)
    p1.off('request', onRequest)
    assert.ok(asked.includes(prefix.toLowerCase()), `a GET /persons?q=${prefix.toLowerCase()}: ${asked}`)
  })

  await t.test('details: the person and all related items from ONE GET ?include=all', async () => {
    for (const p of [p1, p2]) {
      const sent = []
      const onRequest = (r) => r.method() === 'GET' && sent.push(new URL(r.url()).pathname + new URL(r.url()).search)
      p.on('request', onRequest)
      await clickButton(p, `${first.lastName}, ${first.firstName}`, 'ul[aria-label="Persons"]')
      await assertShowsServerState(p, id)
      p.off('request', onRequest)
      const related = sent.filter((s) => s.startsWith(`/persons/${id}`))
      assert.deepEqual(related, [`/persons/${id}?include=all`])
    }
  })

  await t.test('a conflicting edit: page 2 gets 412 and shows the server state, as page 1 does', async () => {
    await clickButton(p1, 'Edit person')
    await fill(p1, 'Edit person', 'First name', 'Augusta')
    await clickButton(p1, 'Save', 'form[aria-label="Edit person"]')
    await until(p1, async () => (await shownPerson(p1)).version === '2', 'version 2 on page 1')
    assert.equal((await shownPerson(p1)).firstName, 'Augusta')

    // page 2 still holds version 1
    assert.equal((await shownPerson(p2)).version, '1')
    await clickButton(p2, 'Edit person')
    await fill(p2, 'Edit person', 'First name', 'Ada')
    await fill(p2, 'Edit person', 'Gender', 'other')
    await clickButton(p2, 'Save', 'form[aria-label="Edit person"]')
    const alert = await p2.waitForSelector('form[aria-label="Edit person"] [role="alert"][data-status="412"]')
    assert.match(await alert.evaluate((a) => a.textContent), /412 Precondition Failed.*stored version \(v2\)/)
    for (const p of [p1, p2]) await assertShowsServerState(p, id, [])
    assert.equal((await demo.api.get(`/persons/${id}`)).body.firstName, 'Augusta')
    await clickButton(p2, 'Cancel', 'form[aria-label="Edit person"]')
  })

  await t.test('primary switch on page 1 (the demoted contact updates too); a stale edit of it on page 2 gets 412', async () => {
    const contacts = (await demo.api.get(`/persons/${id}/contacts`)).body.items
    const oldPrimary = contacts.find((c) => c.isPrimary)
    const next = contacts.find((c) => !c.isPrimary)
    assert.ok(oldPrimary && next, 'the seeded person has a primary and another contact')
    await clickButton(p1, 'Make primary', `li[data-id="${next.id}"]`)
    await assertShowsServerState(p1, id, ['contacts'])
    const now = (await demo.api.get(`/persons/${id}/contacts`)).body.items
    assert.deepEqual(now.filter((c) => c.isPrimary).map((c) => c.id), [next.id])

    await clickButton(p2, 'Edit', `li[data-id="${next.id}"]`)
    await fill(p2, 'Edit contact', 'Value', 'stale@example.com')
    await clickButton(p2, 'Save', 'form[aria-label="Edit contact"]')
    await p2.waitForSelector('form[aria-label="Edit contact"] [role="alert"][data-status="412"]')
    await clickButton(p2, 'Cancel', 'form[aria-label="Edit contact"]')
    // page 2 shows the server's item it got with the 412; Refresh brings the demoted one
    await clickButton(p2, 'Refresh')
    for (const p of [p1, p2]) await assertShowsServerState(p, id)
  })

  await t.test('a 400 shows the server\'s field list; add, edit and delete an address', async () => {
    await clickButton(p1, 'Add address')
    await fill(p1, 'New address', 'Street', '')
    await fill(p1, 'New address', 'Postal code', '12345')
    await clickButton(p1, 'Save', 'form[aria-label="New address"]')
    const alert = await p1.waitForSelector('form[aria-label="New address"] [role="alert"][data-status="400"]')
    const fields = await alert.$$eval('ul[aria-label="Invalid fields"] code', (cs) => cs.map((c) => c.textContent))
    assert.deepEqual(fields.sort(), ['city', 'country', 'state', 'street'])
    assert.equal(await p1.$eval('form[aria-label="New address"] input[name="street"]', (i) => i.getAttribute('aria-invalid')), 'true')
    await assertShowsServerState(p1, id, ['addresses']) // the optimistic row is gone again

    for (const [label, value] of [['Street', '1 Main St'], ['City', 'Springfield'], ['State', 'Oregon'], ['Country', 'USA']]) {
      await fill(p1, 'New address', label, value)
    }
    await clickButton(p1, 'Save', 'form[aria-label="New address"]')
    await p1.waitForSelector('form[aria-label="New address"]', { hidden: true })
    const added = (await demo.api.get(`/persons/${id}/addresses`)).body.items.find((a) => a.street === '1 Main St')
    assert.ok(added, 'the address is stored')
    await assertShowsServerState(p1, id, ['addresses'])

    await clickButton(p1, 'Edit', `li[data-id="${added.id}"]`)
    await fill(p1, 'Edit address', 'City', 'Shelbyville')
    await clickButton(p1, 'Save', 'form[aria-label="Edit address"]')
    await p1.waitForSelector('form[aria-label="Edit address"]', { hidden: true })
    assert.equal((await demo.api.get(`/persons/${id}/addresses/${added.id}`)).body.city, 'Shelbyville')
    await assertShowsServerState(p1, id, ['addresses'])

    await clickButton(p1, 'Delete', `li[data-id="${added.id}"]`)
    await p1.waitForSelector(`li[data-id="${added.id}"]`, { hidden: true }) // optimistic
    await until(p1, async () => (await demo.api.get(`/persons/${id}/addresses/${added.id}`)).status === 404, 'the address deleted on the server')
    await assertShowsServerState(p1, id, ['addresses'])
  })

  await t.test('a new person, then deleted with everything', async () => {
    await clickButton(p1, 'New person')
    await fill(p1, 'New person', 'First name', 'Grace')
    await fill(p1, 'New person', 'Last name', 'Hopper')
    await clickButton(p1, 'Save', 'form[aria-label="New person"]')
    await p1.waitForSelector('form[aria-label="New person"]', { hidden: true })
    const created = (await demo.api.get('/persons?q=hopper')).body.items[0]
    assert.equal(created?.firstName, 'Grace')
    await assertShowsServerState(p1, created.id)
    await clickButton(p1, 'Delete person') // confirm() is accepted by the harness
    await until(p1, async () => !(await p1.$('dl.person')), 'details closed')
    await until(p1, async () => (await demo.api.get(`/persons/${created.id}`)).status === 404, 'the person deleted on the server')
  })

  await t.test('in the end both pages show the server state', async () => {
    for (const p of [p1, p2]) {
      if (await p.$('dl.person')) await clickButton(p, 'Refresh')
      await clickButton(p, `Augusta`, 'ul[aria-label="Persons"]') // the renamed person
      await assertShowsServerState(p, id)
    }
    assert.deepEqual(await alerts(p1), [])
    assert.deepEqual([...p1.errors, ...p2.errors], [], 'no page errors')
  })
})

/** A preflight as Chromium sends it for a PATCH from origin with these request headers. */
const preflight = (origin, headers) =>
  fetch(`${demo.api.url}/persons/00000000-0000-4000-8000-000000000000`, {
    method: 'OPTIONS',
    headers: { Origin: origin, 'Access-Control-Request-Method': 'PATCH', 'Access-Control-Request-Headers': headers },
  })
const allowedHeaders = (res) => (res.headers.get('access-control-allow-headers') ?? '').toLowerCase().split(/\s*,\s*/)

test('CORS: the page origin is allowed (its writes were preflighted), other origins are not', async () => {
  // the browser test above went through preflights: its PATCHes, POSTs and DELETEs
  const preflights = demo.api.log.filter((l) => l.method === 'OPTIONS')
  assert.ok(preflights.length >= 5 && preflights.every((l) => l.status === 204), JSON.stringify(preflights.map((l) => [l.path, l.status])))

  const ok = await preflight(demo.page.url, 'content-type,if-match')
  assert.equal(ok.status, 204)
  assert.equal(ok.headers.get('access-control-allow-origin'), demo.page.url)
  for (const h of ['content-type', 'if-match']) assert.ok(allowedHeaders(ok).includes(h), `Access-Control-Allow-Headers lacks ${h}`)
  const other = await preflight('http://127.0.0.1:1', 'content-type')
  assert.equal(other.headers.get('access-control-allow-origin'), null)
})

// The deployed API takes a bearer token (the stack's API Gateway allows Authorization in
// CORS: infra/httpapi.go). The page sends it with ?token=; every request, GETs too, is then
// preflighted with Authorization.
test('CORS: a page with a bearer token (Authorization) works from another origin', async () => {
  const ok = await preflight(demo.page.url, 'authorization,content-type,if-match')
  assert.ok(allowedHeaders(ok).includes('authorization'), `Access-Control-Allow-Headers ${allowedHeaders(ok)} lacks authorization`)

  const page = await openPage(demo.browser, demo.pageUrl({ token: 'demo-token' }))
  const before = demo.api.log.length
  const auth = []
  // Preflights (OPTIONS) carry no credentials by design: only the requests themselves.
  page.on('request', (r) => r.url().startsWith(demo.api.url) && r.method() !== 'OPTIONS' && auth.push(r.headers().authorization))
  await clickButton(page, (await listedNames(page))[0], 'ul[aria-label="Persons"]')
  await until(page, async () => (await shownPerson(page)).version?.match(/^\d+$/), 'details')
  const sent = demo.api.log.slice(before)
  assert.ok(sent.some((l) => l.method === 'OPTIONS' && l.status === 204), 'a preflight')
  assert.ok(auth.length > 0 && auth.every((a) => a === 'Bearer demo-token'), `requests carry Authorization: ${auth}`)
  assert.deepEqual(page.errors, [])
})
