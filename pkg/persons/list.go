package persons

import (
	"context"
	"fmt"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/expression"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
)

// ListPersonsOptions select a page of persons. Persons are listed in the order of GSI1's
// sort key: by last name, then first name, then id, each name compared as its
// case-folded form (see ListPersons), ascending unless Descending. Every selection is a
// key condition or a filter of ONE Query of GSI1.
type ListPersonsOptions struct {
	Limit  int    // 0 means DefaultLimit; at most MaxPersonsLimit
	Cursor string // NextCursor of the previous page of the same list (same options)
	// After starts the list after the person at this position (exclusive), in the
	// list's order: a cursor made of values, such as the last person a client holds. It
	// cannot be combined with Cursor; the person need not exist.
	After *PersonPosition
	// Descending lists in the exact reverse of the ascending order.
	Descending bool
	// LastNamePrefix keeps persons whose last name starts with it (case-insensitive).
	LastNamePrefix string
	// LastName keeps persons whose last name is it (case-insensitive).
	LastName string
	// Gender keeps persons of this gender (one of Genders); persons without one never
	// match.
	Gender string
	// BornFrom and BornTo keep persons born in [BornFrom, BornTo], both inclusive; each
	// is a date (midnight UTC) or an RFC 3339 date-time, as a date of birth. Persons
	// without a date of birth never match.
	BornFrom, BornTo string
}

// PersonPosition is a place in the persons list: a person's last name, first name and id,
// as stored (the list compares their folded forms).
type PersonPosition struct {
	LastName, FirstName, ID string
}

// ListPersons returns a page of persons from GSI1. The order is that of the byte strings
//
//	fold(lastName) U+001F fold(firstName) U+001F id
//
// where fold trims white space, normalizes to Unicode NFC and applies full Unicode case
// folding (golang.org/x/text/cases.Fold: CaseFolding.txt C+F, so "ß" is "ss"), and
// strings compare by their UTF-8 bytes. U+001F sorts below every character a name may
// hold, so this is last name, then first name, then id. Descending is its exact reverse.
//
// A filtered page (Gender, BornFrom, BornTo) may need several Queries to fill; it reads
// until the page is full or the index ends, at most maxReadsPerPage Queries of up to 1 MB
// each. A page that stops there holds fewer items than Limit, possibly none, and a
// NextCursor: only a missing NextCursor ends a list.
func (s *Store) ListPersons(ctx context.Context, o ListPersonsOptions) (Page[Person], error) {
	limit, err := pageLimit(o.Limit, MaxPersonsLimit)
	if err != nil {
		return Page[Person]{}, err
	}
	q, err := o.query()
	if err != nil {
		return Page[Person]{}, err
	}
	if q.empty {
		return Page[Person]{Items: []Person{}}, nil
	}
	in, err := q.input(s.table)
	if err != nil {
		return Page[Person]{}, err
	}
	items, next, err := s.queryPage(ctx, in, q.list(), limit, o.Cursor)
	if err != nil {
		return Page[Person]{}, err
	}
	list, err := decodeItems[Person](items)
	if err != nil {
		return Page[Person]{}, fmt.Errorf("unmarshal persons: %w", err)
	}
	return Page[Person]{Items: list, NextCursor: next}, nil
}

// personsQuery is a checked ListPersonsOptions, in the terms of GSI1.
type personsQuery struct {
	prefix string // gsi1sk prefix
	// empty: nothing can match (a last name outside the prefix, an empty born range, a
	// start position after the end of the list).
	empty            bool
	desc             bool
	start            map[string]types.AttributeValue // ExclusiveStartKey of After
	gender           string
	bornFrom, bornTo string // stored form (Timestamp)
}

// query checks the options and turns them into a personsQuery. Its field errors are
// named after the HTTP query parameters.
func (o ListPersonsOptions) query() (personsQuery, error) {
	var fe checks
	q := personsQuery{desc: o.Descending, gender: o.Gender}
	if o.Gender != "" {
		fe.oneOf("gender", o.Gender, Genders)
	}
	q.bornFrom, q.bornTo = o.bornBound(&fe, "bornFrom", o.BornFrom), o.bornBound(&fe, "bornTo", o.BornTo)
	if o.After != nil {
		switch {
		case o.Cursor != "":
			fe.Add("cursor", "cannot be combined with a position to start after (afterLastName, afterFirstName, afterId)")
		case !ValidID(o.After.ID):
			fe.Add("afterId", "must be a UUID")
		}
	}
	if err := fe.Err(); err != nil {
		return personsQuery{}, err
	}

	var ok bool
	q.prefix, ok = keyPrefix(o.LastNamePrefix, o.LastName)
	q.empty = !ok || len(q.prefix) > maxSortKeyBytes || (q.bornFrom != "" && q.bornTo != "" && q.bornFrom > q.bornTo)
	if o.After != nil && !q.empty {
		q.start, q.empty = startAfter(q.prefix, q.desc, gsi1SK(o.After.LastName, o.After.FirstName, canonicalID(o.After.ID)), o.After.ID)
	}
	return q, nil
}

