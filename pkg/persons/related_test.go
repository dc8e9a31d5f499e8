package persons_test

import (
	"context"
	"errors"
	"fmt"
	"reflect"
	"sync"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/aws/smithy-go/middleware"
	"github.com/google/uuid"

	"github.com/personsapi/persons/pkg/ddbtest"
	"github.com/personsapi/persons/pkg/input"
	"github.com/personsapi/persons/pkg/persons"
)

// kindCase is the per-kind input of the generic related-item tests: a valid item, a
// patch that changes one field, and how to read that field back.
type kindCase[T any, P persons.Record[T]] struct {
	valid   func() T
	patch   string
	patched func(T) bool
	invalid string // a patch that fails validation on the named field
	field   string
}

func TestRelatedCRUD(t *testing.T) {
	t.Run("addresses", func(t *testing.T) {
		testRelatedCRUD(t, func(s *persons.Store) *persons.Related[persons.Address, *persons.Address] { return s.Addresses() }, kindCase[persons.Address, *persons.Address]{
			valid: func() persons.Address { return newAddress(false) }, patch: `{"city":"Shelbyville"}`,
			patched: func(a persons.Address) bool { return a.City == "Shelbyville" && a.Street == "1 Main St" },
			invalid: `{"type":"castle"}`, field: "type",
		})
	})
	t.Run("bank-accounts", func(t *testing.T) {
		testRelatedCRUD(t, func(s *persons.Store) *persons.Related[persons.BankAccount, *persons.BankAccount] {
			return s.BankAccounts()
		}, kindCase[persons.BankAccount, *persons.BankAccount]{
			valid: func() persons.BankAccount { return newBankAccount(false) }, patch: `{"iban":null,"accountType":"savings"}`,
			patched: func(b persons.BankAccount) bool { return b.IBAN == nil && b.AccountType == "savings" && b.BIC != nil },
			invalid: `{"iban":"GB00WEST12345698765432"}`, field: "iban",
		})
	})
	t.Run("contacts", func(t *testing.T) {
		testRelatedCRUD(t, func(s *persons.Store) *persons.Related[persons.ContactInfo, *persons.ContactInfo] {
			return s.Contacts()
		}, kindCase[persons.ContactInfo, *persons.ContactInfo]{
			valid: func() persons.ContactInfo { return newContact(false) }, patch: `{"isVerified":true}`,
			patched: func(c persons.ContactInfo) bool { return c.IsVerified && c.Value == "ann@example.com" },
			invalid: `{"value":"not an email"}`, field: "value",
		})
	})
	t.Run("employments", func(t *testing.T) {
		testRelatedCRUD(t, func(s *persons.Store) *persons.Related[persons.Employment, *persons.Employment] {
			return s.Employments()
		}, kindCase[persons.Employment, *persons.Employment]{
			valid: func() persons.Employment { return newEmployment() }, patch: `{"salary":null,"department":"R&D"}`,
			patched: func(e persons.Employment) bool {
				return e.Salary == nil && e.Department != nil && *e.Department == "R&D" && e.Currency == "USD"
			},
			invalid: `{"endDate":"2019-01-01T00:00:00Z","isCurrent":false}`, field: "endDate",
		})
	})
}

