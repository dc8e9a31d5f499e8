package persons_test

import (
	"context"
	"errors"
	"fmt"
	"os"
	"reflect"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/google/uuid"

	"github.com/personsapi/persons/pkg/ddbstats"
	"github.com/personsapi/persons/pkg/ddbtest"
	"github.com/personsapi/persons/pkg/input"
	"github.com/personsapi/persons/pkg/persons"
)

func TestMain(m *testing.M) { os.Exit(ddbtest.Main(m)) }

type fixture struct {
	store *persons.Store
	db    *dynamodb.Client
	table string
}

func newFixture(t *testing.T, optFns ...func(*dynamodb.Options)) *fixture {
	t.Helper()
	db, table := ddbtest.NewTable(t, append([]func(*dynamodb.Options){ddbstats.Counting}, optFns...)...)
	return &fixture{store: persons.New(db, table), db: db, table: table}
}

// count runs op and returns how many DynamoDB requests it made.
func count(t *testing.T, op func(ctx context.Context) error) int64 {
	t.Helper()
	ctx, c := ddbstats.WithCounter(context.Background())
	if err := op(ctx); err != nil {
		t.Fatalf("operation failed: %v", err)
	}
	return c.Load()
}

// itemCount scans the whole table: what is really stored.
func (f *fixture) itemCount(t *testing.T) int {
	t.Helper()
	out, err := f.db.Scan(context.Background(), &dynamodb.ScanInput{TableName: aws.String(f.table), Select: "COUNT"})
	if err != nil {
		t.Fatal(err)
	}
	return int(out.Count)
}

func ptr[T any](v T) *T { return &v }

func newPerson(first, last string) persons.Person {
	return persons.Person{FirstName: first, LastName: last, DateOfBirth: ptr("1980-02-03T00:00:00Z"), Gender: ptr("female")}
}

func (f *fixture) createPerson(t *testing.T, first, last string) persons.Person {
	t.Helper()
	p, err := f.store.CreatePerson(context.Background(), newPerson(first, last))
	if err != nil {
		t.Fatalf("CreatePerson: %v", err)
	}
	return p
}

func newAddress(primary bool) persons.Address {
	return persons.Address{Type: "home", Street: "1 Main St", City: "Springfield", State: "IL", PostalCode: "62701", Country: "US", Primary: persons.Primary{IsPrimary: primary}}
}

func newBankAccount(primary bool) persons.BankAccount {
	return persons.BankAccount{BankName: "Bank", AccountType: "checking", AccountNumberLast4: "1234", IBAN: ptr("GB82WEST12345698765432"), BIC: ptr("DEUTDEFF"), Primary: persons.Primary{IsPrimary: primary}}
}

func newContact(primary bool) persons.ContactInfo {
	return persons.ContactInfo{Type: "email", Value: "ann@example.com", Primary: persons.Primary{IsPrimary: primary}}
}

func newEmployment() persons.Employment {
	return persons.Employment{CompanyName: "Acme", Position: "Engineer", StartDate: "2020-01-01T00:00:00Z", IsCurrent: true, Salary: ptr(50000.0)}
}

func wantErr(t *testing.T, err, target error) {
	t.Helper()
	if !errors.Is(err, target) {
		t.Fatalf("err = %v, want %v", err, target)
	}
}

func wantField(t *testing.T, err error, field string) {
	t.Helper()
	var ve *input.ValidationError
	if !errors.As(err, &ve) {
		t.Fatalf("err = %v, want a ValidationError on %q", err, field)
	}
	for _, f := range ve.Fields {
		if f.Field == field {
			return
		}
	}
	t.Fatalf("ValidationError %v does not name %q", ve, field)
}