// bornBound checks a bound of the date-of-birth range and returns it in the stored form
// of dates of birth, which compare as strings in time order.
func (o ListPersonsOptions) bornBound(fe *checks, field, s string) string {
	if s == "" {
		return ""
	}
	t, msg := parseTime(s, true)
	if msg != "" {
		fe.Add(field, msg)
		return ""
	}
	return Timestamp(t)
}

// keyPrefix is the gsi1sk prefix of the persons whose last name starts with
// lastNamePrefix and, when lastName is set, is lastName; ok is false when no name can
// do both.
func keyPrefix(lastNamePrefix, lastName string) (prefix string, ok bool) {
	prefix = gsi1Prefix(lastNamePrefix)
	if lastName == "" {
		return prefix, true
	}
	exact := foldName(lastName) + gsi1Sep
	return exact, strings.HasPrefix(exact, prefix)
}

// startAfter returns the ExclusiveStartKey that continues the list after the sort key sk,
// or empty when no key of the list lies after it. DynamoDB refuses a start key outside the
// key condition, so a position before the prefix's range starts from its beginning.
func startAfter(prefix string, desc bool, sk, id string) (key map[string]types.AttributeValue, empty bool) {
	if !strings.HasPrefix(sk, prefix) {
		before := sk < prefix // before the whole range, in ascending order
		if before != desc {
			return nil, false // the list's first key comes after sk: start at the beginning
		}
		return nil, true
	}
	return map[string]types.AttributeValue{
		AttrGSI1PK: sv(personsGSI1PK), AttrGSI1SK: sv(sk),
		AttrPK: sv(personPK(canonicalID(id))), AttrSK: sv(profileSK),
	}, false
}

// filtered reports whether the query has a filter (not every item read is a match).
func (q personsQuery) filtered() bool { return q.gender != "" || q.bornFrom != "" || q.bornTo != "" }

// input builds the Query of GSI1.
func (q personsQuery) input(table string) (*dynamodb.QueryInput, error) {
	kc := expression.Key(AttrGSI1PK).Equal(expression.Value(personsGSI1PK))
	if q.prefix != "" {
		kc = kc.And(expression.Key(AttrGSI1SK).BeginsWith(q.prefix))
	}
	b := expression.NewBuilder().WithKeyCondition(kc)
	if q.filtered() {
		var conds []expression.ConditionBuilder
		if q.gender != "" {
			conds = append(conds, expression.Name(attrGender).Equal(expression.Value(q.gender)))
		}
		if q.bornFrom != "" {
			conds = append(conds, expression.Name(attrDateOfBirth).GreaterThanEqual(expression.Value(q.bornFrom)))
		}
		if q.bornTo != "" {
			conds = append(conds, expression.Name(attrDateOfBirth).LessThanEqual(expression.Value(q.bornTo)))
		}
		filter := conds[0]
		if len(conds) > 1 {
			filter = expression.And(conds[0], conds[1], conds[2:]...)
		}
		b = b.WithFilter(filter)
	}
	e, err := b.Build()
	if err != nil {
		return nil, err
	}
	return &dynamodb.QueryInput{
		TableName:                 aws.String(table),
		IndexName:                 aws.String(GSI1),
		KeyConditionExpression:    e.KeyCondition(),
		FilterExpression:          e.Filter(),
		ExpressionAttributeNames:  e.Names(),
		ExpressionAttributeValues: e.Values(),
		ScanIndexForward:          aws.Bool(!q.desc),
		ExclusiveStartKey:         q.start,
	}, nil
}

// list identifies the list for its cursors: the prefix, the order and the filters, so
// that a cursor continues only the list it came from. The ascending, unfiltered list
// keeps the id it had before order and filters existed, so its cursors stay valid.
func (q personsQuery) list() listRef {
	id := q.prefix
	if q.desc {
		id += "|desc"
	}
	if q.filtered() {
		id += "|gender=" + q.gender + "|born=" + q.bornFrom + ".." + q.bornTo
	}
	return personsList(id, q.prefix)
}

// The attributes of the filtered Person fields: their JSON names.
const (
	attrGender      = "gender"
	attrDateOfBirth = "dateOfBirth"
)

// maxReadsPerPage bounds the Queries of one filtered page: a filter that matches few
// persons must not read the whole index within one request (each Query reads up to 1 MB).
// A variable for tests.
var maxReadsPerPage = 16

// maxReadLimit bounds the Limit of one Query of a filtered page; DynamoDB stops at 1 MB
// anyway.
const maxReadLimit = 10_000

// readLimit is the Limit of the next Query of a page that needs need more items, when
// matched of the scanned items read so far passed the filter: need when all did (no
// filter), else as many as the share of matches suggests, so that a selective filter
// does not cost a round trip per match.
func readLimit(need, scanned, matched int) int32 {
	if scanned == 0 || matched >= scanned {
		return int32(need)
	}
	est := need * scanned / max(matched, 1)
	return int32(min(est+est/4, maxReadLimit))
}

// The filtered attributes must be Person's: a renamed json tag fails at start-up rather
// than filtering on an attribute that no item has.
var _ = func() bool {
	item, err := marshal(&Person{DateOfBirth: new(string), Gender: new(string)})
	if err != nil || item[attrGender] == nil || item[attrDateOfBirth] == nil {
		panic(fmt.Sprintf("persons: Person's attributes %s and %s are filtered on: %v", attrGender, attrDateOfBirth, err))
	}
	return true
}()
