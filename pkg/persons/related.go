package persons

import (
	"context"
	"errors"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/attributevalue"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/expression"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
)

// Related reads and writes one kind of item related to a person (addresses, bank
// accounts, contacts or employments). One generic implementation serves all four.
//
// Kinds with isPrimary keep at most one primary item per person: the PROFILE item holds
// a pointer (Kind.PrimaryAttr) to it, and every write that changes which item is primary
// updates the pointer, the item and the previous primary in ONE conditional transaction,
// retried when a concurrent writer got there first.
type Related[T Child] struct {
	s    *Store
	kind Kind
}

// RelatedOf returns the store's accessor for the related kind T.
func RelatedOf[T Child](s *Store) *Related[T] { return &Related[T]{s: s, kind: KindOf[T]()} }

// Addresses returns the accessor for a person's addresses.
func (s *Store) Addresses() *Related[Address] { return RelatedOf[Address](s) }

// BankAccounts returns the accessor for a person's bank accounts.
func (s *Store) BankAccounts() *Related[BankAccount] { return RelatedOf[BankAccount](s) }

// Contacts returns the accessor for a person's contact infos.
func (s *Store) Contacts() *Related[ContactInfo] { return RelatedOf[ContactInfo](s) }

// Employments returns the accessor for a person's employments.
func (s *Store) Employments() *Related[Employment] { return RelatedOf[Employment](s) }

// Kind describes the related kind.
func (r *Related[T]) Kind() Kind { return r.kind }

// ListOptions select a page of a list.
type ListOptions struct {
	Limit  int    // 0 means DefaultLimit; at most MaxLimit
	Cursor string // NextCursor of the previous page
}

// List returns a page of the person's items of this kind, in id order. A person that
// does not exist yields ErrNotFound.
func (r *Related[T]) List(ctx context.Context, personID string, o ListOptions) (Page[T], error) {
	if err := checkID("personId", personID); err != nil {
		return Page[T]{}, err
	}
	limit, err := pageLimit(o.Limit)
	if err != nil {
		return Page[T]{}, err
	}
	begins := expression.Key(AttrSK).BeginsWith(r.kind.SKPrefix)
	in, err := partitionQuery(r.s.table, PersonPK(personID), &begins, nil)
	if err != nil {
		return Page[T]{}, err
	}
	items, next, err := r.s.queryPage(ctx, in, childList(personID, r.kind), limit, o.Cursor)
	if err != nil {
		return Page[T]{}, err
	}
	if len(items) == 0 && o.Cursor == "" {
		// An empty list may mean there is no such person: one more read tells.
		if _, err := r.s.getItem(ctx, PersonPK(personID), ProfileSK); err != nil {
			return Page[T]{}, fmt.Errorf("person %s: %w", personID, err)
		}
	}
	page := Page[T]{Items: make([]T, 0, len(items)), NextCursor: next}
	for _, item := range items {
		if page.Items, err = appendItem(page.Items, item); err != nil {
			return Page[T]{}, fmt.Errorf("unmarshal %s: %w", r.kind.Entity, err)
		}
	}
	return page, nil
}

// Get returns one item.
func (r *Related[T]) Get(ctx context.Context, personID, id string) (T, error) {
	var v T
	if err := checkIDs(personID, id); err != nil {
		return v, err
	}
	item, err := r.s.getItem(ctx, PersonPK(personID), r.kind.SK(id))
	if err != nil {
		return v, r.wrap(id, err)
	}
	if err := attributevalue.UnmarshalMap(item, &v); err != nil {
		return v, fmt.Errorf("unmarshal %s %s: %w", r.kind.Entity, id, err)
	}
	return v, nil
}

// Create stores a new item of the person. A client-supplied id is kept, else one is
// generated; a body personId must match personID. The person must exist (ErrNotFound):
// an item is never written without its person.
func (r *Related[T]) Create(ctx context.Context, personID string, v T) (T, error) {
	var zero T
	if err := checkID("personId", personID); err != nil {
		return zero, err
	}
	f := fieldsOf(&v)
	pid, id := f.ids()
	if *pid != "" && *pid != personID {
		return zero, mismatch("personId")
	}
	*pid = personID
	if *id == "" {
		*id = r.s.newID()
	}
	return r.write(ctx, personID, *id, 0, func(cur *T) (*T, error) {
		if cur != nil {
			return nil, r.wrap(*id, ErrAlreadyExists)
		}
		return &v, nil
	}, true)
}