func TestPersonCreateGet(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()

	// Client-supplied id (optimistic insert) is kept; server fields are the server's.
	in := newPerson("Ann", "Smith")
	in.ID = uuid.NewString()
	in.Version, in.CreatedAt = 42, "1999-01-01T00:00:00Z"
	p, err := f.store.CreatePerson(ctx, in)
	if err != nil {
		t.Fatal(err)
	}
	if p.ID != in.ID || p.Version != 1 || p.CreatedAt == in.CreatedAt || p.UpdatedAt != p.CreatedAt {
		t.Fatalf("created %+v", p)
	}
	got, err := f.store.GetPerson(ctx, p.ID)
	if err != nil || got.ID != p.ID || got.FirstName != "Ann" || *got.DateOfBirth != *p.DateOfBirth || got.Version != 1 {
		t.Fatalf("GetPerson = %+v, %v", got, err)
	}

	// The same create again (a retry whose first answer was lost) gets the stored
	// person; the same id with other content is taken.
	if again, err := f.store.CreatePerson(ctx, in); err != nil || !reflect.DeepEqual(again, p) {
		t.Fatalf("the same create again = %+v, %v; want the stored %+v", again, err, p)
	}
	other := in
	other.FirstName = "Anne"
	_, err = f.store.CreatePerson(ctx, other)
	wantErr(t, err, persons.ErrAlreadyExists)

	gen := f.createPerson(t, "Bob", "Jones")
	if uuid.Validate(gen.ID) != nil {
		t.Fatalf("generated id %q", gen.ID)
	}
	_, err = f.store.GetPerson(ctx, uuid.NewString())
	wantErr(t, err, persons.ErrNotFound)
	_, err = f.store.GetPerson(ctx, "not-a-uuid")
	wantField(t, err, "personId")

	// Absent optional fields are not stored at all (no NULL attributes).
	bare, err := f.store.CreatePerson(ctx, persons.Person{FirstName: "C", LastName: "D"})
	if err != nil {
		t.Fatal(err)
	}
	out, err := f.db.GetItem(ctx, &dynamodb.GetItemInput{TableName: aws.String(f.table), Key: map[string]types.AttributeValue{
		"pk": sv(persons.PersonPK(bare.ID)), "sk": sv(persons.ProfileSK)}})
	if err != nil {
		t.Fatal(err)
	}
	for _, a := range []string{"dateOfBirth", "gender"} {
		if _, ok := out.Item[a]; ok {
			t.Errorf("absent %s stored as %v", a, out.Item[a])
		}
	}
	for _, a := range []string{"entity", "version", "gsi1pk", "gsi1sk"} {
		if _, ok := out.Item[a]; !ok {
			t.Errorf("item lacks %s", a)
		}
	}
}

func TestListPersonsPagesInNameOrder(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	const n = 250
	var want []string
	for i := range n {
		// Mixed case and shared last names exercise the case-insensitive order.
		last := fmt.Sprintf("%c%s%03d", "aBcDe"[i%5], "name", i%37)
		p := f.createPerson(t, fmt.Sprintf("First%03d", i), last)
		want = append(want, persons.GSI1SK(p.LastName, p.FirstName, p.ID))
	}
	sort.Strings(want)

	var got []string
	seen := map[string]bool{}
	cursor, pages := "", 0
	for {
		var page persons.Page[persons.Person]
		reqs := count(t, func(ctx context.Context) (err error) {
			page, err = f.store.ListPersons(ctx, persons.ListPersonsOptions{Limit: 100, Cursor: cursor})
			return err
		})
		if reqs != 1 {
			t.Errorf("page %d took %d requests, want 1", pages, reqs)
		}
		pages++
		for _, p := range page.Items {
			if seen[p.ID] {
				t.Fatalf("duplicate %s", p.ID)
			}
			seen[p.ID] = true
			got = append(got, persons.GSI1SK(p.LastName, p.FirstName, p.ID))
		}
		if page.NextCursor == "" {
			break
		}
		cursor = page.NextCursor
	}
	if pages != 3 || len(got) != n {
		t.Fatalf("got %d persons in %d pages, want %d in 3", len(got), pages, n)
	}
	if strings.Join(got, ",") != strings.Join(want, ",") {
		t.Fatal("persons not in last name, first name, id order")
	}

	// An exact multiple of the limit ends without an empty extra page.
	page, err := f.store.ListPersons(ctx, persons.ListPersonsOptions{Limit: 50, Cursor: ""})
	if err != nil || len(page.Items) != 50 || page.NextCursor == "" {
		t.Fatalf("default page: %d items, cursor %q, %v", len(page.Items), page.NextCursor, err)
	}
	all, err := f.store.ListPersons(ctx, persons.ListPersonsOptions{LastNamePrefix: "aname00"})
	if err != nil || all.NextCursor != "" {
		t.Fatalf("prefix page: %+v %v", all, err)
	}
	_, err = f.store.ListPersons(ctx, persons.ListPersonsOptions{Limit: persons.MaxPersonsLimit + 1})
	wantField(t, err, "limit")
	_, err = f.store.ListPersons(ctx, persons.ListPersonsOptions{Cursor: "garbage"})
	wantErr(t, err, persons.ErrInvalidCursor)
}

