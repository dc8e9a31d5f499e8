package persons_test

import (
	"context"
	"errors"
	"reflect"
	"sync"
	"testing"
	"time"

	"github.com/personsapi/persons/pkg/ddbtest"
	"github.com/personsapi/persons/pkg/persons"
)

// A write that demotes the previous primary reports the demoted item's new state in
// Changed, exactly as stored; other writes report nothing else changed ([] not nil).
func TestWrittenReportsTheDemotedPrimary(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	p := f.createPerson(t, "Ann", "Smith")
	r := f.store.Contacts()

	first, err := r.Create(ctx, p.ID, newContact(true))
	if err != nil || first.Changed == nil || len(first.Changed) != 0 {
		t.Fatalf("first primary: %+v, %v; want Changed = []", first, err)
	}
	other, err := r.Create(ctx, p.ID, newContact(false))
	if err != nil || len(other.Changed) != 0 {
		t.Fatalf("non-primary create: %+v, %v", other, err)
	}
	stored := func(id string) persons.ContactInfo {
		t.Helper()
		v, err := r.Get(ctx, p.ID, id)
		if err != nil {
			t.Fatal(err)
		}
		return v
	}

	tests := []struct {
		name    string
		write   func() (persons.Written[persons.ContactInfo], error)
		demoted string
	}{
		{"create a new primary", func() (persons.Written[persons.ContactInfo], error) {
			return r.Create(ctx, p.ID, newContact(true))
		}, first.Item.ID},
		{"patch another to primary", func() (persons.Written[persons.ContactInfo], error) {
			return r.Update(ctx, p.ID, other.Item.ID, merge[persons.ContactInfo](`{"isPrimary":true}`), 0)
		}, ""}, // the previous test's new primary, filled in below
		{"replace the first as primary", func() (persons.Written[persons.ContactInfo], error) {
			c := newContact(true)
			c.Value = "ann@example.org"
			return r.Replace(ctx, p.ID, first.Item.ID, c, 0)
		}, other.Item.ID},
		{"an edit that keeps the primary", func() (persons.Written[persons.ContactInfo], error) {
			return r.Update(ctx, p.ID, first.Item.ID, merge[persons.ContactInfo](`{"isVerified":true}`), 0)
		}, ""},
	}
	var lastPrimary string
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if i == 1 {
				tt.demoted = lastPrimary
			}
			w, err := tt.write()
			if err != nil {
				t.Fatal(err)
			}
			lastPrimary = w.Item.ID
			if !reflect.DeepEqual(w.Item, stored(w.Item.ID)) {
				t.Errorf("Item %+v is not what is stored", w.Item)
			}
			if tt.demoted == "" {
				if w.Changed == nil || len(w.Changed) != 0 {
					t.Fatalf("Changed = %#v, want []", w.Changed)
				}
				return
			}
			if len(w.Changed) != 1 || w.Changed[0].ID != tt.demoted {
				t.Fatalf("Changed = %+v, want the demoted %s", w.Changed, tt.demoted)
			}
			d := w.Changed[0]
			if d.IsPrimary || !reflect.DeepEqual(d, stored(d.ID)) {
				t.Errorf("demoted %+v, stored %+v: want the stored, non-primary state", d, stored(d.ID))
			}
		})
	}
}