// Replace overwrites an existing item with v (all fields). ifVersion, when not 0, must
// equal the stored version.
func (r *Related[T]) Replace(ctx context.Context, personID, id string, v T, ifVersion int64) (T, error) {
	if err := checkIDs(personID, id); err != nil {
		var zero T
		return zero, err
	}
	return r.write(ctx, personID, id, ifVersion, func(cur *T) (*T, error) {
		next := v
		if err := r.sameIDs(&next, personID, id); err != nil {
			return nil, err
		}
		return &next, nil
	}, false)
}

// Patch applies a JSON merge patch (RFC 7396) to an existing item: fields present replace
// the stored ones, null clears an optional field, version is ignored.
func (r *Related[T]) Patch(ctx context.Context, personID, id string, patch []byte, ifVersion int64) (T, error) {
	if err := checkIDs(personID, id); err != nil {
		var zero T
		return zero, err
	}
	return r.write(ctx, personID, id, ifVersion, func(cur *T) (*T, error) {
		next, err := clone(cur)
		if err != nil {
			return nil, err
		}
		if err := DecodeJSON(patch, next); err != nil {
			return nil, err
		}
		if err := r.sameIDs(next, personID, id); err != nil {
			return nil, err
		}
		return next, nil
	}, false)
}

// Delete removes one item.
func (r *Related[T]) Delete(ctx context.Context, personID, id string, ifVersion int64) error {
	if err := checkIDs(personID, id); err != nil {
		return err
	}
	_, err := r.write(ctx, personID, id, ifVersion, func(cur *T) (*T, error) { return nil, nil }, false)
	return err
}

func checkIDs(personID, id string) error {
	if err := checkID("personId", personID); err != nil {
		return err
	}
	return checkID("id", id)
}

func mismatch(field string) error {
	return &ValidationError{Fields: []FieldError{{Field: field, Message: "does not match the path"}}}
}

// sameIDs fills v's ids from the path, rejecting body ids that contradict it.
func (r *Related[T]) sameIDs(v *T, personID, id string) error {
	pid, vid := fieldsOf(v).ids()
	if *pid != "" && *pid != personID {
		return mismatch("personId")
	}
	if *vid != "" && *vid != id {
		return mismatch("id")
	}
	*pid, *vid = personID, id
	return nil
}

func (r *Related[T]) wrap(id string, err error) error {
	return fmt.Errorf("%s %s: %w", r.kind.Entity, id, err)
}

// clone deep-copies v (decoding a patch writes through pointer fields).
func clone[T Child](v *T) (*T, error) {
	item, err := attributevalue.MarshalMap(v)
	if err != nil {
		return nil, err
	}
	var c T
	return &c, attributevalue.UnmarshalMap(item, &c)
}

// write is the one write path of related items. Each attempt reads the current item
// (unless creating), lets change compute the next state (nil deletes), and commits it
// with conditions that fail if anything it read has changed since; such a failure is
// retried, unless the caller pinned ifVersion.
func (r *Related[T]) write(ctx context.Context, personID, id string, ifVersion int64, change func(cur *T) (*T, error), create bool) (T, error) {
	var zero T
	for attempt := 1; ; attempt++ {
		v, err := r.writeOnce(ctx, personID, id, ifVersion, change, create)
		if !errors.Is(err, errRetry) {
			return v, err
		}
		if ifVersion != 0 && !create {
			return zero, r.wrap(id, ErrVersionMismatch)
		}
		if attempt >= r.s.maxAttempts {
			return zero, fmt.Errorf("%s %s: too much contention: %w", r.kind.Entity, id, err)
		}
		if err := backoff(ctx, attempt); err != nil {
			return zero, err
		}
	}
}