func TestListPersonsPrefix(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	for _, n := range [][2]string{{"Ann", "Smith"}, {"Bob", "smithers"}, {"Cy", "SMYTHE"}, {"Di", "Jones"}, {"Ed", "Östergaard"}, {"Fay", "De Vries"}, {"Gil", "De"}} {
		f.createPerson(t, n[0], n[1])
	}
	tests := []struct {
		prefix string
		want   []string
	}{
		{"smith", []string{"Smith", "smithers"}},
		{"SM", []string{"Smith", "smithers", "SMYTHE"}},
		{"öster", []string{"Östergaard"}},
		{"de", []string{"De", "De Vries"}},
		{"x", nil},
		{"", []string{"De", "De Vries", "Jones", "Smith", "smithers", "SMYTHE", "Östergaard"}},
	}
	for _, tt := range tests {
		t.Run(tt.prefix, func(t *testing.T) {
			var got []string
			cursor := ""
			for {
				page, err := f.store.ListPersons(ctx, persons.ListPersonsOptions{LastNamePrefix: tt.prefix, Limit: 2, Cursor: cursor})
				if err != nil {
					t.Fatal(err)
				}
				for _, p := range page.Items {
					got = append(got, p.LastName)
				}
				if cursor = page.NextCursor; cursor == "" {
					break
				}
			}
			if fmt.Sprint(got) != fmt.Sprint(tt.want) {
				t.Errorf("prefix %q: got %v, want %v", tt.prefix, got, tt.want)
			}
		})
	}
}

func TestPatchPerson(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	a := f.createPerson(t, "Ann", "Adams")
	f.createPerson(t, "Bob", "Brown")
	f.createPerson(t, "Cy", "Clark")

	order := func() string {
		page, err := f.store.ListPersons(ctx, persons.ListPersonsOptions{})
		if err != nil {
			t.Fatal(err)
		}
		var names []string
		for _, p := range page.Items {
			names = append(names, p.FirstName)
		}
		return strings.Join(names, ",")
	}
	if got := order(); got != "Ann,Bob,Cy" {
		t.Fatalf("order %s", got)
	}

	var patched persons.Person
	reqs := count(t, func(ctx context.Context) (err error) {
		patched, err = f.store.UpdatePerson(ctx, a.ID, merge[persons.Person](`{"lastName":"Zimmer","dateOfBirth":null,"version":99,"createdAt":"2000-01-01T00:00:00Z"}`), 1)
		return err
	})
	if reqs != 2 {
		t.Errorf("patch took %d requests, want 2 (read + conditional update)", reqs)
	}
	if patched.LastName != "Zimmer" || patched.FirstName != "Ann" || patched.DateOfBirth != nil || patched.Gender == nil ||
		patched.Version != 2 || patched.CreatedAt != a.CreatedAt {
		t.Fatalf("patched %+v", patched)
	}
	if got := order(); got != "Bob,Cy,Ann" {
		t.Fatalf("after rename order %s, want Bob,Cy,Ann", got)
	}
	got, _ := f.store.GetPerson(ctx, a.ID)
	if got.DateOfBirth != nil || got.Version != 2 || got.LastName != "Zimmer" {
		t.Fatalf("stored %+v", got)
	}

	_, err := f.store.UpdatePerson(ctx, a.ID, merge[persons.Person](`{"firstName":"X"}`), 1)
	wantErr(t, err, persons.ErrVersionMismatch)
	_, err = f.store.UpdatePerson(ctx, a.ID, merge[persons.Person](`{"firstName":""}`), 0)
	wantField(t, err, "firstName")
	_, err = f.store.UpdatePerson(ctx, a.ID, merge[persons.Person](`{"nickname":"X"}`), 0)
	wantField(t, err, "nickname")
	_, err = f.store.UpdatePerson(ctx, a.ID, merge[persons.Person](`{"id":"`+uuid.NewString()+`"}`), 0)
	wantField(t, err, "id")
	_, err = f.store.UpdatePerson(ctx, uuid.NewString(), merge[persons.Person](`{}`), 0)
	wantErr(t, err, persons.ErrNotFound)
	if got, _ := f.store.GetPerson(ctx, a.ID); got.Version != 2 || got.FirstName != "Ann" {
		t.Fatalf("rejected patches changed the person: %+v", got)
	}
}

