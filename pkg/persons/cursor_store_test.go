package persons_test

import (
	"bytes"
	"context"
	"encoding/base64"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/personsapi/persons/pkg/ddbtest"
	"github.com/personsapi/persons/pkg/persons"
)

// TestCursorsThroughTheStore pages persons and addresses with signed cursors on DynamoDB
// Local and checks that an edited cursor, which used to read from the edited position,
// is refused; so are cursors of another key and expired ones, while a rotated-out key
// keeps working.
func TestCursorsThroughTheStore(t *testing.T) {
	ctx := context.Background()
	db, table := ddbtest.NewTable(t)
	oldKey, newKey := bytes.Repeat([]byte{1}, 32), bytes.Repeat([]byte{2}, 32)
	now := time.Date(2026, 12, 1, 12, 0, 0, 0, time.UTC)
	clock := persons.WithClock(func() time.Time { return now })
	store := persons.New(db, table, persons.WithCursorKeys(oldKey), clock)

	var p persons.Person
	for i := range 5 {
		var err error
		if p, err = store.CreatePerson(ctx, newPerson("Ann", fmt.Sprintf("Smith%d", i))); err != nil {
			t.Fatal(err)
		}
	}
	for range 5 {
		if _, err := store.Addresses().Create(ctx, p.ID, newAddress(false)); err != nil {
			t.Fatal(err)
		}
	}
	listPersons := func(s *persons.Store, limit int, cursor string) ([]string, string, error) {
		page, err := s.ListPersons(ctx, persons.ListPersonsOptions{Limit: limit, Cursor: cursor})
		ids := make([]string, len(page.Items))
		for i, v := range page.Items {
			ids[i] = v.ID
		}
		return ids, page.NextCursor, err
	}
	listAddresses := func(s *persons.Store, limit int, cursor string) ([]string, string, error) {
		page, err := s.Addresses().List(ctx, p.ID, persons.ListOptions{Limit: limit, Cursor: cursor})
		ids := make([]string, len(page.Items))
		for i, v := range page.Items {
			ids[i] = v.ID
		}
		return ids, page.NextCursor, err
	}

	for name, list := range map[string]func(*persons.Store, int, string) ([]string, string, error){
		"persons": listPersons, "addresses": listAddresses,
	} {
		t.Run(name, func(t *testing.T) {
			now = time.Date(2026, 12, 1, 12, 0, 0, 0, time.UTC)
			all, _, err := list(store, 100, "")
			if err != nil || len(all) != 5 {
				t.Fatalf("list: %v, %v", all, err)
			}
			first, cursor, err := list(store, 2, "")
			if err != nil || !slices.Equal(first, all[:2]) || cursor == "" {
				t.Fatalf("first page %v, %q, %v; want %v and a cursor", first, cursor, err, all[:2])
			}
			rest := func(s *persons.Store, cursor string) ([]string, error) {
				var ids []string
				for cursor != "" {
					page, next, err := list(s, 2, cursor)
					if err != nil {
						return nil, err
					}
					ids, cursor = append(ids, page...), next
				}
				return ids, nil
			}
			if got, err := rest(store, cursor); err != nil || !slices.Equal(got, all[2:]) {
				t.Errorf("the pages after the first: %v, %v; want %v", got, err, all[2:])
			}

			// The attack: move the start key to another item (as the unsigned cursors
			// allowed) by editing the id in it.
			raw, err := base64.RawURLEncoding.DecodeString(cursor)
			if err != nil || !bytes.Contains(raw, []byte(all[1])) {
				t.Fatalf("cursor %q does not carry the id %s in the clear", cursor, all[1])
			}
			edited := base64.RawURLEncoding.EncodeToString(bytes.ReplaceAll(raw, []byte(all[1]), []byte(all[3])))
			_, _, err = list(store, 2, edited)
			wantErr(t, err, persons.ErrInvalidCursor)

			// Another process without the key (a random one of its own) refuses it.
			_, _, err = list(persons.New(db, table), 2, cursor)
			wantErr(t, err, persons.ErrInvalidCursor)

			// After a rotation the cursor still continues where it did.
			rotated := persons.New(db, table, persons.WithCursorKeys(newKey, oldKey), clock)
			if got, err := rest(rotated, cursor); err != nil || !slices.Equal(got, all[2:]) {
				t.Errorf("the pages after the first, after a rotation: %v, %v; want %v", got, err, all[2:])
			}

			now = now.Add(persons.CursorLifetime + time.Second)
			_, _, err = list(store, 2, cursor)
			wantErr(t, err, persons.ErrCursorExpired)
			wantErr(t, err, persons.ErrInvalidCursor)
		})
	}
}
