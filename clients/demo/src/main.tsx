// The persons demo page: the persons list (last-name search, infinite loading through the
// on-demand collection), a person's details with every related item (four collections
// filled by ONE GET ?include=all), add/edit/delete of each kind, primary switching, and
// the server's errors with their field list. Everything is written through TanStack DB
// collections: optimistic first, then the server's answer.
import { useEffect, useMemo, useRef, useState, useSyncExternalStore, type FormEvent, type ReactNode } from 'react'
import { createRoot } from 'react-dom/client'
import { createCollection, eq, ilike, useLiveInfiniteQuery, useLiveQuery } from '@tanstack/react-db'
import {
  ApiError,
  newId,
  personDetailsCollectionOptions,
  sortKey,
  withSortKey,
  type Person,
  type PersonRow,
} from '../../tanstack-db/src/index.js'
import { baseUrl, client, persons, queryClient, requestLog } from './api.js'
import { allValues, changedValues, formValues, kinds, personFields, type Field, type FormValues, type KindSpec } from './fields.js'

const PAGE = 20

function App() {
  const [selected, setSelected] = useState<{ id: string; sortKey: string } | null>(null)
  return (
    <>
      <header>
        <h1>persons</h1>
        <small>
          TanStack DB demo · API <code>{baseUrl}</code>
        </small>
      </header>
      <main>
        <PersonsPanel selectedId={selected?.id} onSelect={(p) => setSelected({ id: p.id, sortKey: p.sortKey })} />
        {selected ? (
          <Details key={selected.id} id={selected.id} initialSortKey={selected.sortKey} onClose={() => setSelected(null)} />
        ) : (
          <section className="card muted">Select a person to see and edit their details.</section>
        )}
        <RequestLog />
      </main>
    </>
  )
}

// ---- persons list ----

function PersonsPanel({ selectedId, onSelect }: { selectedId?: string; onSelect(p: PersonRow): void }) {
  const [search, setSearch] = useState('')
  const prefix = useDebounced(search.trim().replace(/[%_\\]/g, ''), 250)
  const [adding, setAdding] = useState(false)
  const list = useLiveInfiniteQuery(
    (q) => {
      const from = q.from({ p: persons })
      const filtered = prefix ? from.where(({ p }) => ilike(p.lastName, `${prefix}%`)) : from
      // sortKey is the server's order: order, window and cursor go to GET /persons
      return filtered.orderBy(({ p }) => p.sortKey, { direction: 'asc', stringSort: 'lexical' })
    },
    { pageSize: PAGE },
  )
  const sentinel = useRef<HTMLLIElement>(null)
  // Infinite loading: the next page loads when the end of the list scrolls into view.
  useEffect(() => {
    const el = sentinel.current
    if (!el || !list.hasNextPage) return
    const io = new IntersectionObserver((entries) => {
      if (entries.some((e) => e.isIntersecting) && !list.isFetchingNextPage) void list.fetchNextPage()
    }, { root: el.closest('.persons') })
    io.observe(el)
    return () => io.disconnect()
  }, [list.hasNextPage, list.isFetchingNextPage, list.data.length])

  return (
    <section className="card" aria-labelledby="persons-title">
      <div className="row">
        <h2 id="persons-title" className="grow">
          Persons
        </h2>
        <button type="button" onClick={() => setAdding(!adding)} aria-expanded={adding}>
          New person
        </button>
      </div>
      {adding && (
        <ItemForm
          label="New person"
          fields={personFields}
          initial={formValues(personFields)}
          onCancel={() => setAdding(false)}
          submit={async (values) => {
            const row = withSortKey({ id: newId(), ...(allValues(personFields, values) as Omit<Person, 'id'>) })
            await persons.insert(row).isPersisted.promise
            setAdding(false)
            onSelect(persons.get(row.id) ?? row) // as stored (the server normalizes names)
          }}
        />
      )}
      <label>
        Search last name <input type="search" value={search} onChange={(e) => setSearch(e.target.value)} placeholder="prefix, e.g. sm" />
      </label>
      <ul className="plain persons" aria-label="Persons">
        {list.data.map((p) => (
          <li key={p.id}>
            <button type="button" className="person" aria-current={p.id === selectedId} onClick={() => onSelect(p)}>
              {p.lastName}, {p.firstName}
              {p.$hasPendingWrites && <span className="badge pending">saving…</span>}
            </button>
          </li>
        ))}
        <li ref={sentinel} />
      </ul>
      <div className="row">
        <span className="muted grow" aria-live="polite">
          {list.isLoading ? 'Loading…' : `${list.data.length} shown${list.hasNextPage ? '' : ' (all)'}`}
        </span>
        {list.hasNextPage && (
          <button type="button" onClick={() => void list.fetchNextPage()} disabled={list.isFetchingNextPage}>
            Load more
          </button>
        )}
      </div>
      {persons.utils.isError && <ErrorBox error={persons.utils.lastError} />}
    </section>
  )
}

