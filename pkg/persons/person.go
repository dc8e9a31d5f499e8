package persons

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"reflect"
	"slices"
	"strings"

	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/expression"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/personsapi/persons/pkg/backoff"
	"github.com/personsapi/persons/pkg/input"
	"github.com/personsapi/persons/pkg/metrics"
)

// checkID rejects an id from a path or argument that is not a UUID, and turns one that is
// into its stored, lower-case spelling.
func checkID(field string, id *string) error {
	if !ValidID(*id) {
		return input.FieldErr(field, "must be a UUID")
	}
	*id = canonicalID(*id)
	return nil
}

// CreatePerson stores a new person. A client-supplied p.ID (front ends insert
// optimistically with their own UUIDs) is kept, else one is generated. The server sets
// createdAt, updatedAt and version, whatever p holds.
//
// Creates are idempotent: when the id is taken by a person with the same content (all
// but createdAt, updatedAt and version), the create is taken for a retry of the one
// that stored it, whose answer was lost (a timeout, a dropped connection), and returns
// the stored person. A person with other content, or one being deleted, is a
// *ConflictError holding the stored person (ErrAlreadyExists).
func (s *Store) CreatePerson(ctx context.Context, p Person) (Person, error) {
	if p.ID == "" {
		p.ID = s.newID()
	}
	now := Timestamp(s.now())
	p.CreatedAt, p.UpdatedAt, p.Version = now, now, 1
	if err := p.Clean(); err != nil {
		return Person{}, err
	}
	item, err := personItem(&p)
	if err != nil {
		return Person{}, err
	}
	var out Person
	err = s.retry(ctx, func() error {
		out = p
		// A partition that holds items without a PROFILE (written around the store, or
		// left by a delete of an older version) must not be adopted by the new person:
		// its items go first.
		if err := s.removeLeftovers(ctx, p.ID); err != nil {
			return err
		}
		t := s.tx()
		t.put(partProfile, item, expression.AttributeNotExists(expression.Name(AttrPK)))
		t.returnOld(partProfile)
		var ce *conditionError
		if err := t.commit(ctx, s.db); errors.As(err, &ce) {
			out, err = replayedPerson(p, ce.old[partProfile])
			if err == nil {
				metrics.Replay(ctx)
			}
			return err
		} else if err != nil {
			return fmt.Errorf("person %s: %w", p.ID, err)
		}
		return nil
	})
	if err != nil {
		return Person{}, err
	}
	return out, nil
}

// replayedPerson answers a create of p whose id is taken by old, the stored PROFILE item
// that DynamoDB returned with the failed condition (no extra read): the stored person
// if it has p's content, else a conflict holding it.
func replayedPerson(p Person, old map[string]types.AttributeValue) (Person, error) {
	if old == nil {
		// Deleted since the commit failed: the create can be tried again.
		return Person{}, errRetry
	}
	var stored Person
	if err := unmarshal(old, &stored); err != nil {
		return Person{}, fmt.Errorf("unmarshal person %s: %w", p.ID, err)
	}
	switch {
	case !(profile{item: old}).usable():
		return Person{}, fmt.Errorf("person %s (being deleted): %w", p.ID, conflict(&stored, ErrAlreadyExists))
	case !sameContent(stored, p, clearServerFields):
		return Person{}, fmt.Errorf("person %s with other content: %w", p.ID, conflict(&stored, ErrAlreadyExists))
	}
	return stored, nil
}

// clearServerFields zeroes the fields of a person that belong to the server.
func clearServerFields(p *Person) { p.CreatedAt, p.UpdatedAt, p.Version = "", "", 0 }

// sameContent reports whether a and b are equal but for the server's fields, which
// clear zeroes. Both must be in stored form (Clean).
func sameContent[T any](a, b T, clear func(*T)) bool {
	clear(&a)
	clear(&b)
	return reflect.DeepEqual(a, b)
}