func testRelatedCRUD[T any, P persons.Record[T]](t *testing.T, of func(*persons.Store) *persons.Related[T, P], kc kindCase[T, P]) {
	f := newFixture(t)
	r := of(f.store)
	ctx := context.Background()
	p := f.createPerson(t, "Ann", "Smith")
	other := f.createPerson(t, "Bob", "Jones")

	created := mustCreate(t, r, p.ID, kc.valid())
	id, personID, version := ids[T, P](created)
	if personID != p.ID || uuid.Validate(id) != nil || version != 1 {
		t.Fatalf("created %+v", created)
	}
	got, err := r.Get(ctx, p.ID, id)
	if err != nil || !reflect.DeepEqual(got, created) {
		t.Fatalf("Get = %+v, %v; want %+v", got, err, created)
	}
	_, err = r.Get(ctx, other.ID, id)
	wantErr(t, err, persons.ErrNotFound)
	_, err = r.Get(ctx, p.ID, "nope")
	wantField(t, err, "id")

	// Client id kept; taken id → already exists; body personId contradicting the path.
	clientID := uuid.NewString()
	withID := kc.valid()
	setIDs[T, P](t, &withID, clientID, "")
	if c := mustCreate(t, r, p.ID, withID); idOf[T, P](c) != clientID {
		t.Fatalf("client id not kept: %+v", c)
	}
	_, err = r.Create(ctx, p.ID, withID)
	wantErr(t, err, persons.ErrAlreadyExists)
	wrongParent := kc.valid()
	setIDs[T, P](t, &wrongParent, "", other.ID)
	_, err = r.Create(ctx, p.ID, wrongParent)
	wantField(t, err, "personId")

	// Patch: merge semantics, version bump, stale version rejected.
	w, err := r.Update(ctx, p.ID, id, merge[T](kc.patch), 1)
	patched := w.Item
	if err != nil || !kc.patched(patched) || versionOf[T, P](patched) != 2 {
		t.Fatalf("Patch = %+v, %v", patched, err)
	}
	_, err = r.Update(ctx, p.ID, id, merge[T](kc.patch), 1)
	wantErr(t, err, persons.ErrVersionMismatch)
	_, err = r.Update(ctx, p.ID, id, merge[T](kc.invalid), 0)
	wantField(t, err, kc.field)
	_, err = r.Update(ctx, p.ID, id, merge[T](`{"id":"`+uuid.NewString()+`"}`), 0)
	wantField(t, err, "id")
	_, err = r.Update(ctx, p.ID, uuid.NewString(), merge[T](`{}`), 0)
	wantErr(t, err, persons.ErrNotFound)
	if got, _ := r.Get(ctx, p.ID, id); versionOf[T, P](got) != 2 {
		t.Fatalf("rejected patches changed the item: %+v", got)
	}

	// Replace: all fields, stale version rejected, missing item not found.
	w, err = r.Replace(ctx, p.ID, id, kc.valid(), 2)
	replaced := w.Item
	if err != nil || kc.patched(replaced) || versionOf[T, P](replaced) != 3 || idOf[T, P](replaced) != id {
		t.Fatalf("Replace = %+v, %v", replaced, err)
	}
	_, err = r.Replace(ctx, p.ID, id, kc.valid(), 2)
	wantErr(t, err, persons.ErrVersionMismatch)
	_, err = r.Replace(ctx, p.ID, uuid.NewString(), kc.valid(), 0)
	wantErr(t, err, persons.ErrNotFound)
	contradicting := kc.valid()
	setIDs[T, P](t, &contradicting, uuid.NewString(), "")
	_, err = r.Replace(ctx, p.ID, id, contradicting, 0)
	wantField(t, err, "id")

	// List: pages by begins_with on the kind only; cursors of other lists rejected.
	for range 4 {
		mustCreate(t, r, p.ID, kc.valid())
	}
	mustCreate(t, r, other.ID, kc.valid())
	seen := map[string]bool{}
	cursor := ""
	for {
		page, err := r.List(ctx, p.ID, persons.ListOptions{Limit: 2, Cursor: cursor})
		if err != nil {
			t.Fatal(err)
		}
		for _, v := range page.Items {
			if seen[idOf[T, P](v)] {
				t.Fatalf("duplicate %s", idOf[T, P](v))
			}
			seen[idOf[T, P](v)] = true
		}
		if page.NextCursor == "" {
			break
		}
		cursor = page.NextCursor
		_, err = r.List(ctx, other.ID, persons.ListOptions{Cursor: cursor})
		wantErr(t, err, persons.ErrInvalidCursor)
	}
	if len(seen) != 6 {
		t.Fatalf("listed %d items, want 6", len(seen))
	}
	for _, k := range []*persons.Kind{persons.AddressKind, persons.ContactKind} {
		if k == r.Kind() {
			continue
		}
		// A cursor of this kind's list handed to another kind's list is rejected.
		page, _ := r.List(ctx, p.ID, persons.ListOptions{Limit: 1})
		var err error
		if k == persons.AddressKind {
			_, err = f.store.Addresses().List(ctx, p.ID, persons.ListOptions{Cursor: page.NextCursor})
		} else {
			_, err = f.store.Contacts().List(ctx, p.ID, persons.ListOptions{Cursor: page.NextCursor})
		}
		wantErr(t, err, persons.ErrInvalidCursor)
	}
	personsPage, _ := f.store.ListPersons(ctx, persons.ListPersonsOptions{Limit: 1})
	_, err = r.List(ctx, p.ID, persons.ListOptions{Cursor: personsPage.NextCursor})
	wantErr(t, err, persons.ErrInvalidCursor)

	// Delete: stale version rejected, then gone, then not found.
	wantErr(t, r.Delete(ctx, p.ID, id, 1), persons.ErrVersionMismatch)
	if err := r.Delete(ctx, p.ID, id, 3); err != nil {
		t.Fatal(err)
	}
	_, err = r.Get(ctx, p.ID, id)
	wantErr(t, err, persons.ErrNotFound)
	wantErr(t, r.Delete(ctx, p.ID, id, 0), persons.ErrNotFound)
}