// A client that applies every write's Item and Changed, keeping the highest version of
// each item, holds exactly what is stored, however the writes interleave.
func TestApplyingWriteResultsConverges(t *testing.T) {
	f := newFixture(t)
	// Many writers on one person on a loaded test machine: what is tested is the
	// invariant, not the production retry budget (TestRetryStopsBeforeTheDeadline).
	f.store.WithRetryBudget(time.Minute)
	ctx := context.Background()
	p := f.createPerson(t, "Ann", "Smith")
	r := f.store.Addresses()
	held := map[string]persons.Address{}
	var mu sync.Mutex
	apply := func(w persons.Written[persons.Address]) {
		mu.Lock()
		defer mu.Unlock()
		for _, v := range append([]persons.Address{w.Item}, w.Changed...) {
			if v.Version > held[v.ID].Version {
				held[v.ID] = v
			}
		}
	}
	const n = 12
	ids := make([]string, n)
	for i := range ids {
		w, err := r.Create(ctx, p.ID, newAddress(i == 0))
		if err != nil {
			t.Fatal(err)
		}
		apply(w)
		ids[i] = w.Item.ID
	}
	var wg sync.WaitGroup
	for round := range 3 {
		for _, id := range ids {
			wg.Go(func() {
				w, err := r.Update(ctx, p.ID, id, merge[persons.Address](`{"isPrimary":true}`), 0)
				if err != nil {
					t.Errorf("round %d: %v", round, err)
					return
				}
				apply(w)
			})
		}
		wg.Wait()
	}
	page, err := r.List(ctx, p.ID, persons.ListOptions{Limit: 100})
	if err != nil {
		t.Fatal(err)
	}
	for _, v := range page.Items {
		if !reflect.DeepEqual(held[v.ID], v) {
			t.Errorf("client holds %+v, the table %+v", held[v.ID], v)
		}
	}
}

// A write that changes nothing writes nothing and returns the stored item unchanged: same
// version, and for a person the same updatedAt. A stale expected version is still refused.
func TestNoOpWrites(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	p := f.createPerson(t, "Ann", "Smith")
	addr := mustCreate(t, f.store.Addresses(), p.ID, newAddress(true))
	before := ddbtest.Items(t, f.db, f.table)

	personWrites := []struct{ name, patch string }{
		{"empty patch", `{}`},
		{"same values", `{"firstName":"Ann","lastName":"Smith","gender":"female"}`},
		{"same date in another form", `{"dateOfBirth":"1980-02-03"}`},
		{"server-owned fields only", `{"version":9,"updatedAt":"2001-01-01T00:00:00Z","createdAt":"2001-01-01T00:00:00Z","id":"` + p.ID + `"}`},
	}
	for _, tt := range personWrites {
		t.Run("person/"+tt.name, func(t *testing.T) {
			got, err := f.store.UpdatePerson(ctx, p.ID, merge[persons.Person](tt.patch), p.Version)
			if err != nil || !reflect.DeepEqual(got, p) {
				t.Fatalf("UpdatePerson = %+v, %v; want the stored person %+v", got, err, p)
			}
		})
	}
	relatedWrites := []struct {
		name  string
		write func(ifVersion int64) (persons.Written[persons.Address], error)
	}{
		{"empty patch", func(v int64) (persons.Written[persons.Address], error) {
			return f.store.Addresses().Update(ctx, p.ID, addr.ID, merge[persons.Address](`{}`), v)
		}},
		{"same values and version", func(v int64) (persons.Written[persons.Address], error) {
			return f.store.Addresses().Update(ctx, p.ID, addr.ID, merge[persons.Address](`{"city":"Springfield","version":5,"isPrimary":true}`), v)
		}},
		{"PUT of the stored item", func(v int64) (persons.Written[persons.Address], error) {
			return f.store.Addresses().Replace(ctx, p.ID, addr.ID, newAddress(true), v)
		}},
	}
	for _, tt := range relatedWrites {
		t.Run("address/"+tt.name, func(t *testing.T) {
			w, err := tt.write(addr.Version)
			if err != nil || !reflect.DeepEqual(w.Item, addr) || len(w.Changed) != 0 {
				t.Fatalf("write = %+v, %v; want the stored item %+v", w, err, addr)
			}
		})
	}
	if after := ddbtest.Items(t, f.db, f.table); !reflect.DeepEqual(after, before) {
		t.Errorf("no-op writes changed the table")
	}

	// If-Match is honoured before the no-op test: a stale version is a conflict.
	p2, err := f.store.UpdatePerson(ctx, p.ID, merge[persons.Person](`{"firstName":"Anna"}`), 0)
	if err != nil {
		t.Fatal(err)
	}
	_, err = f.store.UpdatePerson(ctx, p.ID, merge[persons.Person](`{}`), p.Version)
	wantConflict(t, err, persons.ErrVersionMismatch, p2)
	a2, err := f.store.Addresses().Update(ctx, p.ID, addr.ID, merge[persons.Address](`{"city":"Shelbyville"}`), 0)
	if err != nil {
		t.Fatal(err)
	}
	for _, tt := range relatedWrites {
		_, err := tt.write(addr.Version)
		wantConflict(t, err, persons.ErrVersionMismatch, a2.Item)
	}
}