// GetPerson returns the person with the given id.
func (s *Store) GetPerson(ctx context.Context, id string) (Person, error) {
	if err := checkID("personId", &id); err != nil {
		return Person{}, err
	}
	p, _, err := s.readPerson(ctx, id, eventual)
	return p, err
}

// readPerson reads the PROFILE item of person id and decodes it.
func (s *Store) readPerson(ctx context.Context, id string, c consistency) (Person, map[string]types.AttributeValue, error) {
	item, err := s.getItem(ctx, personPK(id), profileSK, c)
	if err != nil {
		return Person{}, nil, fmt.Errorf("person %s: %w", id, err)
	}
	var p Person
	if err := unmarshal(item, &p); err != nil {
		return Person{}, nil, fmt.Errorf("unmarshal person %s: %w", id, err)
	}
	return p, item, nil
}

// GetPersonDetails returns the person with all its related items, read with ONE Query of
// the person's partition (more only when the partition exceeds 1 MB).
func (s *Store) GetPersonDetails(ctx context.Context, id string) (PersonDetails, error) {
	if err := checkID("personId", &id); err != nil {
		return PersonDetails{}, err
	}
	in, err := partitionQuery(s.table, personPK(id), nil, nil, eventual)
	if err != nil {
		return PersonDetails{}, err
	}
	items, err := s.queryAll(ctx, in)
	if err != nil {
		return PersonDetails{}, err
	}
	d, found, err := details(items)
	if err != nil {
		return PersonDetails{}, fmt.Errorf("unmarshal items of person %s: %w", id, err)
	}
	if !found {
		return PersonDetails{}, fmt.Errorf("person %s: %w", id, ErrNotFound)
	}
	return d, nil
}

// UpdatePerson changes a person: mutate receives the stored person and changes it in
// place (the API applies a merge patch there). id, createdAt, updatedAt and version
// belong to the server: a changed id is an error, the others are set by the store. The
// GSI1 sort key follows a name change in the same write. ifVersion, when not 0, must
// equal the stored version (else a *ConflictError holding the stored person,
// ErrVersionMismatch); without it, a concurrent write makes the store read again and
// re-apply mutate. It returns the new person. A change that leaves the person as it is
// (server-owned fields aside) writes nothing and returns the stored person unchanged:
// same version, same updatedAt.
func (s *Store) UpdatePerson(ctx context.Context, id string, mutate func(*Person) error, ifVersion int64) (Person, error) {
	if err := checkID("personId", &id); err != nil {
		return Person{}, err
	}
	var out Person
	err := s.retry(ctx, func() error {
		var err error
		out, err = s.updatePersonOnce(ctx, id, mutate, ifVersion)
		return err
	})
	return out, err
}

// personConflict is the ConflictError of a person write whose condition found item (nil:
// not seen).
func personConflict(item map[string]types.AttributeValue, err error) *ConflictError {
	if item == nil {
		return conflict[Person](nil, err)
	}
	var p Person
	if unmarshal(item, &p) != nil {
		return conflict[Person](nil, err)
	}
	return conflict(&p, err)
}

// personAttrs lists the attributes a Person is stored in: an optional one that a change
// leaves unset must be removed from the item.
var personAttrs = func() []string {
	item, err := marshal(&Person{DateOfBirth: new(string), Gender: new(string)})
	if err != nil {
		panic(err)
	}
	return slices.Sorted(maps.Keys(item))
}()

