package persons

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/expression"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/personsapi/persons/pkg/input"
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
	limit, err := pageLimit(o.Limit)
	if err != nil {
		return Page[T]{}, err
	}
	// The person first: the items of a person that does not exist (left by data written
	// around the store) or is being deleted are not listed.
	if p, err := r.s.getProfile(ctx, personID); err != nil {
		return Page[T]{}, err
	} else if !p.usable() {
		return Page[T]{}, personGone(personID)
	}
	begins := expression.Key(AttrSK).BeginsWith(r.kind.skPrefix)
	in, err := partitionQuery(r.s.table, personPK(personID), &begins, nil)
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
	v, _, err := r.read(ctx, personID, id)
	if err != nil {
		var zero T
		return zero, err
	}
	return *v, nil
}

// read reads and decodes one item, and its person's PROFILE, in one request. The item
// of a person that does not exist or is being deleted is not found.
func (r *Related[T, P]) read(ctx context.Context, personID, id string) (*T, profile, error) {
	item, p, err := r.s.getWithProfile(ctx, personID, r.kind.sk(id))
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

// Create stores a new item of the person. A client-supplied id is kept, else one is
// generated; a body personId must match personID. The person must exist (ErrNotFound):
// an item is never written without its person.
//
// Creates are idempotent: when the id is taken by an item with the same content (all
// but the version, which is the server's), the create is taken for a retry of the one
// that stored it, whose answer was lost, and returns the stored item. It was counted
// under the kind's cap once, when it was stored. Other content is ErrAlreadyExists.
func (r *Related[T, P]) Create(ctx context.Context, personID string, v T) (T, error) {
	var zero T
	if err := checkID("personId", &personID); err != nil {
		return zero, err
	}
	k := P(&v).itemKey()
	if k.PersonID != "" && !strings.EqualFold(k.PersonID, personID) {
		return zero, mismatch("personId")
	}
	k.PersonID = personID
	if k.ID == "" {
		k.ID = r.s.newID()
	}
	k.ID = canonicalID(k.ID)
	return r.write(ctx, write[T]{op: opCreate, personID: personID, id: k.ID, change: func(*T) (*T, error) { return &v, nil }})
}

// Replace overwrites an existing item with v (all fields). ifVersion, when not 0, must
// equal the stored version.
func (r *Related[T, P]) Replace(ctx context.Context, personID, id string, v T, ifVersion int64) (T, error) {
	return r.Update(ctx, personID, id, func(cur *T) error {
		*cur = v
		return nil
	}, ifVersion)
}

// Update changes an existing item: mutate receives the stored item and changes it in
// place (the API applies a merge patch there). The ids must stay those of the path; the
// version is the server's. ifVersion, when not 0, must equal the stored version (else
// ErrVersionMismatch); without it, a concurrent write makes the store read again and
// re-apply mutate.
func (r *Related[T, P]) Update(ctx context.Context, personID, id string, mutate func(*T) error, ifVersion int64) (T, error) {
	if err := checkIDs(&personID, &id); err != nil {
		var zero T
		return zero, err
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

// Delete removes one item.
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
	// staleDemotion is the id of a previous primary that does not exist any more (data
	// written around the store): the pointer still names it, but there is nothing to demote.
	staleDemotion string
	// demoting is the previous primary the last attempt demoted, if any.
	demoting string
}

// write is the one write path of related items: each attempt reads what the write
// depends on, computes the next state, and commits it with conditions that fail if any
// of that changed since; then the attempt is retried from a fresh read.
func (r *Related[T, P]) write(ctx context.Context, w write[T]) (T, error) {
	var out T
	err := r.s.retry(ctx, func() error {
		v, err := r.attempt(ctx, &w)
		if err == nil && v != nil {
			out = *v
		}
		return err
	})
	return out, err
}

func (r *Related[T, P]) attempt(ctx context.Context, w *write[T]) (*T, error) {
	var (
		cur  *T
		prof profile
		err  error
	)
	if w.op != opCreate {
		if cur, prof, err = r.read(ctx, w.personID, w.id); err != nil {
			return nil, err
		}
		if v := P(cur).versioned().Version; w.ifVersion != 0 && v != w.ifVersion {
			return nil, r.wrap(w.id, ErrVersionMismatch)
		}
	}
	var curCopy *T
	if cur != nil {
		// change may modify cur in place; the conditions need the version read.
		c := *cur
		curCopy = &c
	}
	next, err := w.change(curCopy)
	if err != nil {
		return nil, err
	}
	if next != nil {
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
	}
	wasPrimary, nowPrimary := cur != nil && isPrimary(P(cur)), next != nil && isPrimary(P(next))
	movesPointer := r.kind.PrimaryAttr != "" && wasPrimary != nowPrimary
	if w.op == opCreate && movesPointer {
		// A new primary: the pointer's current value is needed for the condition.
		if prof, err = r.s.getProfile(ctx, w.personID); err != nil {
			return nil, err
		} else if !prof.usable() {
			return nil, personGone(w.personID)
		}
	}

	t := r.s.tx()
	// The item's own write.
	switch w.op {
	case opCreate:
		item, err := childItem(P(next))
		if err != nil {
			return nil, err
		}
		t.put(partItem, item, expression.AttributeNotExists(expression.Name(AttrPK)))
	default:
		sameVersion := expression.Name(AttrVersion).Equal(expression.Value(P(cur).versioned().Version))
		if w.op == opDelete {
			t.del(partItem, key(personPK(w.personID), r.kind.sk(w.id)), &sameVersion)
		} else {
			item, err := childItem(P(next))
			if err != nil {
				return nil, err
			}
			t.put(partItem, item, sameVersion)
		}
	}
	// The person's part: a create counts the item under the cap and checks that the
	// person exists and is not being deleted; a write that changes which item is primary
	// moves the pointer. Other updates and deletes need no part here: their version
	// condition fails if the item was deleted (with its person) or demoted meanwhile.
	var upd expression.UpdateBuilder
	cond := usableCond()
	person := w.op == opCreate || movesPointer
	if w.op == opCreate {
		count := expression.Name(r.kind.countAttr())
		upd = upd.Add(count, expression.Value(1))
		cond = cond.And(expression.Or(expression.AttributeNotExists(count), count.LessThan(expression.Value(MaxRelatedPerKind))))
	}
	w.demoting = ""
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
			if prev != "" && prev != w.staleDemotion {
				w.demoting = prev
				t.update(partDemote, key(personPK(w.personID), r.kind.sk(prev)),
					expression.Set(expression.Name(attrIsPrimary), expression.Value(false)).Add(expression.Name(AttrVersion), expression.Value(1)),
					expression.AttributeExists(expression.Name(AttrPK)))
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
		t.updateReturningOld(partPerson, key(personPK(w.personID), profileSK), upd, cond)
	}

	var ce *conditionError
	switch err := t.commit(ctx, r.s.db); {
	case errors.Is(err, errConflict):
		return nil, errRetry
	case errors.As(err, &ce):
		return r.failed(ctx, w, next, ce)
	case err != nil:
		return nil, r.wrap(w.id, err)
	}
	return next, nil
}

// failed turns the failed conditions of a commit of next into the write's result.
func (r *Related[T, P]) failed(ctx context.Context, w *write[T], next *T, ce *conditionError) (*T, error) {
	old := profile{item: ce.old[partPerson]}
	if ce.failed(partPerson) && !old.usable() {
		return nil, personGone(w.personID)
	}
	if ce.failed(partItem) && w.op == opCreate {
		// Before the cap: a retried create of a person at the cap must find its item.
		return r.replayed(ctx, w, next)
	}
	if ce.failed(partPerson) {
		if w.op == opCreate && old.count(r.kind) >= MaxRelatedPerKind {
			return nil, r.recount(ctx, w.personID, old.count(r.kind))
		}
		// The pointer moved since it was read.
		return nil, errRetry
	}
	switch {
	case ce.failed(partItem) && w.ifVersion != 0:
		return nil, r.wrap(w.id, ErrVersionMismatch)
	case ce.only(partDemote):
		// The pointer names a previous primary that no longer exists: move the pointer
		// without demoting it.
		w.staleDemotion = w.demoting
		return nil, errRetry
	default:
		// The item changed since it was read (or is gone, which the next read tells).
		return nil, errRetry
	}
}

// replayed answers a create whose id is taken, with one more read: the stored item if
// it has the content of next (a retry of the create that stored it), else
// ErrAlreadyExists. The failed transaction wrote nothing, so the person's counter
// counts the item once.
func (r *Related[T, P]) replayed(ctx context.Context, w *write[T], next *T) (*T, error) {
	cur, prof, err := r.read(ctx, w.personID, w.id)
	switch {
	case errors.Is(err, ErrNotFound) && prof.usable():
		// Deleted since the commit failed: the create can be tried again.
		return nil, errRetry
	case err != nil:
		return nil, err
	case !sameContent(*cur, *next, func(v *T) { P(v).versioned().Version = 0 }):
		return nil, r.wrap(w.id+" with other content", ErrAlreadyExists)
	}
	return cur, nil
}

// recount counts the person's items of this kind after a create found the counter at
// the cap: deletes do not decrement it. Below the cap, it sets the counter to the real
// number, on condition that no create counted meanwhile, and asks for another attempt;
// at the cap, the create fails with a *LimitError.
func (r *Related[T, P]) recount(ctx context.Context, personID string, counted int64) error {
	begins := expression.Key(AttrSK).BeginsWith(r.kind.skPrefix)
	in, err := partitionQuery(r.s.table, personPK(personID), &begins, nil)
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