func ids[T any, P persons.Record[T]](v T) (id, personID string, version int64) {
	r := persons.RefOf[T, P](v)
	return r.ID, r.PersonID, r.Version
}
func idOf[T any, P persons.Record[T]](v T) string     { return persons.RefOf[T, P](v).ID }
func versionOf[T any, P persons.Record[T]](v T) int64 { return persons.RefOf[T, P](v).Version }

// merge returns a mutation that applies a JSON merge patch, as the API's PATCH does.
func merge[T any](patch string) func(*T) error {
	return func(v *T) error { return input.MergePatch([]byte(patch), v) }
}

// setIDs sets a related item's ids through its JSON form (the fields differ per type).
func setIDs[T any, P persons.Record[T]](t *testing.T, v *T, id, personID string) {
	t.Helper()
	if err := input.Decode([]byte(fmt.Sprintf(`{"id":%q,"personId":%q}`, id, personID)), v); err != nil {
		t.Fatal(err)
	}
}

func TestPrimarySwitches(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	p := f.createPerson(t, "Ann", "Smith")
	r := f.store.Contacts()
	a := mustCreate(t, r, p.ID, newContact(true))
	b := mustCreate(t, r, p.ID, newContact(false))

	primaries := func() []string {
		page, err := r.List(ctx, p.ID, persons.ListOptions{})
		if err != nil {
			t.Fatal(err)
		}
		var out []string
		for _, c := range page.Items {
			if c.IsPrimary {
				out = append(out, c.ID)
			}
		}
		return out
	}
	if got := primaries(); fmt.Sprint(got) != fmt.Sprint([]string{a.ID}) {
		t.Fatalf("primaries %v, want [a]", got)
	}
	// b becomes primary: a is demoted (and its version bumped) in the same transaction.
	b2, err := r.Update(ctx, p.ID, b.ID, merge[persons.ContactInfo](`{"isPrimary":true}`), b.Version)
	if err != nil || !b2.Item.IsPrimary {
		t.Fatal(b2, err)
	}
	a2, _ := r.Get(ctx, p.ID, a.ID)
	if a2.IsPrimary || a2.Version != 2 {
		t.Fatalf("previous primary not demoted: %+v", a2)
	}
	// A new primary created replaces b.
	c := mustCreate(t, r, p.ID, newContact(true))
	if got := primaries(); fmt.Sprint(got) != fmt.Sprint([]string{c.ID}) {
		t.Fatalf("primaries %v, want [c]", got)
	}
	// Deleting the primary leaves none; then a replace sets one again.
	if err := r.Delete(ctx, p.ID, c.ID, 0); err != nil {
		t.Fatal(err)
	}
	if got := primaries(); len(got) != 0 {
		t.Fatalf("primaries %v after deleting the primary", got)
	}
	v := newContact(true)
	if _, err := r.Replace(ctx, p.ID, a.ID, v, 0); err != nil {
		t.Fatal(err)
	}
	if got := primaries(); fmt.Sprint(got) != fmt.Sprint([]string{a.ID}) {
		t.Fatalf("primaries %v, want [a]", got)
	}
	// Un-primary by patch clears the pointer: a later primary needs no demotion.
	if _, err := r.Update(ctx, p.ID, a.ID, merge[persons.ContactInfo](`{"isPrimary":false}`), 0); err != nil {
		t.Fatal(err)
	}
	if _, err := r.Update(ctx, p.ID, b.ID, merge[persons.ContactInfo](`{"isPrimary":true}`), 0); err != nil {
		t.Fatal(err)
	}
	if got := primaries(); fmt.Sprint(got) != fmt.Sprint([]string{b.ID}) {
		t.Fatalf("primaries %v, want [b]", got)
	}
	// A person patch keeps the primary pointers (it must not overwrite the PROFILE item).
	if _, err := f.store.UpdatePerson(ctx, p.ID, merge[persons.Person](`{"firstName":"Anna"}`), 0); err != nil {
		t.Fatal(err)
	}
	if _, err := r.Update(ctx, p.ID, a.ID, merge[persons.ContactInfo](`{"isPrimary":true}`), 0); err != nil {
		t.Fatal(err)
	}
	if got := primaries(); fmt.Sprint(got) != fmt.Sprint([]string{a.ID}) {
		t.Fatalf("primaries %v after person patch, want [a]", got)
	}
}