// wantConflict fails unless err is a *ConflictError that is also target (errors.Is) and
// carries current, with its version.
func wantConflict(t *testing.T, err, target error, current any) {
	t.Helper()
	var ce *persons.ConflictError
	if !errors.As(err, &ce) || !errors.Is(err, target) {
		t.Fatalf("err = %v, want a ConflictError that is %v", err, target)
	}
	if !reflect.DeepEqual(ce.Current, current) {
		t.Fatalf("Current = %#v, want %#v", ce.Current, current)
	}
	if v := reflect.ValueOf(current).FieldByName("Version").Int(); ce.Version != v {
		t.Fatalf("Version = %d, want %d", ce.Version, v)
	}
}

// Conflicts carry the stored item, whether the store saw the conflict when it read, or
// only when its conditional write failed (a concurrent write in between): then DynamoDB
// returned the item with the failed condition (ALL_OLD), without another read.
func TestConflictsCarryTheStoredItem(t *testing.T) {
	ctx := context.Background()
	t.Run("person id taken", func(t *testing.T) {
		f := newFixture(t)
		p := f.createPerson(t, "Ann", "Smith")
		again := newPerson("Bob", "Jones")
		again.ID = p.ID
		_, err := f.store.CreatePerson(ctx, again)
		wantConflict(t, err, persons.ErrAlreadyExists, p)
	})
	t.Run("related id taken", func(t *testing.T) {
		f := newFixture(t)
		p := f.createPerson(t, "Ann", "Smith")
		for _, primary := range []bool{false, true} { // a single put, and a transaction with the pointer
			a := mustCreate(t, f.store.Addresses(), p.ID, newAddress(false))
			again := newAddress(primary)
			again.ID, again.City = a.ID, "Elsewhere"
			_, err := f.store.Addresses().Create(ctx, p.ID, again)
			wantConflict(t, err, persons.ErrAlreadyExists, a)
		}
	})

	// Between the store's read and its write, another writer changes the item.
	for _, tt := range []struct {
		name  string
		op    string // the write request the other writer slips in before
		reads int    // what the write reads (the conflict must not add to it)
		write func(f *fixture, plain *persons.Store, p persons.Person, a persons.Address) (want any, err error)
	}{
		{"person update", "UpdateItem", 1, func(f *fixture, plain *persons.Store, p persons.Person, _ persons.Address) (any, error) {
			_, err := f.store.UpdatePerson(ctx, p.ID, merge[persons.Person](`{"firstName":"Mine"}`), p.Version)
			cur, _ := plain.GetPerson(ctx, p.ID)
			return cur, err
		}},
		{"person delete", "UpdateItem", 0, func(f *fixture, plain *persons.Store, p persons.Person, _ persons.Address) (any, error) {
			err := f.store.DeletePerson(ctx, p.ID, p.Version)
			cur, _ := plain.GetPerson(ctx, p.ID)
			return cur, err
		}},
		{"related update", "PutItem", 1, func(f *fixture, plain *persons.Store, p persons.Person, a persons.Address) (any, error) {
			_, err := f.store.Addresses().Update(ctx, p.ID, a.ID, merge[persons.Address](`{"city":"Mine"}`), a.Version)
			cur, _ := plain.Addresses().Get(ctx, p.ID, a.ID)
			return cur, err
		}},
		{"related delete", "DeleteItem", 1, func(f *fixture, plain *persons.Store, p persons.Person, a persons.Address) (any, error) {
			err := f.store.Addresses().Delete(ctx, p.ID, a.ID, a.Version)
			cur, _ := plain.Addresses().Get(ctx, p.ID, a.ID)
			return cur, err
		}},
	} {
		t.Run(tt.name+" raced", func(t *testing.T) {
			var plain *persons.Store
			var p persons.Person
			var a persons.Address
			var ops opRecorder
			f := newFixture(t, ops.install, beforeFirst(tt.op, func() {
				if _, err := plain.UpdatePerson(ctx, p.ID, merge[persons.Person](`{"lastName":"Theirs"}`), 0); err != nil {
					t.Error(err)
				}
				if _, err := plain.Addresses().Update(ctx, p.ID, a.ID, merge[persons.Address](`{"city":"Theirs"}`), 0); err != nil {
					t.Error(err)
				}
			}))
			plain = persons.New(ddbtest.Client(t), f.table)
			var err error
			if p, err = plain.CreatePerson(ctx, newPerson("Ann", "Smith")); err != nil {
				t.Fatal(err)
			}
			w, err := plain.Addresses().Create(ctx, p.ID, newAddress(false))
			if err != nil {
				t.Fatal(err)
			}
			a = w.Item
			want, err := tt.write(f, plain, p, a)
			wantConflict(t, err, persons.ErrVersionMismatch, want)
			if n := ops.count("GetItem") + ops.count("BatchGetItem"); n != tt.reads {
				t.Errorf("%d reads, want %d: the conflict's item comes with the failed write", n, tt.reads)
			}
		})
	}
}