func (r *Related[T]) writeOnce(ctx context.Context, personID, id string, ifVersion int64, change func(cur *T) (*T, error), create bool) (T, error) {
	var zero T
	s, pk, sk := r.s, PersonPK(personID), r.kind.SK(id)

	var cur *T
	if !create {
		item, err := s.getItem(ctx, pk, sk)
		if err != nil {
			return zero, r.wrap(id, err)
		}
		cur = new(T)
		if err := attributevalue.UnmarshalMap(item, cur); err != nil {
			return zero, fmt.Errorf("unmarshal %s %s: %w", r.kind.Entity, id, err)
		}
		if v := *fieldsOf(cur).version(); ifVersion != 0 && v != ifVersion {
			return zero, r.wrap(id, ErrVersionMismatch)
		}
	}
	next, err := change(cur)
	if err != nil {
		return zero, err
	}
	if next != nil {
		nf := fieldsOf(next)
		nf.setDefaults()
		*nf.version() = 1
		if cur != nil {
			*nf.version() = *fieldsOf(cur).version() + 1
		}
		if err := nf.Validate(); err != nil {
			return zero, err
		}
	}

	// The item's own write, conditioned on what was read.
	var own types.TransactWriteItem
	switch {
	case cur == nil:
		item, err := ChildItem(*next)
		if err != nil {
			return zero, err
		}
		own.Put = &types.Put{TableName: aws.String(s.table), Item: item,
			ConditionExpression: aws.String("attribute_not_exists(" + AttrPK + ")")}
	default:
		cond, err := expression.NewBuilder().WithCondition(
			expression.Name(AttrVersion).Equal(expression.Value(*fieldsOf(cur).version()))).Build()
		if err != nil {
			return zero, err
		}
		if next == nil {
			own.Delete = &types.Delete{TableName: aws.String(s.table), Key: key(pk, sk),
				ConditionExpression: cond.Condition(), ExpressionAttributeNames: cond.Names(), ExpressionAttributeValues: cond.Values()}
		} else {
			item, err := ChildItem(*next)
			if err != nil {
				return zero, err
			}
			own.Put = &types.Put{TableName: aws.String(s.table), Item: item,
				ConditionExpression: cond.Condition(), ExpressionAttributeNames: cond.Names(), ExpressionAttributeValues: cond.Values()}
		}
	}

	wasPrimary := cur != nil && isPrimary(cur)
	nowPrimary := next != nil && isPrimary(next)
	if r.kind.PrimaryAttr == "" || (!wasPrimary && !nowPrimary) {
		return r.commitPlain(ctx, personID, id, own, cur == nil, next)
	}
	return r.commitPrimary(ctx, personID, id, own, cur == nil, nowPrimary, next)
}

func isPrimary[T Child](v *T) bool {
	p := fieldsOf(v).primary()
	return p != nil && *p
}

// commitPlain writes an item whose write does not touch the primary pointer: a create
// checks in the same transaction that the person exists; an update or delete is a single
// conditional request.
func (r *Related[T]) commitPlain(ctx context.Context, personID, id string, own types.TransactWriteItem, create bool, next *T) (T, error) {
	var zero T
	s := r.s
	var err error
	switch {
	case create:
		_, err = s.db.TransactWriteItems(ctx, &dynamodb.TransactWriteItemsInput{TransactItems: []types.TransactWriteItem{
			{ConditionCheck: &types.ConditionCheck{TableName: aws.String(s.table), Key: key(PersonPK(personID), ProfileSK),
				ConditionExpression: aws.String("attribute_exists(" + AttrPK + ")")}},
			own,
		}})
		if failed, conflict, ok := txFailures(err); ok {
			switch {
			case len(failed) == 2 && failed[0]:
				return zero, fmt.Errorf("person %s: %w", personID, ErrNotFound)
			case len(failed) == 2 && failed[1]:
				return zero, r.wrap(id, ErrAlreadyExists)
			case conflict:
				return zero, errRetry
			}
		}
	case own.Delete != nil:
		d := own.Delete
		_, err = s.db.DeleteItem(ctx, &dynamodb.DeleteItemInput{TableName: d.TableName, Key: d.Key,
			ConditionExpression: d.ConditionExpression, ExpressionAttributeNames: d.ExpressionAttributeNames, ExpressionAttributeValues: d.ExpressionAttributeValues})
	default:
		p := own.Put
		_, err = s.db.PutItem(ctx, &dynamodb.PutItemInput{TableName: p.TableName, Item: p.Item,
			ConditionExpression: p.ConditionExpression, ExpressionAttributeNames: p.ExpressionAttributeNames, ExpressionAttributeValues: p.ExpressionAttributeValues})
	}
	if conditionFailed(err) {
		return zero, errRetry
	}
	return r.written(id, next, err)
}