// failNth makes the nth call of one DynamoDB operation fail before it is sent.
func failNth(op string, n int) func(*dynamodb.Options) {
	calls := 0
	return func(o *dynamodb.Options) {
		o.APIOptions = append(o.APIOptions, func(s *middleware.Stack) error {
			return s.Initialize.Add(middleware.InitializeMiddlewareFunc("failNth",
				func(ctx context.Context, in middleware.InitializeInput, next middleware.InitializeHandler) (middleware.InitializeOutput, middleware.Metadata, error) {
					if middleware.GetOperationName(ctx) == op {
						calls++
						if calls == n {
							return middleware.InitializeOutput{}, middleware.Metadata{}, errors.New("injected failure")
						}
					}
					return next.HandleInitialize(ctx, in)
				}), middleware.After)
		})
	}
}

func TestInterruptedCascadeDeleteCanBeRerun(t *testing.T) {
	f := newFixture(t, failNth("BatchWriteItem", 2))
	ctx := context.Background()
	p := f.createPerson(t, "Ann", "Smith")
	for range 75 {
		mustCreate(t, f.store.Employments(), p.ID, newEmployment())
		mustCreate(t, f.store.Contacts(), p.ID, newContact(false))
	}
	if err := f.store.DeletePerson(ctx, p.ID, 0); err == nil {
		t.Fatal("interrupted delete reported success")
	}
	// The first batch (25 children) is gone; the person is still visible, but its
	// related items are not found and none can be added.
	if _, err := f.store.GetPerson(ctx, p.ID); err != nil {
		t.Fatalf("person not visible after an interrupted delete: %v", err)
	}
	if n := f.itemCount(t); n != 126 {
		t.Fatalf("%d items after the first batch, want 126", n)
	}
	_, err := f.store.Employments().List(ctx, p.ID, persons.ListOptions{})
	wantErr(t, err, persons.ErrNotFound)
	_, err = f.store.Contacts().Create(ctx, p.ID, newContact(false))
	wantErr(t, err, persons.ErrNotFound)
	if err := f.store.DeletePerson(ctx, p.ID, 0); err != nil {
		t.Fatal(err)
	}
	if n := f.itemCount(t); n != 0 {
		t.Fatalf("%d items left after the re-run", n)
	}
}

