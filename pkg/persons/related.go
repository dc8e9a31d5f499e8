package persons

import (
	"context"
	"errors"
	"fmt"
	"reflect"
	"strings"

	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/expression"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/personsapi/persons/pkg/input"
	"github.com/personsapi/persons/pkg/metrics"
)

// Related reads and writes one kind of item related to a person (addresses, bank
// accounts, contacts or employments). One generic implementation serves them all; T is
// the item type and P its pointer type (inferred: RelatedOf[Address](s)).
//
// Kinds with isPrimary keep at most one primary item per person: the PROFILE item holds
// a pointer (Kind.PrimaryAttr) to it, and every write that changes which item is primary
// moves the pointer, writes the item and demotes the previous primary in ONE conditional
// transaction, retried when a concurrent writer got there first.
type Related[T any, P Record[T]] struct {
	s    *Store
	kind *Kind
}

// RelatedOf returns the store's accessor for the related kind T.
func RelatedOf[T any, P Record[T]](s *Store) *Related[T, P] {
	return &Related[T, P]{s: s, kind: KindOf[T, P]()}
}

// Addresses returns the accessor for a person's addresses.
func (s *Store) Addresses() *Related[Address, *Address] { return RelatedOf[Address](s) }

// BankAccounts returns the accessor for a person's bank accounts.
func (s *Store) BankAccounts() *Related[BankAccount, *BankAccount] {
	return RelatedOf[BankAccount](s)
}

// Contacts returns the accessor for a person's contact infos.
func (s *Store) Contacts() *Related[ContactInfo, *ContactInfo] { return RelatedOf[ContactInfo](s) }

// Employments returns the accessor for a person's employments.
func (s *Store) Employments() *Related[Employment, *Employment] { return RelatedOf[Employment](s) }

// Kind describes the related kind.
func (r *Related[T, P]) Kind() *Kind { return r.kind }

// ListOptions select a page of a list.
type ListOptions struct {
	Limit  int    // 0 means DefaultLimit; at most MaxLimit
	Cursor string // NextCursor of the previous page
}

// List returns a page of the person's items of this kind, in id order. A person that
// does not exist yields ErrNotFound.
func (r *Related[T, P]) List(ctx context.Context, personID string, o ListOptions) (Page[T], error) {
	if err := checkID("personId", &personID); err != nil {
		return Page[T]{}, err
	}
	limit, err := pageLimit(o.Limit, MaxLimit)
	if err != nil {
		return Page[T]{}, err
	}
	// The person first: the items of a person that does not exist (left by data written
	// around the store) or is being deleted are not listed.
	if p, err := r.s.getProfile(ctx, personID, eventual); err != nil {
		return Page[T]{}, err
	} else if !p.usable() {
		return Page[T]{}, personGone(personID)
	}
	begins := expression.Key(AttrSK).BeginsWith(r.kind.skPrefix)
	in, err := partitionQuery(r.s.table, personPK(personID), &begins, nil, eventual)
	if err != nil {
		return Page[T]{}, err
	}
	items, next, err := r.s.queryPage(ctx, in, childList(personID, r.kind), limit, o.Cursor)
	if err != nil {
		return Page[T]{}, err
	}
	list, err := decodeItems[T](items)
	if err != nil {
		return Page[T]{}, fmt.Errorf("unmarshal %s: %w", r.kind.Entity, err)
	}
	return Page[T]{Items: list, NextCursor: next}, nil
}

// Get returns one item.
func (r *Related[T, P]) Get(ctx context.Context, personID, id string) (T, error) {
	if err := checkIDs(&personID, &id); err != nil {
		var zero T
		return zero, err
	}
	v, _, err := r.read(ctx, personID, id, eventual)
	if err != nil {
		var zero T
		return zero, err
	}
	return *v, nil
}

// read reads and decodes one item, and its person's PROFILE, in one request. The item
// of a person that does not exist or is being deleted is not found.
func (r *Related[T, P]) read(ctx context.Context, personID, id string, c consistency) (*T, profile, error) {
	item, p, err := r.s.getWithProfile(ctx, personID, r.kind.sk(id), c)
	switch {
	case err != nil:
		return nil, p, r.wrap(id, err)
	case !p.usable():
		return nil, p, personGone(personID)
	case item == nil:
		return nil, p, r.wrap(id, ErrNotFound)
	}
	v := new(T)
	if err := unmarshal(item, v); err != nil {
		return nil, p, fmt.Errorf("unmarshal %s %s: %w", r.kind.Entity, id, err)
	}
	return v, p, nil
}

