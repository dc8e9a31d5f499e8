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

// ListPersonsOptions select a page of persons in last name, first name, id order.
type ListPersonsOptions struct {
	Limit  int    // 0 means DefaultLimit; at most MaxLimit
	Cursor string // NextCursor of the previous page
	// LastNamePrefix keeps persons whose last name starts with it (case-insensitive).
	LastNamePrefix string
}

// PersonDetails is a person with all its related items.
type PersonDetails struct {
	Person
	Addresses    []Address     `json:"addresses"`
	BankAccounts []BankAccount `json:"bankAccounts"`
	Contacts     []ContactInfo `json:"contacts"`
	Employments  []Employment  `json:"employments"`
}

// checkID rejects an id from a path or argument that is not a UUID.
func checkID(field, id string) error {
	if !ValidID(id) {
		return &ValidationError{Fields: []FieldError{{Field: field, Message: "must be a UUID"}}}
	}
	return nil
}

// CreatePerson stores a new person. A client-supplied p.ID (front ends insert
// optimistically with their own UUIDs) is kept, else one is generated; an id that is
// taken fails with ErrAlreadyExists. The server sets createdAt, updatedAt and version,
// whatever p holds.
func (s *Store) CreatePerson(ctx context.Context, p Person) (Person, error) {
	if p.ID == "" {
		p.ID = s.newID()
	}
	now := Timestamp(s.now())
	p.CreatedAt, p.UpdatedAt, p.Version = now, now, 1
	if err := p.Validate(); err != nil {
		return Person{}, err
	}
	item, err := PersonItem(p)
	if err != nil {
		return Person{}, err
	}
	_, err = s.db.PutItem(ctx, &dynamodb.PutItemInput{
		TableName:           aws.String(s.table),
		Item:                item,
		ConditionExpression: aws.String("attribute_not_exists(" + AttrPK + ")"),
	})
	if conditionFailed(err) {
		return Person{}, fmt.Errorf("person %s: %w", p.ID, ErrAlreadyExists)
	}
	if err != nil {
		return Person{}, fmt.Errorf("put person %s: %w", p.ID, err)
	}
	return p, nil
}

// GetPerson returns the person with the given id.
func (s *Store) GetPerson(ctx context.Context, id string) (Person, error) {
	if err := checkID("personId", id); err != nil {
		return Person{}, err
	}
	item, err := s.getItem(ctx, PersonPK(id), ProfileSK)
	if errors.Is(err, ErrNotFound) {
		return Person{}, fmt.Errorf("person %s: %w", id, ErrNotFound)
	}
	if err != nil {
		return Person{}, err
	}
	var p Person
	if err := attributevalue.UnmarshalMap(item, &p); err != nil {
		return Person{}, fmt.Errorf("unmarshal person %s: %w", id, err)
	}
	return p, nil
}

// GetPersonDetails returns the person with all its related items, read with ONE Query of
// the person's partition (more only when the partition exceeds 1 MB).
func (s *Store) GetPersonDetails(ctx context.Context, id string) (PersonDetails, error) {
	if err := checkID("personId", id); err != nil {
		return PersonDetails{}, err
	}
	in, err := partitionQuery(s.table, PersonPK(id), nil, nil)
	if err != nil {
		return PersonDetails{}, err
	}
	items, err := s.queryAll(ctx, in)
	if err != nil {
		return PersonDetails{}, err
	}
	d := PersonDetails{Addresses: []Address{}, BankAccounts: []BankAccount{}, Contacts: []ContactInfo{}, Employments: []Employment{}}
	found := false
	for _, item := range items {
		var err error
		switch entity, _ := item[AttrEntity].(*types.AttributeValueMemberS); {
		case entity == nil:
			continue
		case entity.Value == EntityPerson:
			found = true
			err = attributevalue.UnmarshalMap(item, &d.Person)
		case entity.Value == EntityAddress:
			d.Addresses, err = appendItem(d.Addresses, item)
		case entity.Value == EntityBankAccount:
			d.BankAccounts, err = appendItem(d.BankAccounts, item)
		case entity.Value == EntityContactInfo:
			d.Contacts, err = appendItem(d.Contacts, item)
		case entity.Value == EntityEmployment:
			d.Employments, err = appendItem(d.Employments, item)
		}
		if err != nil {
			return PersonDetails{}, fmt.Errorf("unmarshal item of person %s: %w", id, err)
		}
	}
	if !found {
		return PersonDetails{}, fmt.Errorf("person %s: %w", id, ErrNotFound)
	}
	return d, nil
}