// TestRequestCounts pins the number of DynamoDB requests of each operation, how many of
// them are transactions (which cost twice the write units of single-item writes) and how
// many write at all: a write that changes nothing, or that is refused, writes nothing.
func TestRequestCounts(t *testing.T) {
	var ops opRecorder
	f := newFixture(t, ops.install)
	p := f.createPerson(t, "Ann", "Smith")
	addr := mustCreate(t, f.store.Addresses(), p.ID, newAddress(true))
	emp := mustCreate(t, f.store.Employments(), p.ID, newEmployment())
	a, c, e := f.store.Addresses(), f.store.Contacts(), f.store.Employments()
	var cid string
	// conflict runs a write that must be refused with a ConflictError.
	conflict := func(err error) error {
		var ce *persons.ConflictError
		if !errors.As(err, &ce) || ce.Current == nil {
			return fmt.Errorf("want a conflict with the current item, got %v", err)
		}
		return nil
	}
	tests := []struct {
		name   string
		want   int64
		tx     int // TransactWriteItems among them
		writes int // write requests among them
		op     func(ctx context.Context) error
	}{
		{"CreatePerson", 2, 0, 1, func(ctx context.Context) error { _, err := f.store.CreatePerson(ctx, newPerson("B", "C")); return err }},
		{"CreatePerson, id taken", 2, 0, 1, func(ctx context.Context) error {
			np := newPerson("B", "C")
			np.ID = p.ID
			_, err := f.store.CreatePerson(ctx, np)
			return conflict(err)
		}},
		{"GetPerson", 1, 0, 0, func(ctx context.Context) error { _, err := f.store.GetPerson(ctx, p.ID); return err }},
		{"GetPersonDetails", 1, 0, 0, func(ctx context.Context) error { _, err := f.store.GetPersonDetails(ctx, p.ID); return err }},
		{"ListPersons", 1, 0, 0, func(ctx context.Context) error {
			_, err := f.store.ListPersons(ctx, persons.ListPersonsOptions{})
			return err
		}},
		{"PatchPerson", 2, 0, 1, func(ctx context.Context) error {
			_, err := f.store.UpdatePerson(ctx, p.ID, merge[persons.Person](`{"firstName":"X"}`), 0)
			return err
		}},
		{"PatchPerson {} (no change)", 1, 0, 0, func(ctx context.Context) error {
			_, err := f.store.UpdatePerson(ctx, p.ID, merge[persons.Person](`{}`), 0)
			return err
		}},
		{"PatchPerson, same values and server-owned fields (no change)", 1, 0, 0, func(ctx context.Context) error {
			_, err := f.store.UpdatePerson(ctx, p.ID, merge[persons.Person](
				`{"firstName":"X","version":7,"updatedAt":"2001-01-01T00:00:00Z","createdAt":"2001-01-01T00:00:00Z"}`), 0)
			return err
		}},
		{"PatchPerson, stale version", 1, 0, 0, func(ctx context.Context) error {
			_, err := f.store.UpdatePerson(ctx, p.ID, merge[persons.Person](`{}`), 1)
			return conflict(err)
		}},
		{"List related", 2, 0, 0, func(ctx context.Context) error { _, err := a.List(ctx, p.ID, persons.ListOptions{}); return err }},
		{"Get related", 1, 0, 0, func(ctx context.Context) error { _, err := a.Get(ctx, p.ID, addr.ID); return err }},
		{"Create related (not primary)", 1, 1, 1, func(ctx context.Context) error {
			v, err := c.Create(ctx, p.ID, newContact(false))
			cid = v.Item.ID
			return err
		}},
		{"Create related, id taken", 1, 1, 1, func(ctx context.Context) error {
			v := newContact(false)
			v.ID = cid
			_, err := c.Create(ctx, p.ID, v)
			return conflict(err)
		}},
		{"Create related (primary, none before)", 2, 1, 1, func(ctx context.Context) error { _, err := c.Create(ctx, p.ID, newContact(true)); return err }},
		{"Create related (primary, demoting one)", 3, 1, 1, func(ctx context.Context) error { _, err := c.Create(ctx, p.ID, newContact(true)); return err }},
		{"Patch related (not primary)", 2, 0, 1, func(ctx context.Context) error {
			_, err := e.Update(ctx, p.ID, emp.ID, merge[persons.Employment](`{"position":"Lead"}`), 0)
			return err
		}},
		{"Patch related {} (no change)", 1, 0, 0, func(ctx context.Context) error {
			_, err := e.Update(ctx, p.ID, emp.ID, merge[persons.Employment](`{}`), 0)
			return err
		}},
		{"Patch related, same values and version (no change)", 1, 0, 0, func(ctx context.Context) error {
			_, err := e.Update(ctx, p.ID, emp.ID, merge[persons.Employment](`{"position":"Lead","version":99}`), 0)
			return err
		}},
		{"Patch related, stale version", 1, 0, 0, func(ctx context.Context) error {
			_, err := e.Update(ctx, p.ID, emp.ID, merge[persons.Employment](`{}`), 1)
			return conflict(err)
		}},
		{"Patch related (becomes primary, demoting one)", 3, 1, 1, func(ctx context.Context) error {
			_, err := c.Update(ctx, p.ID, cid, merge[persons.ContactInfo](`{"isPrimary":true}`), 0)
			return err
		}},
		{"Replace related", 2, 0, 1, func(ctx context.Context) error {
			_, err := e.Replace(ctx, p.ID, emp.ID, newEmployment(), 0)
			return err
		}},
		{"Replace related, equal to the stored item (no change)", 1, 0, 0, func(ctx context.Context) error {
			_, err := e.Replace(ctx, p.ID, emp.ID, newEmployment(), 0)
			return err
		}},
		{"Delete related", 2, 0, 1, func(ctx context.Context) error { return e.Delete(ctx, p.ID, emp.ID, 0) }},
		{"Patch related (primary stays primary)", 2, 0, 1, func(ctx context.Context) error {
			_, err := a.Update(ctx, p.ID, addr.ID, merge[persons.Address](`{"city":"Shelbyville"}`), 0)
			return err
		}},
		{"DeletePerson, stale version", 1, 0, 1, func(ctx context.Context) error { return conflict(f.store.DeletePerson(ctx, p.ID, 1)) }},
		{"DeletePerson (4 related)", 5, 0, 3, func(ctx context.Context) error { return f.store.DeletePerson(ctx, p.ID, 0) }},
	}
	for _, tt := range tests {
		ops.reset()
		got := count(t, tt.op)
		if got != tt.want {
			t.Errorf("%s: %d requests, want %d", tt.name, got, tt.want)
		}
		if n := ops.count("TransactWriteItems"); n != tt.tx {
			t.Errorf("%s: %d transactions, want %d", tt.name, n, tt.tx)
		}
		if n := ops.writes(); n != tt.writes {
			t.Errorf("%s: %d write requests, want %d", tt.name, n, tt.writes)
		}
		t.Logf("%-60s %d requests, %d transactions, %d writes", tt.name, got, ops.count("TransactWriteItems"), ops.writes())
	}
}