// Written is the outcome of a write of a related item: the item as stored, and the other
// items of the person that the write changed (today: the previous primary it demoted), each
// in its new state, so that a client holding copies can apply every change the write made.
// Changed is empty, never nil, when the write changed nothing else.
type Written[T any] struct {
	Item    T
	Changed []T
}

// Create stores a new item of the person. A client-supplied id is kept, else one is
// generated; a body personId must match personID. The person must exist (ErrNotFound):
// an item is never written without its person.
//
// Creates are idempotent: when the id is taken by an item with the same content (all
// but the version, which is the server's), the create is taken for a retry of the one
// that stored it, whose answer was lost, and returns the stored item. It was counted
// under the kind's cap once, when it was stored. Other content is a *ConflictError with
// the stored item (ErrAlreadyExists).
func (r *Related[T, P]) Create(ctx context.Context, personID string, v T) (Written[T], error) {
	if err := checkID("personId", &personID); err != nil {
		return Written[T]{}, err
	}
	k := P(&v).itemKey()
	if k.PersonID != "" && !strings.EqualFold(k.PersonID, personID) {
		return Written[T]{}, mismatch("personId")
	}
	k.PersonID = personID
	if k.ID == "" {
		k.ID = r.s.newID()
	}
	k.ID = canonicalID(k.ID)
	return r.write(ctx, write[T]{op: opCreate, personID: personID, id: k.ID, change: func(*T) (*T, error) { return &v, nil }})
}

// Replace overwrites an existing item with v (all fields). ifVersion, when not 0, must
// equal the stored version. A v equal to the stored item writes nothing (see Update).
func (r *Related[T, P]) Replace(ctx context.Context, personID, id string, v T, ifVersion int64) (Written[T], error) {
	return r.Update(ctx, personID, id, func(cur *T) error {
		*cur = v
		return nil
	}, ifVersion)
}

// Update changes an existing item: mutate receives the stored item and changes it in
// place (the API applies a merge patch there). The ids must stay those of the path; the
// version is the server's. ifVersion, when not 0, must equal the stored version (else a
// *ConflictError with the stored item, ErrVersionMismatch); without it, a concurrent
// write makes the store read again and re-apply mutate.
//
// A change that leaves the item as it is (in its stored form; the version is the
// server's) writes nothing and returns the stored item, version unchanged.
func (r *Related[T, P]) Update(ctx context.Context, personID, id string, mutate func(*T) error, ifVersion int64) (Written[T], error) {
	if err := checkIDs(&personID, &id); err != nil {
		return Written[T]{}, err
	}
	return r.write(ctx, write[T]{op: opUpdate, personID: personID, id: id, ifVersion: ifVersion, change: func(cur *T) (*T, error) {
		if err := mutate(cur); err != nil {
			return nil, err
		}
		k := P(cur).itemKey()
		if k.PersonID != "" && !strings.EqualFold(k.PersonID, personID) {
			return nil, mismatch("personId")
		}
		if k.ID != "" && !strings.EqualFold(k.ID, id) {
			return nil, mismatch("id")
		}
		k.PersonID, k.ID = personID, id
		return cur, nil
	}})
}

// Delete removes one item. ifVersion, when not 0, must equal the stored version.
func (r *Related[T, P]) Delete(ctx context.Context, personID, id string, ifVersion int64) error {
	if err := checkIDs(&personID, &id); err != nil {
		return err
	}
	_, err := r.write(ctx, write[T]{op: opDelete, personID: personID, id: id, ifVersion: ifVersion,
		change: func(*T) (*T, error) { return nil, nil }})
	return err
}

func checkIDs(personID, id *string) error {
	if err := checkID("personId", personID); err != nil {
		return err
	}
	return checkID("id", id)
}

func mismatch(field string) error { return input.FieldErr(field, "does not match the path") }

func (r *Related[T, P]) wrap(id string, err error) error {
	return fmt.Errorf("%s %s: %w", r.kind.Entity, id, err)
}

// op is what a write does to its item.
type op int

const (
	opCreate op = iota // the item must not exist yet
	opUpdate           // the item must exist; it is replaced by the next state
	opDelete           // the item must exist; it is removed
)

// write is one write of a related item.
type write[T any] struct {
	op           op
	personID, id string
	ifVersion    int64 // 0: none
	// change computes the item's next state from the stored one (nil for a create);
	// for a delete it returns nil.
	change func(cur *T) (*T, error)
}

