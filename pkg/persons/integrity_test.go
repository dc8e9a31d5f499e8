package persons_test

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/google/uuid"

	"github.com/personsapi/persons/pkg/persons"
)

// partition returns every item of a person's partition, read strongly consistent.
func (f *fixture) partition(t *testing.T, personID string) []map[string]types.AttributeValue {
	t.Helper()
	out, err := f.db.Query(context.Background(), &dynamodb.QueryInput{
		TableName:                 aws.String(f.table),
		KeyConditionExpression:    aws.String("pk = :pk"),
		ExpressionAttributeValues: map[string]types.AttributeValue{":pk": sv(persons.PersonPK(personID))},
		ConsistentRead:            aws.Bool(true),
	})
	if err != nil {
		t.Fatal(err)
	}
	return out.Items
}

// allowed reports whether err is an answer a related-item call may give while its
// person is deleted under it: success or a clean refusal, never an internal error.
func allowed(err error) bool {
	return err == nil || errors.Is(err, persons.ErrNotFound) || errors.Is(err, persons.ErrVersionMismatch) ||
		errors.Is(err, persons.ErrAlreadyExists) || errors.Is(err, persons.ErrContention)
}

// TestDeleteRacingChildWrites: rounds of a cascade delete racing creates, patches and
// primary switches of the person's items. After every successful delete the partition is
// empty, and nothing of the old person shows up under a new person with the same id.
func TestDeleteRacingChildWrites(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	rounds, writers := 12, 6
	if testing.Short() {
		rounds = 3
	}
	for round := range rounds {
		p := f.createPerson(t, "Ann", fmt.Sprint("Round", round))
		addrs := f.store.Addresses()
		var ids []string
		for i := range 20 {
			ids = append(ids, mustCreate(t, addrs, p.ID, newAddress(i == 0)).ID)
		}
		var wg sync.WaitGroup
		var stop atomic.Bool
		var bad atomic.Value
		for w := range writers {
			wg.Go(func() {
				for i := 0; !stop.Load() && i < 40; i++ {
					var err error
					switch (w + i) % 3 {
					case 0:
						_, err = addrs.Create(ctx, p.ID, newAddress(i%5 == 0))
					case 1:
						_, err = addrs.Update(ctx, p.ID, ids[(w+i)%len(ids)], merge[persons.Address](`{"city":"Elsewhere"}`), 0)
					case 2:
						_, err = addrs.Update(ctx, p.ID, ids[(w*7+i)%len(ids)], merge[persons.Address](`{"isPrimary":true}`), 0)
					}
					if !allowed(err) {
						bad.Store(err)
					}
				}
			})
		}
		err := f.store.DeletePerson(ctx, p.ID, 0)
		stop.Store(true)
		wg.Wait()
		if err != nil {
			t.Fatalf("round %d: DeletePerson: %v", round, err)
		}
		if err, _ := bad.Load().(error); err != nil {
			t.Fatalf("round %d: a concurrent write failed badly: %v", round, err)
		}
		if left := f.partition(t, p.ID); len(left) != 0 {
			t.Fatalf("round %d: %d items left after the delete returned", round, len(left))
		}
		// Nothing comes back: not through the old person's routes, nor under a new
		// person with the same (client-chosen) id.
		_, err = addrs.List(ctx, p.ID, persons.ListOptions{})
		wantErr(t, err, persons.ErrNotFound)
		again := newPerson("Ann", "Again")
		again.ID = p.ID
		if _, err := f.store.CreatePerson(ctx, again); err != nil {
			t.Fatal(err)
		}
		d, err := f.store.GetPersonDetails(ctx, p.ID)
		if err != nil || len(d.Addresses) != 0 {
			t.Fatalf("round %d: the re-created person has %d addresses (%v)", round, len(d.Addresses), err)
		}
		if err := f.store.DeletePerson(ctx, p.ID, 0); err != nil {
			t.Fatal(err)
		}
	}
}