func appendItem[T any](list []T, item map[string]types.AttributeValue) ([]T, error) {
	var v T
	if err := attributevalue.UnmarshalMap(item, &v); err != nil {
		return list, err
	}
	return append(list, v), nil
}

// ListPersons returns a page of all persons from GSI1, ordered by last name, first name
// and id (case-insensitive).
func (s *Store) ListPersons(ctx context.Context, o ListPersonsOptions) (Page[Person], error) {
	limit, err := pageLimit(o.Limit)
	if err != nil {
		return Page[Person]{}, err
	}
	prefix := GSI1Prefix(o.LastNamePrefix)
	kc := expression.Key(AttrGSI1PK).Equal(expression.Value(PersonsGSI1PK))
	if prefix != "" {
		kc = kc.And(expression.Key(AttrGSI1SK).BeginsWith(prefix))
	}
	e, err := expression.NewBuilder().WithKeyCondition(kc).Build()
	if err != nil {
		return Page[Person]{}, err
	}
	items, next, err := s.queryPage(ctx, &dynamodb.QueryInput{
		TableName:                 aws.String(s.table),
		IndexName:                 aws.String(GSI1),
		KeyConditionExpression:    e.KeyCondition(),
		ExpressionAttributeNames:  e.Names(),
		ExpressionAttributeValues: e.Values(),
	}, personsList(prefix), limit, o.Cursor)
	if err != nil {
		return Page[Person]{}, err
	}
	page := Page[Person]{Items: make([]Person, 0, len(items)), NextCursor: next}
	for _, item := range items {
		if page.Items, err = appendItem(page.Items, item); err != nil {
			return Page[Person]{}, fmt.Errorf("unmarshal person: %w", err)
		}
	}
	return page, nil
}

// PatchPerson applies a JSON merge patch (RFC 7396) to a person: fields present replace
// the stored ones, null clears an optional field, createdAt, updatedAt and version are
// ignored. The GSI1 sort key follows a name change in the same write. ifVersion, when
// not 0, must equal the stored version (else ErrVersionMismatch). It returns the new person.
func (s *Store) PatchPerson(ctx context.Context, id string, patch []byte, ifVersion int64) (Person, error) {
	if err := checkID("personId", id); err != nil {
		return Person{}, err
	}
	for attempt := 1; ; attempt++ {
		p, err := s.patchPersonOnce(ctx, id, patch, ifVersion)
		if !errors.Is(err, errRetry) {
			return p, err
		}
		if ifVersion != 0 {
			return Person{}, fmt.Errorf("person %s: %w", id, ErrVersionMismatch)
		}
		if attempt >= s.maxAttempts {
			return Person{}, fmt.Errorf("patch person %s: too much contention: %w", id, err)
		}
		if err := backoff(ctx, attempt); err != nil {
			return Person{}, err
		}
	}
}

func (s *Store) patchPersonOnce(ctx context.Context, id string, patch []byte, ifVersion int64) (Person, error) {
	item, err := s.getItem(ctx, PersonPK(id), ProfileSK)
	if errors.Is(err, ErrNotFound) {
		return Person{}, fmt.Errorf("person %s: %w", id, ErrNotFound)
	}
	if err != nil {
		return Person{}, err
	}
	// Two independent copies: decoding the patch writes through pointer fields.
	var cur, next Person
	if err := attributevalue.UnmarshalMap(item, &cur); err != nil {
		return Person{}, fmt.Errorf("unmarshal person %s: %w", id, err)
	}
	if ifVersion != 0 && cur.Version != ifVersion {
		return Person{}, fmt.Errorf("person %s: %w", id, ErrVersionMismatch)
	}
	if err := attributevalue.UnmarshalMap(item, &next); err != nil {
		return Person{}, fmt.Errorf("unmarshal person %s: %w", id, err)
	}
	if err := DecodeJSON(patch, &next); err != nil {
		return Person{}, err
	}
	if next.ID != cur.ID {
		return Person{}, &ValidationError{Fields: []FieldError{{Field: "id", Message: "cannot be changed"}}}
	}
	next.CreatedAt, next.UpdatedAt, next.Version = cur.CreatedAt, Timestamp(s.now()), cur.Version+1
	if err := next.Validate(); err != nil {
		return Person{}, err
	}
	newItem, err := PersonItem(next)
	if err != nil {
		return Person{}, err
	}
	// UpdateItem rather than PutItem: the PROFILE item also carries the pointers to the
	// primary related items, which a patch of the person must not overwrite.
	var upd expression.UpdateBuilder
	for name, v := range newItem {
		if name != AttrPK && name != AttrSK {
			upd = upd.Set(expression.Name(name), expression.Value(v))
		}
	}
	for _, optional := range []string{"dateOfBirth", "gender"} {
		if _, ok := newItem[optional]; !ok {
			upd = upd.Remove(expression.Name(optional))
		}
	}
	e, err := expression.NewBuilder().WithUpdate(upd).
		WithCondition(expression.Name(AttrVersion).Equal(expression.Value(cur.Version))).Build()
	if err != nil {
		return Person{}, err
	}
	_, err = s.db.UpdateItem(ctx, &dynamodb.UpdateItemInput{
		TableName:                 aws.String(s.table),
		Key:                       key(PersonPK(id), ProfileSK),
		UpdateExpression:          e.Update(),
		ConditionExpression:       e.Condition(),
		ExpressionAttributeNames:  e.Names(),
		ExpressionAttributeValues: e.Values(),
	})
	if conditionFailed(err) {
		return Person{}, errRetry
	}
	if err != nil {
		return Person{}, fmt.Errorf("update person %s: %w", id, err)
	}
	return next, nil
}