// opRecorder records the DynamoDB operations a client makes.
type opRecorder struct {
	mu  sync.Mutex
	ops []string
}

func (r *opRecorder) install(o *dynamodb.Options) {
	o.APIOptions = append(o.APIOptions, func(s *middleware.Stack) error {
		return s.Initialize.Add(middleware.InitializeMiddlewareFunc("opRecorder",
			func(ctx context.Context, in middleware.InitializeInput, next middleware.InitializeHandler) (middleware.InitializeOutput, middleware.Metadata, error) {
				r.mu.Lock()
				r.ops = append(r.ops, middleware.GetOperationName(ctx))
				r.mu.Unlock()
				return next.HandleInitialize(ctx, in)
			}), middleware.After)
	})
}

// writes counts the requests that write (successfully or not).
func (r *opRecorder) writes() int {
	n := 0
	for _, op := range []string{"PutItem", "UpdateItem", "DeleteItem", "TransactWriteItems", "BatchWriteItem"} {
		n += r.count(op)
	}
	return n
}

func (r *opRecorder) reset() {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.ops = nil
}

func (r *opRecorder) count(op string) int {
	r.mu.Lock()
	defer r.mu.Unlock()
	n := 0
	for _, o := range r.ops {
		if o == op {
			n++
		}
	}
	return n
}

// beforeFirst runs fn once, just before the first call of op.
func beforeFirst(op string, fn func()) func(*dynamodb.Options) {
	var once sync.Once
	return func(o *dynamodb.Options) {
		o.APIOptions = append(o.APIOptions, func(s *middleware.Stack) error {
			return s.Initialize.Add(middleware.InitializeMiddlewareFunc("beforeFirst",
				func(ctx context.Context, in middleware.InitializeInput, next middleware.InitializeHandler) (middleware.InitializeOutput, middleware.Metadata, error) {
					if middleware.GetOperationName(ctx) == op {
						once.Do(fn)
					}
					return next.HandleInitialize(ctx, in)
				}), middleware.After)
		})
	}
}