func TestPersonDetailsInOneRequest(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	p := f.createPerson(t, "Ann", "Smith")
	other := f.createPerson(t, "Bob", "Other")
	for i := range 4 {
		mustCreate(t, f.store.Addresses(), p.ID, newAddress(i == 0))
		mustCreate(t, f.store.BankAccounts(), p.ID, newBankAccount(i == 0))
		mustCreate(t, f.store.Contacts(), p.ID, newContact(i == 0))
	}
	for range 3 {
		mustCreate(t, f.store.Employments(), p.ID, newEmployment())
	}
	mustCreate(t, f.store.Addresses(), other.ID, newAddress(true))

	var d persons.PersonDetails
	reqs := count(t, func(ctx context.Context) (err error) {
		d, err = f.store.GetPersonDetails(ctx, p.ID)
		return err
	})
	if reqs != 1 {
		t.Errorf("person with 15 related items took %d requests, want 1", reqs)
	}
	if d.ID != p.ID || len(d.Addresses) != 4 || len(d.BankAccounts) != 4 || len(d.Contacts) != 4 || len(d.Employments) != 3 {
		t.Fatalf("details: %s with %d/%d/%d/%d", d.ID, len(d.Addresses), len(d.BankAccounts), len(d.Contacts), len(d.Employments))
	}
	for _, a := range d.Addresses {
		if a.PersonID != p.ID {
			t.Fatalf("foreign address %+v", a)
		}
	}
	_, err := f.store.GetPersonDetails(ctx, uuid.NewString())
	wantErr(t, err, persons.ErrNotFound)

	bare := f.createPerson(t, "No", "Kids")
	db, err := f.store.GetPersonDetails(ctx, bare.ID)
	if err != nil || db.Addresses == nil || db.Employments == nil {
		t.Fatalf("empty lists must be [] not null: %+v %v", db, err)
	}
}

func mustCreate[T any, P persons.Record[T]](t *testing.T, r *persons.Related[T, P], personID string, v T) T {
	t.Helper()
	got, err := r.Create(context.Background(), personID, v)
	if err != nil {
		t.Fatalf("create %s: %v", r.Kind().Entity, err)
	}
	return got.Item
}