// ---- one person ----

/**
 * The person's row, held by a live query of its own (so that it stays loaded whatever the
 * list shows): its sortKey, pushed down as GET /persons?lastName=…, follows renames.
 */
function usePerson(id: string, initialSortKey: string) {
  const [key, setKey] = useState(initialSortKey)
  useEffect(() => {
    const sub = persons.subscribeChanges((changes) => {
      for (const c of changes) if (c.key === id && c.type !== 'delete' && c.value.sortKey !== key) setKey(c.value.sortKey)
    })
    return () => sub.unsubscribe()
  }, [id, key])
  const { data, isLoading } = useLiveQuery((q) =>
    q
      .from({ p: persons })
      .where(({ p }) => eq(p.sortKey, key))
      .findOne(),
  )
  return { person: data as (PersonRow & { $hasPendingWrites?: boolean }) | undefined, isLoading }
}

function Details({ id, initialSortKey, onClose }: { id: string; initialSortKey: string; onClose(): void }) {
  const { person, isLoading } = usePerson(id, initialSortKey)
  const [editing, setEditing] = useState(false)
  const [error, setError] = useState<unknown>()
  // The four related collections of this person, filled by ONE GET /persons/{id}?include=all.
  const related = useMemo(() => {
    const o = personDetailsCollectionOptions({ client, queryClient, personId: id })
    return {
      addresses: createCollection(o.addresses),
      'bank-accounts': createCollection(o.bankAccounts),
      contacts: createCollection(o.contacts),
      employments: createCollection(o.employments),
    }
  }, [id])
  useEffect(() => () => void Object.values(related).forEach((c) => void c.cleanup()), [related])

  if (!person) {
    return (
      <section className="card" aria-label="Person details">
        {isLoading ? 'Loading…' : 'This person does not exist (any more).'}
      </section>
    )
  }
  const refresh = () => {
    setError(undefined)
    void persons.utils.refetch()
    for (const c of Object.values(related)) void c.utils.refetch()
  }
  const remove = async () => {
    if (!confirm(`Delete ${person.firstName} ${person.lastName} and all their records?`)) return
    setError(undefined)
    try {
      await persons.delete(person.id).isPersisted.promise
      onClose()
    } catch (err) {
      setError(err)
    }
  }
  return (
    <section aria-label="Person details">
      <div className="card">
        <div className="row">
          <h2 className="grow" id="person-name">
            {person.firstName} {person.lastName}
            {person.$hasPendingWrites && <span className="badge pending">saving…</span>}
          </h2>
          <button type="button" onClick={() => setEditing(!editing)} aria-expanded={editing}>
            Edit person
          </button>
          <button type="button" onClick={remove}>
            Delete person
          </button>
          <button type="button" onClick={refresh}>
            Refresh
          </button>
        </div>
        <dl className="person" aria-labelledby="person-name">
          <dt>First name</dt>
          <dd data-field="firstName">{person.firstName}</dd>
          <dt>Last name</dt>
          <dd data-field="lastName">{person.lastName}</dd>
          <dt>Date of birth</dt>
          <dd data-field="dateOfBirth">{person.dateOfBirth?.slice(0, 10) ?? '—'}</dd>
          <dt>Gender</dt>
          <dd data-field="gender">{person.gender ?? '—'}</dd>
          <dt>Version</dt>
          <dd data-field="version">{person.version ?? '…'}</dd>
        </dl>
        {editing && (
          <ItemForm
            label="Edit person"
            fields={personFields}
            initial={formValues(personFields, person)}
            onCancel={() => setEditing(false)}
            submit={async (values) => {
              const changes = changedValues(personFields, person, values)
              if (Object.keys(changes).length > 0) {
                const tx = persons.update(person.id, (d) => {
                  Object.assign(d, changes)
                  d.sortKey = sortKey(d) // a renamed person moves in the list at once
                })
                await tx.isPersisted.promise
              }
              setEditing(false)
            }}
          />
        )}
        <ErrorBox error={error} />
      </div>
      <div className="kinds">
        {kinds.map((spec) => (
          <KindSection key={spec.kind} spec={spec} personId={person.id} collection={related[spec.kind] as any} />
        ))}
      </div>
    </section>
  )
}