// A change of an optional field that is already set is a change: the merge patch writes
// through the stored value's pointer, which must not make the store see no change.
func TestChangesThroughSetOptionalFields(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	p := f.createPerson(t, "Ann", "Smith")
	b := mustCreate(t, f.store.BankAccounts(), p.ID, newBankAccount(false))
	e := newEmployment()
	e.Department = ptr("R&D")
	emp := mustCreate(t, f.store.Employments(), p.ID, e)

	wb, err := f.store.BankAccounts().Update(ctx, p.ID, b.ID, merge[persons.BankAccount](`{"iban":"DE89370400440532013000","bic":"COBADEFFXXX"}`), b.Version)
	if err != nil || wb.Item.Version != 2 || *wb.Item.IBAN != "DE89370400440532013000" || *wb.Item.BIC != "COBADEFFXXX" {
		t.Fatalf("patch iban and bic: %+v, %v", wb.Item, err)
	}
	we, err := f.store.Employments().Update(ctx, p.ID, emp.ID, merge[persons.Employment](`{"department":"Sales","salary":60000}`), emp.Version)
	if err != nil || we.Item.Version != 2 || *we.Item.Department != "Sales" || *we.Item.Salary != 60000 {
		t.Fatalf("patch department and salary: %+v, %v", we.Item, err)
	}
	pp, err := f.store.UpdatePerson(ctx, p.ID, merge[persons.Person](`{"gender":"other","dateOfBirth":"1990-01-01"}`), p.Version)
	if err != nil || pp.Version != 2 || *pp.Gender != "other" || *pp.DateOfBirth != "1990-01-01T00:00:00.000Z" {
		t.Fatalf("patch gender and date of birth: %+v, %v", pp, err)
	}
	if got, _ := f.store.BankAccounts().Get(ctx, p.ID, b.ID); !reflect.DeepEqual(got, wb.Item) {
		t.Errorf("stored %+v, returned %+v", got, wb.Item)
	}
	if got, _ := f.store.Employments().Get(ctx, p.ID, emp.ID); !reflect.DeepEqual(got, we.Item) {
		t.Errorf("stored %+v, returned %+v", got, we.Item)
	}
}