// write is the one write path of related items: each attempt reads what the write
// depends on, computes the next state, and commits it with conditions that fail if any
// of that changed since; then the attempt is retried from a fresh read.
func (r *Related[T, P]) write(ctx context.Context, w write[T]) (Written[T], error) {
	var out Written[T]
	err := r.s.retry(ctx, func() error {
		var err error
		out, err = r.attempt(ctx, &w)
		return err
	})
	return out, err
}

func (r *Related[T, P]) attempt(ctx context.Context, w *write[T]) (Written[T], error) {
	var (
		cur  *T
		prof profile
		err  error
		none Written[T]
	)
	if w.op != opCreate {
		if cur, prof, err = r.read(ctx, w.personID, w.id, strong); err != nil {
			return none, err
		}
		if w.ifVersion != 0 && P(cur).versioned().Version != w.ifVersion {
			return none, r.wrap(w.id, conflict[T, P](cur, ErrVersionMismatch))
		}
	}
	next, err := r.next(cur, w.change)
	if err != nil {
		return none, err
	}
	if w.op == opUpdate && unchanged[T, P](cur, next) {
		return Written[T]{Item: *cur, Changed: []T{}}, nil
	}
	wasPrimary, nowPrimary := cur != nil && isPrimary(P(cur)), next != nil && isPrimary(P(next))
	movesPointer := r.kind.PrimaryAttr != "" && wasPrimary != nowPrimary
	if w.op == opCreate && movesPointer {
		// A new primary: the pointer's current value is needed for the condition.
		if prof, err = r.s.getProfile(ctx, w.personID, strong); err != nil {
			return none, err
		} else if !prof.usable() {
			return none, personGone(w.personID)
		}
	}
	// The previous primary, read to be demoted on condition that it is still what was
	// read: its new state is then known exactly, for Written.Changed.
	var demoted *T
	if prev := prof.pointer(r.kind); movesPointer && nowPrimary && prev != "" && prev != w.id {
		if demoted, err = r.getItem(ctx, w.personID, prev); err != nil {
			return none, err
		}
	}

	t := r.s.tx()
	if err := r.itemPart(t, w, cur, next); err != nil {
		return none, err
	}
	changed, err := r.personPart(t, w, prof, movesPointer, nowPrimary, demoted)
	if err != nil {
		return none, err
	}
	var ce *conditionError
	switch err := t.commit(ctx, r.s.db); {
	case errors.Is(err, errConflict):
		return none, errRetry
	case errors.As(err, &ce):
		if w.op == opCreate && ce.failed(partItem) && (!ce.failed(partPerson) || (profile{item: ce.old[partPerson]}).usable()) {
			// Before the cap: a retried create of a person at the cap must find its item.
			out, err := r.replayed(w, next, ce.old[partItem])
			if err == nil {
				metrics.Replay(ctx)
			}
			return out, err
		}
		return none, r.failed(ctx, w, ce)
	case err != nil:
		return none, r.wrap(w.id, err)
	}
	if next == nil {
		return Written[T]{Changed: changed}, nil
	}
	return Written[T]{Item: *next, Changed: changed}, nil
}

// next computes the item's next state from cur (nil for a create) and brings it into its
// stored form: defaults, version, Clean. It is nil for a delete.
func (r *Related[T, P]) next(cur *T, change func(*T) (*T, error)) (*T, error) {
	var curCopy *T
	if cur != nil {
		// change may modify its argument in place, through pointer fields too (a merge
		// patch decodes through pointers that are set); cur must stay what was read, for
		// the version condition and to tell a change from none.
		var err error
		if curCopy, err = deepCopy(cur); err != nil {
			return nil, err
		}
	}
	next, err := change(curCopy)
	if err != nil || next == nil {
		return nil, err
	}
	if d, ok := any(P(next)).(defaulter); ok {
		d.setDefaults()
	}
	P(next).versioned().Version = 1
	if cur != nil {
		P(next).versioned().Version = P(cur).versioned().Version + 1
	}
	if err := P(next).Clean(); err != nil {
		return nil, err
	}
	return next, nil
}

// deepCopy returns a copy of v that shares no pointer with it.
func deepCopy[T any](v *T) (*T, error) {
	item, err := marshal(v)
	if err != nil {
		return nil, fmt.Errorf("copy: %w", err)
	}
	out := new(T)
	if err := unmarshal(item, out); err != nil {
		return nil, fmt.Errorf("copy: %w", err)
	}
	return out, nil
}