// commitPrimary writes an item that is or becomes the kind's primary (or stops being it),
// moving the PROFILE's pointer and demoting the previous primary in ONE transaction whose
// conditions fail if another writer moved the pointer since it was read.
func (r *Related[T]) commitPrimary(ctx context.Context, personID, id string, own types.TransactWriteItem, create, nowPrimary bool, next *T) (T, error) {
	var zero T
	s, attr, pk := r.s, r.kind.PrimaryAttr, PersonPK(personID)
	profile, err := s.getItem(ctx, pk, ProfileSK)
	if errors.Is(err, ErrNotFound) {
		return zero, fmt.Errorf("person %s: %w", personID, ErrNotFound)
	}
	if err != nil {
		return zero, err
	}
	prev := ""
	if v, ok := profile[attr].(*types.AttributeValueMemberS); ok {
		prev = v.Value
	}

	items := []types.TransactWriteItem{own}
	pointer := func(upd expression.UpdateBuilder, cond expression.ConditionBuilder) error {
		e, err := expression.NewBuilder().WithUpdate(upd).WithCondition(cond).Build()
		if err != nil {
			return err
		}
		items = append(items, types.TransactWriteItem{Update: &types.Update{TableName: aws.String(s.table), Key: key(pk, ProfileSK),
			UpdateExpression: e.Update(), ConditionExpression: e.Condition(), ExpressionAttributeNames: e.Names(), ExpressionAttributeValues: e.Values()}})
		return nil
	}
	unchanged := expression.Name(attr).AttributeNotExists()
	if prev != "" {
		unchanged = expression.Name(attr).Equal(expression.Value(prev))
	}
	switch {
	case nowPrimary && prev != id:
		// Become the primary: move the pointer, demote the previous primary.
		if err := pointer(expression.Set(expression.Name(attr), expression.Value(id)),
			expression.Name(AttrPK).AttributeExists().And(unchanged)); err != nil {
			return zero, err
		}
		if prev != "" {
			e, err := expression.NewBuilder().
				WithUpdate(expression.Set(expression.Name("isPrimary"), expression.Value(false)).
					Add(expression.Name(AttrVersion), expression.Value(1))).
				WithCondition(expression.Name(AttrPK).AttributeExists()).Build()
			if err != nil {
				return zero, err
			}
			items = append(items, types.TransactWriteItem{Update: &types.Update{TableName: aws.String(s.table), Key: key(pk, r.kind.SK(prev)),
				UpdateExpression: e.Update(), ConditionExpression: e.Condition(), ExpressionAttributeNames: e.Names(), ExpressionAttributeValues: e.Values()}})
		}
	case !nowPrimary && prev == id:
		// Stop being the primary (patched to false, or deleted): clear the pointer.
		if err := pointer(expression.Remove(expression.Name(attr)), unchanged); err != nil {
			return zero, err
		}
	default:
		// Already the primary and staying so; the pointer is right. A create must still
		// check that the person exists.
		if create {
			items = append(items, types.TransactWriteItem{ConditionCheck: &types.ConditionCheck{TableName: aws.String(s.table),
				Key: key(pk, ProfileSK), ConditionExpression: aws.String("attribute_exists(" + AttrPK + ")")}})
		}
	}

	_, err = s.db.TransactWriteItems(ctx, &dynamodb.TransactWriteItemsInput{TransactItems: items})
	if failed, conflict, ok := txFailures(err); ok {
		switch {
		case create && len(failed) > 0 && failed[0]:
			return zero, r.wrap(id, ErrAlreadyExists)
		case len(failed) > 2 && failed[2] && !failed[0] && !failed[1]:
			// The pointer names a previous primary that no longer exists (data written
			// around the store): move the pointer without demoting it.
			_, err = s.db.TransactWriteItems(ctx, &dynamodb.TransactWriteItemsInput{TransactItems: items[:2]})
			if _, _, ok := txFailures(err); ok {
				return zero, errRetry
			}
		case conflict || len(failed) > 0:
			return zero, errRetry
		}
	}
	return r.written(id, next, err)
}

// written is the result of a committed write: the new item, or the zero value after a delete.
func (r *Related[T]) written(id string, next *T, err error) (T, error) {
	var zero T
	if err != nil {
		return zero, fmt.Errorf("write %s %s: %w", r.kind.Entity, id, err)
	}
	if next == nil {
		return zero, nil
	}
	return *next, nil
}