// maxTxItems is DynamoDB's limit of items in one TransactWriteItems.
const maxTxItems = 100

// DeletePerson deletes a person and everything in its partition. It reads the keys with
// one keys-only Query, then deletes them in TransactWriteItems chunks of at most 100 with
// the PROFILE item in the last chunk: an interrupted delete leaves a still visible person,
// and running it again finishes the job. ifVersion, when not 0, must equal the person's
// version.
func (s *Store) DeletePerson(ctx context.Context, id string, ifVersion int64) error {
	if err := checkID("personId", id); err != nil {
		return err
	}
	proj := expression.NamesList(expression.Name(AttrPK), expression.Name(AttrSK), expression.Name(AttrVersion))
	in, err := partitionQuery(s.table, PersonPK(id), nil, &proj)
	if err != nil {
		return err
	}
	items, err := s.queryAll(ctx, in)
	if err != nil {
		return err
	}
	var profile map[string]types.AttributeValue
	deletes := make([]types.TransactWriteItem, 0, len(items))
	for _, item := range items {
		if sk, _ := item[AttrSK].(*types.AttributeValueMemberS); sk != nil && sk.Value == ProfileSK {
			profile = item
			continue
		}
		deletes = append(deletes, types.TransactWriteItem{Delete: &types.Delete{
			TableName: aws.String(s.table),
			Key:       map[string]types.AttributeValue{AttrPK: item[AttrPK], AttrSK: item[AttrSK]},
		}})
	}
	if profile == nil {
		return fmt.Errorf("person %s: %w", id, ErrNotFound)
	}
	var version int64
	if err := attributevalue.Unmarshal(profile[AttrVersion], &version); err != nil {
		return fmt.Errorf("person %s version: %w", id, err)
	}
	if ifVersion != 0 && version != ifVersion {
		return fmt.Errorf("person %s: %w", id, ErrVersionMismatch)
	}
	profileDelete := &types.Delete{TableName: aws.String(s.table), Key: key(PersonPK(id), ProfileSK)}
	if ifVersion != 0 {
		// Pinned version: the PROFILE goes only if nobody changed the person meanwhile.
		cond, err := expression.NewBuilder().WithCondition(expression.Name(AttrVersion).Equal(expression.Value(version))).Build()
		if err != nil {
			return err
		}
		profileDelete.ConditionExpression = cond.Condition()
		profileDelete.ExpressionAttributeNames = cond.Names()
		profileDelete.ExpressionAttributeValues = cond.Values()
	}
	deletes = append(deletes, types.TransactWriteItem{Delete: profileDelete})
	for start := 0; start < len(deletes); start += maxTxItems {
		chunk := deletes[start:min(start+maxTxItems, len(deletes))]
		_, err := s.db.TransactWriteItems(ctx, &dynamodb.TransactWriteItemsInput{TransactItems: chunk})
		if failed, _, ok := txFailures(err); ok && len(failed) == len(chunk) && failed[len(chunk)-1] {
			// Only the PROFILE delete has a condition (with ifVersion): the person changed meanwhile.
			return fmt.Errorf("person %s: %w", id, ErrVersionMismatch)
		}
		if err != nil {
			return fmt.Errorf("delete person %s: %w", id, err)
		}
	}
	return nil
}
