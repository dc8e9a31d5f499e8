package persons_test

import (
	"context"
	"reflect"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/google/uuid"

	"github.com/personsapi/persons/pkg/persons"
)

// profileCount is the counter of kind attr ("contactCount") on a person's PROFILE item.
func (f *fixture) profileCount(t *testing.T, personID, attr string) int {
	t.Helper()
	for _, item := range f.partition(t, personID) {
		if sk, _ := item[persons.AttrSK].(*types.AttributeValueMemberS); sk != nil && sk.Value == persons.ProfileSK {
			n, _ := item[attr].(*types.AttributeValueMemberN)
			if n == nil {
				return 0
			}
			v, _ := strconv.Atoi(n.Value)
			return v
		}
	}
	t.Fatalf("no PROFILE for %s", personID)
	return 0
}

// A create repeated with the same content (a client's retry after a lost answer) gets
// the stored item, whatever server-owned fields the body holds, concurrently too; the
// item is counted under its kind's cap once.
func TestCreatesAreIdempotent(t *testing.T) {
	f := newFixture(t)
	// Many writers on one person on a loaded test machine: what is tested is the
	// invariant, not the production retry budget (TestRetryStopsBeforeTheDeadline).
	f.store.WithRetryBudget(time.Minute)
	ctx := context.Background()

	in := newPerson("Ann", "Smith")
	in.ID = uuid.NewString()
	var wg sync.WaitGroup
	people := make([]persons.Person, 10)
	for i := range people {
		wg.Go(func() {
			// A copy of its own: Clean writes through the pointer fields.
			body := newPerson("Ann", "Smith")
			body.ID, body.Version, body.CreatedAt = in.ID, int64(i), "2001-01-01T00:00:00Z" // ignored
			var err error
			if people[i], err = f.store.CreatePerson(ctx, body); err != nil {
				t.Errorf("create %d: %v", i, err)
			}
		})
	}
	wg.Wait()
	for _, p := range people[1:] {
		if !reflect.DeepEqual(p, people[0]) || p.Version != 1 {
			t.Fatalf("concurrent creates of one person got %+v and %+v", people[0], p)
		}
	}

	contact := newContact(true)
	contact.ID = uuid.NewString()
	contacts := f.store.Contacts()
	got := make([]persons.ContactInfo, 10)
	for i := range got {
		wg.Go(func() {
			body := contact
			body.Version = int64(i + 5) // ignored
			w, err := contacts.Create(ctx, in.ID, body)
			if err != nil {
				t.Errorf("create %d: %v", i, err)
			}
			got[i] = w.Item
		})
	}
	wg.Wait()
	for _, c := range got[1:] {
		if !reflect.DeepEqual(c, got[0]) || c.Version != 1 {
			t.Fatalf("concurrent creates of one contact got %+v and %+v", got[0], c)
		}
	}
	if n := f.profileCount(t, in.ID, "contactInfoCount"); n != 1 {
		t.Errorf("contactInfoCount %d after one contact created ten times, want 1", n)
	}

	// Once another contact is primary, this one was demoted: the same body is other
	// content now.
	mustCreate(t, contacts, in.ID, newContact(true))
	_, err := contacts.Create(ctx, in.ID, contact)
	wantErr(t, err, persons.ErrAlreadyExists)
	contact.IsPrimary = false
	if again, err := contacts.Create(ctx, in.ID, contact); err != nil || again.Item.Version != 2 {
		t.Errorf("create of the demoted contact's content = %+v, %v; want the stored one, version 2", again, err)
	}
}

// At the cap, a retried create still gets its item (the cap counts it already); a new
// one hits the cap.
func TestCreateRetryAtTheCap(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	p := f.createPerson(t, "Ann", "Smith")
	addresses := f.store.Addresses()
	for range persons.MaxRelatedPerKind - 1 {
		mustCreate(t, addresses, p.ID, newAddress(false))
	}
	last := newAddress(false)
	last.ID = uuid.NewString()
	stored := mustCreate(t, addresses, p.ID, last)
	again, err := addresses.Create(ctx, p.ID, last)
	if err != nil || !reflect.DeepEqual(again.Item, stored) {
		t.Fatalf("retry at the cap = %+v, %v; want %+v", again, err, stored)
	}
	_, err = addresses.Create(ctx, p.ID, newAddress(false))
	wantErr(t, err, persons.ErrLimit)
	if n := f.profileCount(t, p.ID, "addressCount"); n != persons.MaxRelatedPerKind {
		t.Errorf("addressCount %d, want %d", n, persons.MaxRelatedPerKind)
	}
}

// A person being deleted is not the stored result of a create: its id is taken.
func TestCreateRetryOfAPersonBeingDeleted(t *testing.T) {
	f := newFixture(t, failNth("BatchWriteItem", 1))
	ctx := context.Background()
	in := newPerson("Ann", "Smith")
	in.ID = uuid.NewString()
	if _, err := f.store.CreatePerson(ctx, in); err != nil {
		t.Fatal(err)
	}
	mustCreate(t, f.store.Contacts(), in.ID, newContact(false))
	if err := f.store.DeletePerson(ctx, in.ID, 0); err == nil {
		t.Fatal("the delete did not stop after marking the person")
	}
	_, err := f.store.CreatePerson(ctx, in)
	wantErr(t, err, persons.ErrAlreadyExists)
}