// unchanged reports whether next is cur but for the version the write would give it: a
// write that changes nothing is not made, so that a client that sends back what it holds
// (or an empty patch) does not bump the version and make every other client refetch.
func unchanged[T any, P Record[T]](cur, next *T) bool {
	if cur == nil || next == nil {
		return false
	}
	n := *next
	P(&n).versioned().Version = P(cur).versioned().Version
	return reflect.DeepEqual(*cur, n)
}

// getItem reads one item of the kind, strongly consistent; nil when it does not exist.
func (r *Related[T, P]) getItem(ctx context.Context, personID, id string) (*T, error) {
	item, err := r.s.getItem(ctx, personPK(personID), r.kind.sk(id), strong)
	if errors.Is(err, ErrNotFound) {
		return nil, nil
	} else if err != nil {
		return nil, r.wrap(id, err)
	}
	v := new(T)
	if err := unmarshal(item, v); err != nil {
		return nil, fmt.Errorf("unmarshal %s %s: %w", r.kind.Entity, id, err)
	}
	return v, nil
}

// itemPart adds the item's own write to t: a put of a new item, on condition that its id
// is free; a put or delete of an existing one, on condition that it is still the version
// read. Either asks for the stored item should its condition fail: a conflict reports it.
func (r *Related[T, P]) itemPart(t *tx, w *write[T], cur, next *T) error {
	switch w.op {
	case opCreate:
		item, err := childItem(P(next))
		if err != nil {
			return err
		}
		t.put(partItem, item, expression.AttributeNotExists(expression.Name(AttrPK)))
	case opDelete:
		sameVersion := expression.Name(AttrVersion).Equal(expression.Value(P(cur).versioned().Version))
		t.del(partItem, key(personPK(w.personID), r.kind.sk(w.id)), &sameVersion)
	default:
		item, err := childItem(P(next))
		if err != nil {
			return err
		}
		t.put(partItem, item, expression.Name(AttrVersion).Equal(expression.Value(P(cur).versioned().Version)))
	}
	t.returnOld(partItem)
	return nil
}

// personPart adds the person's part to t, and the demotion of the previous primary: a
// create counts the item under the cap and checks that the person exists and is not
// being deleted; a write that changes which item is primary moves the pointer. Other
// updates and deletes need no part here: their version condition fails if the item was
// deleted (with its person) or demoted meanwhile. It returns the demoted item's new state.
func (r *Related[T, P]) personPart(t *tx, w *write[T], prof profile, movesPointer, nowPrimary bool, demoted *T) ([]T, error) {
	changed := []T{}
	var upd expression.UpdateBuilder
	cond := usableCond()
	person := w.op == opCreate || movesPointer
	if w.op == opCreate {
		count := expression.Name(r.kind.countAttr())
		upd = upd.Add(count, expression.Value(1))
		cond = cond.And(expression.Or(expression.AttributeNotExists(count), count.LessThan(expression.Value(MaxRelatedPerKind))))
	}
	if movesPointer {
		attr := expression.Name(r.kind.PrimaryAttr)
		prev := prof.pointer(r.kind)
		if prev == "" {
			cond = cond.And(expression.AttributeNotExists(attr))
		} else {
			cond = cond.And(attr.Equal(expression.Value(prev)))
		}
		switch {
		case nowPrimary && prev != w.id:
			upd = upd.Set(attr, expression.Value(w.id))
			// A pointer to an item that does not exist (data written around the store)
			// has nothing to demote: it just moves.
			if demoted != nil {
				d, err := r.demotion(t, demoted)
				if err != nil {
					return nil, err
				}
				changed = append(changed, d)
			}
		case !nowPrimary && prev == w.id:
			upd = upd.Remove(attr)
		default:
			// The pointer already says what the write wants (data written around the
			// store); it is left as it is, but still conditioned on.
			if w.op != opCreate {
				person = false
			}
		}
	}
	if person {
		t.update(partPerson, key(personPK(w.personID), profileSK), upd, cond)
		t.returnOld(partPerson)
	}
	return changed, nil
}

// demotion adds the demotion of the previous primary prev to t, on condition that prev
// is still the version read, and returns its new state.
func (r *Related[T, P]) demotion(t *tx, prev *T) (T, error) {
	d := *prev
	pk := P(&d).itemKey()
	ver := P(&d).versioned()
	pr, ok := any(P(&d)).(interface{ primary() *Primary })
	if !ok {
		return d, fmt.Errorf("%s has no primary flag to demote", r.kind.Entity)
	}
	t.update(partDemote, key(personPK(pk.PersonID), r.kind.sk(pk.ID)),
		expression.Set(expression.Name(attrIsPrimary), expression.Value(false)).Add(expression.Name(AttrVersion), expression.Value(1)),
		expression.Name(AttrVersion).Equal(expression.Value(ver.Version)))
	pr.primary().IsPrimary = false
	ver.Version++
	return d, nil
}