// A person patch racing its cascade delete: once the delete has begun (the PROFILE is
// marked, before the partition is read) the patch is refused as not found, and the
// delete completes, with or without an expected version.
func TestCascadeDeleteRacingAPatch(t *testing.T) {
	for _, tt := range []struct {
		name      string
		ifVersion int64
	}{{"no version", 0}, {"pinned version", 1}} {
		t.Run(tt.name, func(t *testing.T) {
			var f *fixture
			var id string
			f = newFixture(t, beforeFirst("Query", func() {
				_, err := f.store.UpdatePerson(context.Background(), id, merge[persons.Person](`{"firstName":"Changed"}`), 0)
				if !errors.Is(err, persons.ErrNotFound) {
					t.Errorf("patch during the delete: %v, want not found", err)
				}
			}))
			// Write through a second store so that setting up does not trigger the hook.
			plain := persons.New(ddbtest.Client(t), f.table)
			p, err := plain.CreatePerson(context.Background(), newPerson("Ann", "Smith"))
			if err != nil {
				t.Fatal(err)
			}
			id = p.ID
			if err := f.store.DeletePerson(context.Background(), id, tt.ifVersion); err != nil {
				t.Fatalf("DeletePerson = %v", err)
			}
			_, err = plain.GetPerson(context.Background(), id)
			wantErr(t, err, persons.ErrNotFound)
		})
	}
}

// A PROFILE pointer that names a primary which does not exist (written around the store,
// or left by an old bug) must not block a new primary, nor be "demoted" into a stub item.
func TestPrimaryPointerToMissingItem(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	p := f.createPerson(t, "Ann", "Smith")
	ghost := uuid.NewString()
	_, err := f.db.UpdateItem(ctx, &dynamodb.UpdateItemInput{
		TableName:                 aws.String(f.table),
		Key:                       map[string]types.AttributeValue{"pk": sv(persons.PersonPK(p.ID)), "sk": sv(persons.ProfileSK)},
		UpdateExpression:          aws.String("SET #a = :id"),
		ExpressionAttributeNames:  map[string]string{"#a": persons.AddressKind.PrimaryAttr},
		ExpressionAttributeValues: map[string]types.AttributeValue{":id": sv(ghost)},
	})
	if err != nil {
		t.Fatal(err)
	}
	a := mustCreate(t, f.store.Addresses(), p.ID, newAddress(true))
	if !a.IsPrimary {
		t.Fatalf("created %+v", a)
	}
	if _, err := f.store.Addresses().Get(ctx, p.ID, ghost); !errors.Is(err, persons.ErrNotFound) {
		t.Fatalf("the missing previous primary: %v, want not found (no stub item)", err)
	}
	out, err := f.db.GetItem(ctx, &dynamodb.GetItemInput{TableName: aws.String(f.table),
		Key: map[string]types.AttributeValue{"pk": sv(persons.PersonPK(p.ID)), "sk": sv(persons.ProfileSK)}})
	if err != nil {
		t.Fatal(err)
	}
	if got := out.Item[persons.AddressKind.PrimaryAttr]; !reflect.DeepEqual(got, sv(a.ID)) {
		t.Fatalf("pointer = %v, want %s", got, a.ID)
	}
}

func TestItemsOfAPersonKeepOnePrimary(t *testing.T) {
	p := newPerson("Ann", "Smith")
	p.ID = uuid.NewString()
	d := persons.PersonDetails{Person: p}
	for _, primary := range []bool{false, true} {
		a := newAddress(primary)
		a.ID, a.PersonID = uuid.NewString(), p.ID
		d.Addresses = append(d.Addresses, a)
	}
	items, err := persons.Items(d)
	if err != nil {
		t.Fatal(err)
	}
	if len(items) != 3 || !reflect.DeepEqual(items[0][persons.AddressKind.PrimaryAttr], sv(d.Addresses[1].ID)) {
		t.Fatalf("items %v: want the PROFILE first, pointing to the primary address", items)
	}
	d.Addresses[0].IsPrimary = true
	if _, err := persons.Items(d); err == nil {
		t.Fatal("two primary addresses encoded without an error")
	}
}