func (s *Store) updatePersonOnce(ctx context.Context, id string, mutate func(*Person) error, ifVersion int64) (Person, error) {
	cur, item, err := s.readPerson(ctx, id, strong)
	if err != nil {
		return Person{}, err
	}
	if !(profile{item: item}).usable() {
		return Person{}, personGone(id)
	}
	if ifVersion != 0 && cur.Version != ifVersion {
		return Person{}, fmt.Errorf("person %s: %w", id, conflict(&cur, ErrVersionMismatch))
	}
	// A second copy from the same item: mutate may write through pointer fields.
	var next Person
	if err := unmarshal(item, &next); err != nil {
		return Person{}, fmt.Errorf("unmarshal person %s: %w", id, err)
	}
	if err := mutate(&next); err != nil {
		return Person{}, err
	}
	if !strings.EqualFold(next.ID, cur.ID) {
		return Person{}, input.FieldErr("id", "cannot be changed")
	}
	next.CreatedAt, next.UpdatedAt, next.Version = cur.CreatedAt, cur.UpdatedAt, cur.Version
	if err := next.Clean(); err != nil {
		return Person{}, err
	}
	if reflect.DeepEqual(next, cur) {
		// Nothing to write: a client that sends back what it holds (or an empty patch)
		// must not bump the version and make every other client refetch.
		return cur, nil
	}
	next.UpdatedAt, next.Version = Timestamp(s.now()), cur.Version+1
	newItem, err := personItem(&next)
	if err != nil {
		return Person{}, err
	}
	// UpdateItem rather than PutItem: the PROFILE item also carries the pointers to the
	// primary related items, which a change of the person must not overwrite.
	var upd expression.UpdateBuilder
	for name, v := range newItem {
		if name != AttrPK && name != AttrSK {
			upd = upd.Set(expression.Name(name), expression.Value(v))
		}
	}
	for _, name := range personAttrs {
		if _, ok := newItem[name]; !ok {
			upd = upd.Remove(expression.Name(name))
		}
	}
	t := s.tx()
	t.update(partProfile, key(personPK(id), profileSK), upd,
		expression.Name(AttrVersion).Equal(expression.Value(cur.Version)).And(expression.AttributeNotExists(expression.Name(attrDeleting))))
	t.returnOld(partProfile)
	var ce *conditionError
	switch err := t.commit(ctx, s.db); {
	case errors.As(err, &ce) && ifVersion != 0 && (profile{item: ce.old[partProfile]}).usable():
		return Person{}, fmt.Errorf("person %s: %w", id, personConflict(ce.old[partProfile], ErrVersionMismatch))
	case errors.As(err, &ce):
		// Changed, deleted or being deleted since it was read: the next read tells which.
		return Person{}, errRetry
	case err != nil:
		return Person{}, fmt.Errorf("person %s: %w", id, err)
	}
	return next, nil
}

// DeletePerson deletes a person and everything in its partition. ifVersion, when not 0,
// must equal the person's version (else a *ConflictError holding the stored person).
//
// It first marks the PROFILE item as being deleted: from then on no related item can be
// created under the person (their creates check the mark in their transaction), and
// every operation on its related items answers ErrNotFound. Then it reads the partition
// and deletes what it finds, until a read finds nothing but the PROFILE, which goes
// last. An interrupted delete leaves a visible, marked person; running the delete again
// finishes it. After DeletePerson returns nil nothing of the person is left, whatever ran
// concurrently.
func (s *Store) DeletePerson(ctx context.Context, id string, ifVersion int64) error {
	if err := checkID("personId", &id); err != nil {
		return err
	}
	// The mark; if_not_exists keeps the time of the first attempt on a re-run.
	deleting := expression.Name(attrDeleting)
	cond := expression.AttributeExists(expression.Name(AttrPK))
	if ifVersion != 0 {
		cond = cond.And(expression.Name(AttrVersion).Equal(expression.Value(ifVersion)))
	}
	t := s.tx()
	t.update(partProfile, key(personPK(id), profileSK),
		expression.Set(deleting, expression.IfNotExists(deleting, expression.Value(Timestamp(s.now())))), cond)
	t.returnOld(partProfile)
	var ce *conditionError
	if err := t.commit(ctx, s.db); errors.As(err, &ce) {
		if ce.old[partProfile] == nil {
			return fmt.Errorf("person %s: %w", id, ErrNotFound)
		}
		return fmt.Errorf("person %s: %w", id, personConflict(ce.old[partProfile], ErrVersionMismatch))
	} else if err != nil {
		return fmt.Errorf("delete person %s: %w", id, err)
	}
	if err := s.deleteChildren(ctx, id); err != nil {
		return fmt.Errorf("delete person %s: %w", id, err)
	}
	// The PROFILE last, only while it is still marked: a concurrent delete that got
	// here first has removed it, which is success too.
	t = s.tx()
	marked := expression.AttributeExists(deleting)
	t.del(partProfile, key(personPK(id), profileSK), &marked)
	if err := t.commit(ctx, s.db); err != nil && !errors.As(err, &ce) {
		return fmt.Errorf("delete person %s: %w", id, err)
	}
	return nil
}