// ---- one kind of related items ----

type Item = { id: string; version?: number; isPrimary?: boolean; $hasPendingWrites?: boolean } & Record<string, any>

function KindSection({ spec, personId, collection }: { spec: KindSpec; personId: string; collection: ReturnType<typeof createCollection<Item>> }) {
  const { data: items, isLoading } = useLiveQuery((q) => q.from({ it: collection }).orderBy(({ it }) => it.id))
  const [form, setForm] = useState<string | 'new' | null>(null)
  const [error, setError] = useState<unknown>()
  const run = async (tx: { isPersisted: { promise: Promise<unknown> } }) => {
    setError(undefined)
    try {
      await tx.isPersisted.promise
    } catch (err) {
      setError(err)
    }
  }
  return (
    <section className="card" aria-labelledby={`h-${spec.kind}`} data-kind={spec.kind}>
      <div className="row">
        <h3 className="grow" id={`h-${spec.kind}`}>
          {spec.title} <span className="muted">({items.length})</span>
        </h3>
        <button type="button" onClick={() => setForm(form === 'new' ? null : 'new')} aria-expanded={form === 'new'}>
          Add {spec.one}
        </button>
      </div>
      {form === 'new' && (
        <ItemForm
          label={`New ${spec.one}`}
          fields={spec.fields}
          initial={formValues(spec.fields)}
          onCancel={() => setForm(null)}
          submit={async (values) => {
            const tx = collection.insert({ id: newId(), personId, ...allValues(spec.fields, values) } as Item)
            await tx.isPersisted.promise
            setForm(null)
          }}
        />
      )}
      {isLoading && <p className="muted">Loading…</p>}
      <ul className="plain">
        {items.map((it) => (
          <li key={it.id} className="item" data-id={it.id} aria-label={`${spec.one}: ${spec.summary(it)}`}>
            <div className="text">
              <div>
                {spec.summary(it)}
                {it.isPrimary && <span className="badge">primary</span>}
                {it.$hasPendingWrites && <span className="badge pending">saving…</span>}
              </div>
              <div className="muted">
                {spec.detail?.(it)} · v{it.version ?? '…'}
              </div>
              {form === it.id && (
                <ItemForm
                  label={`Edit ${spec.one}`}
                  fields={spec.fields}
                  initial={formValues(spec.fields, it)}
                  onCancel={() => setForm(null)}
                  submit={async (values) => {
                    const changes = changedValues(spec.fields, it, values)
                    if (Object.keys(changes).length > 0) {
                      await collection.update(it.id, (d) => void Object.assign(d, changes)).isPersisted.promise
                    }
                    setForm(null)
                  }}
                />
              )}
            </div>
            <div className="actions">
              {spec.primary && !it.isPrimary && (
                <button type="button" onClick={() => run(collection.update(it.id, (d) => void (d.isPrimary = true)))}>
                  Make primary
                </button>
              )}
              <button type="button" onClick={() => setForm(form === it.id ? null : it.id)} aria-expanded={form === it.id}>
                Edit
              </button>
              <button type="button" onClick={() => run(collection.delete(it.id))}>
                Delete
              </button>
            </div>
          </li>
        ))}
      </ul>
      <ErrorBox error={error} />
    </section>
  )
}

// ---- forms and errors ----

/**
 * A form of fields. submit sends the write and resolves when the server took it; on an
 * error the form stays open with the server's message (a 400 marks the fields it names;
 * after a 412 the page already shows the stored item, and Save sends the form's values
 * again, on top of it).
 */
