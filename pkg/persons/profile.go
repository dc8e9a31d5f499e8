package persons

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"unicode"

	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/expression"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/personsapi/persons/pkg/backoff"
)

// MaxRelatedPerKind caps the items of each related kind per person. It bounds what one
// person costs: the largest `include=all` response stays far below Lambda's 6 MB (see
// TestLargestPersonFitsALambdaResponse in pkg/api) and a cascade delete of a person at
// the caps takes a few dozen requests.
const MaxRelatedPerKind = 100

// ErrLimit: a related item would exceed MaxRelatedPerKind. It is wrapped in a *LimitError.
var ErrLimit = errors.New("limit reached")

// LimitError says which cap a create hit.
type LimitError struct {
	Kind *Kind
	Max  int
}

func (e *LimitError) Error() string {
	return fmt.Sprintf("a person has at most %d items of kind %s", e.Max, e.Kind.Entity)
}

func (e *LimitError) Unwrap() error { return ErrLimit }

// attrDeleting marks a PROFILE item whose cascade delete has begun (the time it began).
// From then on the person's related items are not found, and no item can be created
// under it, so that the delete's last read of the partition sees everything there is.
const attrDeleting = "deletingSince"

// countAttr is the PROFILE attribute counting the items of kind k created under the
// person: "addressCount". Creates increment it on condition that it is below the cap, in
// the same transaction as the item; deletes leave it alone (a delete would otherwise need
// a transaction too), so it may count too many: a create that finds it at the cap counts
// the real items and repairs it (see Related.recount).
func (k *Kind) countAttr() string {
	r := []rune(k.Entity)
	r[0] = unicode.ToLower(r[0])
	return string(r) + "Count"
}

// profile is what the write path needs of a PROFILE item.
type profile struct {
	item map[string]types.AttributeValue
}

// usable reports whether the person exists and is not being deleted.
func (p profile) usable() bool {
	if len(p.item) == 0 {
		return false
	}
	_, deleting := p.item[attrDeleting]
	return !deleting
}

// pointer is the id of kind k's primary item, or "".
func (p profile) pointer(k *Kind) string {
	v, _ := p.item[k.PrimaryAttr].(*types.AttributeValueMemberS)
	if v == nil {
		return ""
	}
	return v.Value
}

// count is the counter of kind k.
func (p profile) count(k *Kind) int64 {
	v, _ := p.item[k.countAttr()].(*types.AttributeValueMemberN)
	if v == nil {
		return 0
	}
	n, _ := strconv.ParseInt(v.Value, 10, 64)
	return n
}

// personGone is the error for a person that does not exist or is being deleted.
func personGone(personID string) error { return fmt.Errorf("person %s: %w", personID, ErrNotFound) }

// usableCond is the condition a PROFILE must meet for a related item to be written.
func usableCond() expression.ConditionBuilder {
	return expression.AttributeExists(expression.Name(AttrPK)).And(expression.AttributeNotExists(expression.Name(attrDeleting)))
}

// getWithProfile reads the item at sk and its person's PROFILE with ONE BatchGetItem.
// A missing item is a nil map.
func (s *Store) getWithProfile(ctx context.Context, personID, sk string, c consistency) (item map[string]types.AttributeValue, p profile, err error) {
	pk := personPK(personID)
	keys := []map[string]types.AttributeValue{key(pk, sk), key(pk, profileSK)}
	consistent := bool(c)
	req := map[string]types.KeysAndAttributes{s.table: {Keys: keys, ConsistentRead: &consistent}}
	for attempt := 1; len(req) > 0; attempt++ {
		if attempt > 1 {
			// Unprocessed keys: DynamoDB is throttling; back off before asking again.
			if err := backoff.Sleep(ctx, retryPolicy.Delay(attempt)); err != nil {
				return nil, profile{}, err
			}
		}
		out, err := s.db.BatchGetItem(ctx, &dynamodb.BatchGetItemInput{RequestItems: req})
		if err != nil {
			return nil, profile{}, fmt.Errorf("get %s %s: %w", pk, sk, err)
		}
		for _, it := range out.Responses[s.table] {
			if v, _ := it[AttrSK].(*types.AttributeValueMemberS); v != nil && v.Value == profileSK {
				p.item = it
			} else {
				item = it
			}
		}
		req = out.UnprocessedKeys
	}
	return item, p, nil
}

// getProfile reads a PROFILE item; a missing one is the zero profile.
func (s *Store) getProfile(ctx context.Context, personID string, c consistency) (profile, error) {
	item, err := s.getItem(ctx, personPK(personID), profileSK, c)
	if errors.Is(err, ErrNotFound) {
		return profile{}, nil
	}
	return profile{item: item}, err
}