// failed turns the failed conditions of a commit into the write's result.
func (r *Related[T, P]) failed(ctx context.Context, w *write[T], ce *conditionError) error {
	if ce.failed(partPerson) {
		old := profile{item: ce.old[partPerson]}
		switch {
		case !old.usable():
			return personGone(w.personID)
		case w.op == opCreate && old.count(r.kind) >= MaxRelatedPerKind:
			return r.recount(ctx, w.personID, old.count(r.kind))
		}
		// The pointer moved since it was read.
		return errRetry
	}
	if !ce.failed(partItem) || (w.op != opCreate && w.ifVersion == 0) {
		// The previous primary, or the item, changed since they were read (or the item is
		// gone, which the next read tells).
		return errRetry
	}
	var stored *T
	if old := ce.old[partItem]; old != nil {
		stored = new(T)
		if err := unmarshal(old, stored); err != nil {
			return fmt.Errorf("unmarshal %s %s: %w", r.kind.Entity, w.id, err)
		}
	}
	switch {
	case w.op == opCreate:
		return r.wrap(w.id, conflict[T, P](stored, ErrAlreadyExists))
	case stored == nil:
		return errRetry // deleted meanwhile: the next read says not found
	default:
		return r.wrap(w.id, conflict[T, P](stored, ErrVersionMismatch))
	}
}

// replayed answers a create of next whose id is taken by old, the stored item DynamoDB
// returned with the failed condition (no extra read): the stored item if it has next's
// content (a retry of the create that stored it), else a conflict holding it. The failed
// transaction wrote nothing, so the person's counter counts the item once.
func (r *Related[T, P]) replayed(w *write[T], next *T, old map[string]types.AttributeValue) (Written[T], error) {
	if old == nil {
		// Deleted since the commit failed: the create can be tried again.
		return Written[T]{}, errRetry
	}
	stored := new(T)
	if err := unmarshal(old, stored); err != nil {
		return Written[T]{}, fmt.Errorf("unmarshal %s %s: %w", r.kind.Entity, w.id, err)
	}
	if !sameContent(*stored, *next, func(v *T) { P(v).versioned().Version = 0 }) {
		return Written[T]{}, r.wrap(w.id+" with other content", conflict[T, P](stored, ErrAlreadyExists))
	}
	return Written[T]{Item: *stored, Changed: []T{}}, nil
}

// recount counts the person's items of this kind after a create found the counter at
// the cap: deletes do not decrement it. Below the cap, it sets the counter to the real
// number, on condition that no create counted meanwhile, and asks for another attempt;
// at the cap, the create fails with a *LimitError.
func (r *Related[T, P]) recount(ctx context.Context, personID string, counted int64) error {
	begins := expression.Key(AttrSK).BeginsWith(r.kind.skPrefix)
	in, err := partitionQuery(r.s.table, personPK(personID), &begins, nil, strong)
	if err != nil {
		return err
	}
	in.Select = types.SelectCount
	n := int64(0)
	for p := dynamodb.NewQueryPaginator(r.s.db, in); p.HasMorePages(); {
		out, err := p.NextPage(ctx)
		if err != nil {
			return fmt.Errorf("count %s of person %s: %w", r.kind.Entity, personID, err)
		}
		n += int64(out.Count)
	}
	if n >= MaxRelatedPerKind {
		return &LimitError{Kind: r.kind, Max: MaxRelatedPerKind}
	}
	count := expression.Name(r.kind.countAttr())
	t := r.s.tx()
	t.update(partPerson, key(personPK(personID), profileSK), expression.Set(count, expression.Value(n)),
		usableCond().And(count.Equal(expression.Value(counted))))
	var ce *conditionError
	if err := t.commit(ctx, r.s.db); err != nil && !errors.As(err, &ce) {
		return fmt.Errorf("recount %s of person %s: %w", r.kind.Entity, personID, err)
	}
	return errRetry
}

// attrIsPrimary is the attribute of Primary.IsPrimary.
var attrIsPrimary = func() string {
	item, err := marshal(Primary{})
	if err != nil || len(item) != 1 {
		panic(fmt.Sprintf("persons: Primary must marshal to one attribute: %v", err))
	}
	for name := range item {
		return name
	}
	return ""
}()