function ItemForm(props: { label: string; fields: Field[]; initial: FormValues; submit(v: FormValues): Promise<void>; onCancel(): void }) {
  const [values, setValues] = useState(props.initial)
  const [error, setError] = useState<unknown>()
  const [busy, setBusy] = useState(false)
  const invalid = new Set(error instanceof ApiError ? error.errors.map((e) => e.field) : [])
  const onSubmit = async (e: FormEvent) => {
    e.preventDefault()
    setBusy(true)
    setError(undefined)
    try {
      await props.submit(values)
    } catch (err) {
      setError(err)
    } finally {
      setBusy(false)
    }
  }
  const set = (name: string, v: string | boolean) => setValues((old) => ({ ...old, [name]: v }))
  return (
    <form className="edit" aria-label={props.label} onSubmit={onSubmit} noValidate>
      {props.fields.map((f) => {
        const id = `${props.label}-${f.name}`.replace(/\s+/g, '-')
        const common = { id, name: f.name, 'aria-invalid': invalid.has(f.name) || undefined }
        return (
          <Row key={f.name} id={id} label={f.label}>
            {f.type === 'checkbox' ? (
              <input type="checkbox" {...common} checked={values[f.name] === true} onChange={(e) => set(f.name, e.target.checked)} />
            ) : f.type === 'select' ? (
              <select {...common} value={String(values[f.name])} onChange={(e) => set(f.name, e.target.value)}>
                {f.optional && <option value="">—</option>}
                {f.options!.map((o) => (
                  <option key={o}>{o}</option>
                ))}
              </select>
            ) : (
              <input
                type={f.type === 'date' ? 'date' : f.type === 'number' ? 'number' : 'text'}
                {...common}
                value={String(values[f.name])}
                onChange={(e) => set(f.name, e.target.value)}
              />
            )}
          </Row>
        )
      })}
      <ErrorBox error={error} />
      <div className="actions">
        <button type="submit" disabled={busy}>
          {busy ? 'Saving…' : 'Save'}
        </button>
        <button type="button" onClick={props.onCancel}>
          Cancel
        </button>
      </div>
    </form>
  )
}

function Row({ id, label, children }: { id: string; label: string; children: ReactNode }) {
  return (
    <>
      <label htmlFor={id}>{label}</label>
      {children}
    </>
  )
}

/** A server error as the API sent it: status, title, detail and the invalid fields. */
function ErrorBox({ error }: { error: unknown }) {
  if (!error) return null
  if (!(error instanceof ApiError)) return <div role="alert">{error instanceof Error ? error.message : String(error)}</div>
  return (
    <div role="alert" data-status={error.status}>
      <strong>
        {error.status} {error.title}
      </strong>
      {error.detail && <>: {error.detail}</>}
      {error.status === 412 && error.current != null && <div>The page now shows the stored version (v{(error.current as { version?: number }).version}); Save again to apply your values on top of it.</div>}
      {error.errors.length > 0 && (
        <ul aria-label="Invalid fields">
          {error.errors.map((e) => (
            <li key={e.field + e.message}>
              <code>{e.field}</code>: {e.message}
            </li>
          ))}
        </ul>
      )}
    </div>
  )
}

// ---- the request log ----

function RequestLog() {
  const log = useSyncExternalStore(requestLog.subscribe, requestLog.get)
  return (
    <section className="card" style={{ gridColumn: '1 / -1' }} aria-labelledby="log-title">
      <h3 id="log-title">
        Requests <span className="muted">({requestLog.total()} sent; newest first)</span>
      </h3>
      <pre className="log" aria-label="Request log">
        {log.map((r) => `${String(r.status).padEnd(6)} ${r.method.padEnd(6)} ${decodeURIComponent(r.path)}  ${r.ms} ms`).join('\n')}
      </pre>
    </section>
  )
}

function useDebounced<T>(value: T, ms: number): T {
  const [v, setV] = useState(value)
  useEffect(() => {
    const t = setTimeout(() => setV(value), ms)
    return () => clearTimeout(t)
  }, [value, ms])
  return v
}

createRoot(document.getElementById('root')!).render(<App />)