// deleteChildren deletes every item of the person's partition but the PROFILE, reading
// the partition again after each round until it holds nothing else. Plain deletes in
// BatchWriteItem cost half the write units of transactional ones: these need no
// atomicity, because the PROFILE's mark already stops new items.
func (s *Store) deleteChildren(ctx context.Context, id string) error {
	for {
		keys, err := s.partitionKeys(ctx, id)
		if err != nil {
			return err
		}
		var children []map[string]types.AttributeValue
		for _, k := range keys {
			if sk, _ := k[AttrSK].(*types.AttributeValueMemberS); sk == nil || sk.Value != profileSK {
				children = append(children, k)
			}
		}
		if len(children) == 0 {
			return nil
		}
		if err := s.batchDelete(ctx, children); err != nil {
			return err
		}
	}
}

// removeLeftovers deletes the items of a partition that has no PROFILE item.
func (s *Store) removeLeftovers(ctx context.Context, id string) error {
	keys, err := s.partitionKeys(ctx, id)
	if err != nil || len(keys) == 0 {
		return err
	}
	for _, k := range keys {
		if sk, _ := k[AttrSK].(*types.AttributeValueMemberS); sk != nil && sk.Value == profileSK {
			// A person lives here: the create fails with ErrAlreadyExists.
			return nil
		}
	}
	return s.batchDelete(ctx, keys)
}

// partitionKeys reads the keys of every item of a person's partition.
func (s *Store) partitionKeys(ctx context.Context, id string) ([]map[string]types.AttributeValue, error) {
	proj := expression.NamesList(expression.Name(AttrPK), expression.Name(AttrSK))
	in, err := partitionQuery(s.table, personPK(id), nil, &proj, strong)
	if err != nil {
		return nil, err
	}
	return s.queryAll(ctx, in)
}

// maxBatchWrite is DynamoDB's limit of requests in one BatchWriteItem.
const maxBatchWrite = 25

// batchDelete deletes the items at keys with BatchWriteItem, re-sending unprocessed
// requests (DynamoDB throttling) with backoff until the context ends.
func (s *Store) batchDelete(ctx context.Context, keys []map[string]types.AttributeValue) error {
	for start := 0; start < len(keys); start += maxBatchWrite {
		reqs := make([]types.WriteRequest, 0, maxBatchWrite)
		for _, k := range keys[start:min(start+maxBatchWrite, len(keys))] {
			reqs = append(reqs, types.WriteRequest{DeleteRequest: &types.DeleteRequest{Key: k}})
		}
		for attempt := 1; len(reqs) > 0; attempt++ {
			if attempt > 1 {
				if err := backoff.Sleep(ctx, retryPolicy.Delay(attempt)); err != nil {
					return err
				}
			}
			out, err := s.db.BatchWriteItem(ctx, &dynamodb.BatchWriteItemInput{
				RequestItems: map[string][]types.WriteRequest{s.table: reqs},
			})
			if err != nil {
				return fmt.Errorf("batch delete: %w", err)
			}
			reqs = out.UnprocessedItems[s.table]
		}
	}
	return nil
}