// An item whose person does not exist (written around the store) is not found by any
// operation, and a person created with that id does not adopt it.
func TestItemsWithoutAPersonAreNotFound(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	personID, id := uuid.NewString(), uuid.NewString()
	a := newAddress(true)
	a.ID, a.PersonID = id, personID
	items, err := persons.Items(persons.PersonDetails{Person: persons.Person{ID: personID}, Addresses: []persons.Address{a}})
	if err != nil {
		t.Fatal(err)
	}
	// Only the address, as an older version's interrupted delete could leave it.
	if _, err := f.db.PutItem(ctx, &dynamodb.PutItemInput{TableName: aws.String(f.table), Item: items[1]}); err != nil {
		t.Fatal(err)
	}
	addrs := f.store.Addresses()
	_, err = addrs.List(ctx, personID, persons.ListOptions{})
	wantErr(t, err, persons.ErrNotFound)
	_, err = addrs.Get(ctx, personID, id)
	wantErr(t, err, persons.ErrNotFound)
	_, err = addrs.Update(ctx, personID, id, merge[persons.Address](`{"city":"X"}`), 0)
	wantErr(t, err, persons.ErrNotFound)
	_, err = addrs.Replace(ctx, personID, id, newAddress(false), 0)
	wantErr(t, err, persons.ErrNotFound)
	wantErr(t, addrs.Delete(ctx, personID, id, 0), persons.ErrNotFound)
	_, err = addrs.Create(ctx, personID, newAddress(false))
	wantErr(t, err, persons.ErrNotFound)

	p := newPerson("Ann", "Smith")
	p.ID = personID
	if _, err := f.store.CreatePerson(ctx, p); err != nil {
		t.Fatal(err)
	}
	d, err := f.store.GetPersonDetails(ctx, personID)
	if err != nil || len(d.Addresses) != 0 {
		t.Fatalf("the new person adopted %d old addresses (%v)", len(d.Addresses), err)
	}
}

// The cap per kind holds under concurrent creates, and deletes make room again.
func TestRelatedCapUnderConcurrentCreates(t *testing.T) {
	f := newFixture(t)
	// Many writers on one person on a loaded test machine: what is tested is the
	// invariant, not the production retry budget (TestRetryStopsBeforeTheDeadline).
	f.store.WithRetryBudget(time.Minute)
	ctx := context.Background()
	p := f.createPerson(t, "Ann", "Smith")
	contacts := f.store.Contacts()
	const start = persons.MaxRelatedPerKind - 10
	var ids []string
	for range start {
		ids = append(ids, mustCreate(t, contacts, p.ID, newContact(false)).ID)
	}
	var ok, limited atomic.Int64
	var wg sync.WaitGroup
	for range 30 {
		wg.Go(func() {
			_, err := contacts.Create(ctx, p.ID, newContact(false))
			var le *persons.LimitError
			switch {
			case err == nil:
				ok.Add(1)
			case errors.As(err, &le) && errors.Is(err, persons.ErrLimit) && le.Max == persons.MaxRelatedPerKind:
				limited.Add(1)
			default:
				t.Errorf("create: %v", err)
			}
		})
	}
	wg.Wait()
	if ok.Load() != 10 || limited.Load() != 20 {
		t.Fatalf("%d creates succeeded and %d hit the cap, want 10 and 20", ok.Load(), limited.Load())
	}
	page, err := contacts.List(ctx, p.ID, persons.ListOptions{Limit: persons.MaxLimit})
	if err != nil || len(page.Items) != persons.MaxRelatedPerKind {
		t.Fatalf("%d contacts (%v), want %d", len(page.Items), err, persons.MaxRelatedPerKind)
	}
	// Other kinds have caps of their own.
	mustCreate(t, f.store.Addresses(), p.ID, newAddress(false))
	// Deletes do not decrement the counter; the next create at the cap recounts.
	for _, id := range ids[:3] {
		if err := contacts.Delete(ctx, p.ID, id, 0); err != nil {
			t.Fatal(err)
		}
	}
	for range 3 {
		mustCreate(t, contacts, p.ID, newContact(false))
	}
	_, err = contacts.Create(ctx, p.ID, newContact(false))
	wantErr(t, err, persons.ErrLimit)
}