func TestCascadeDelete(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	p := f.createPerson(t, "Ann", "Smith")
	keep := f.createPerson(t, "Bob", "Keep")
	mustCreate(t, f.store.Addresses(), keep.ID, newAddress(true))
	for i := range 150 {
		switch i % 4 {
		case 0:
			mustCreate(t, f.store.Addresses(), p.ID, newAddress(i == 0))
		case 1:
			mustCreate(t, f.store.BankAccounts(), p.ID, newBankAccount(false))
		case 2:
			mustCreate(t, f.store.Contacts(), p.ID, newContact(false))
		case 3:
			mustCreate(t, f.store.Employments(), p.ID, newEmployment())
		}
	}
	if n := f.itemCount(t); n != 151+2 {
		t.Fatalf("before: %d items", n)
	}
	_, err := f.store.GetPerson(ctx, p.ID)
	if err != nil {
		t.Fatal(err)
	}
	err = f.store.DeletePerson(ctx, p.ID, 7)
	wantErr(t, err, persons.ErrVersionMismatch)
	reqs := count(t, func(ctx context.Context) error { return f.store.DeletePerson(ctx, p.ID, 1) })
	// The mark, a keys-only Query, ceil(150/25) = 6 BatchWriteItem, the Query that finds
	// nothing left, the PROFILE's delete.
	if reqs != 10 {
		t.Errorf("cascade delete of 151 items took %d requests, want 10", reqs)
	}
	if n := f.itemCount(t); n != 2 {
		t.Fatalf("after: %d items left, want only the other person's 2", n)
	}
	wantErr(t, f.store.DeletePerson(ctx, p.ID, 0), persons.ErrNotFound)
	_, err = f.store.GetPerson(ctx, keep.ID)
	if err != nil {
		t.Fatal(err)
	}
}

func TestCreateChildOfMissingPersonWritesNothing(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	missing := uuid.NewString()
	_, err := f.store.Addresses().Create(ctx, missing, newAddress(false))
	wantErr(t, err, persons.ErrNotFound)
	_, err = f.store.Contacts().Create(ctx, missing, newContact(true)) // the primary path too
	wantErr(t, err, persons.ErrNotFound)
	_, err = f.store.Employments().Create(ctx, missing, newEmployment())
	wantErr(t, err, persons.ErrNotFound)
	if n := f.itemCount(t); n != 0 {
		t.Fatalf("%d items written for a missing person", n)
	}
	_, err = f.store.Addresses().List(ctx, missing, persons.ListOptions{})
	wantErr(t, err, persons.ErrNotFound)
}

func TestConcurrentPrimaryWriters(t *testing.T) {
	f := newFixture(t)
	// Many writers on one person on a loaded test machine: what is tested is the
	// invariant, not the production retry budget (TestRetryStopsBeforeTheDeadline).
	f.store.WithRetryBudget(time.Minute)
	ctx := context.Background()
	p := f.createPerson(t, "Ann", "Smith")
	const n = 20
	ids := make([]string, n)
	for i := range ids {
		ids[i] = mustCreate(t, f.store.Addresses(), p.ID, newAddress(false)).ID
	}
	var wg sync.WaitGroup
	errs := make(chan error, n)
	for _, id := range ids {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, err := f.store.Addresses().Update(ctx, p.ID, id, merge[persons.Address](`{"isPrimary":true}`), 0)
			errs <- err
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Errorf("writer failed: %v", err)
		}
	}
	primaries := 0
	page, err := f.store.Addresses().List(ctx, p.ID, persons.ListOptions{Limit: 100})
	if err != nil {
		t.Fatal(err)
	}
	for _, a := range page.Items {
		if a.IsPrimary {
			primaries++
		}
	}
	if primaries != 1 {
		t.Fatalf("%d primary addresses after %d concurrent writers, want exactly 1", primaries, n)
	}

	// Concurrent creates of new primaries hold the rule as well.
	for range n {
		wg.Add(1)
		go func() { defer wg.Done(); _, _ = f.store.Addresses().Create(ctx, p.ID, newAddress(true)) }()
	}
	wg.Wait()
	page, _ = f.store.Addresses().List(ctx, p.ID, persons.ListOptions{Limit: 100})
	primaries = 0
	for _, a := range page.Items {
		if a.IsPrimary {
			primaries++
		}
	}
	if len(page.Items) != 2*n || primaries != 1 {
		t.Fatalf("%d addresses, %d primary; want %d and 1", len(page.Items), primaries, 2*n)
	}
}

func sv(v string) types.AttributeValue { return &types.AttributeValueMemberS{Value: v} }
