package persons

import (
	"fmt"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
)

// EntityItem is one stored item of a person partition seen as the API sees it: what
// the change feed (pkg/changes) records for a stream image.
type EntityItem struct {
	// Entity is the item's discriminator: "Person", "Address", "BankAccount",
	// "ContactInfo" or "Employment".
	Entity   string
	PersonID string
	ID       string
	Version  int64
	// Value is the API representation (*Person, *Address, ...): encoded with
	// encoding/json it is what a GET of the item returns.
	Value any
}

// DecodeEntityItem decodes a table item into its API representation. ok is false for
// items that are not an entity of a person partition (the change log's own entries,
// anything without a known discriminator), which the feed ignores.
func DecodeEntityItem(item map[string]types.AttributeValue) (e EntityItem, ok bool, err error) {
	pk, _ := item[AttrPK].(*types.AttributeValueMemberS)
	entity, _ := item[AttrEntity].(*types.AttributeValueMemberS)
	if pk == nil || entity == nil || len(pk.Value) <= len(PersonPKPrefix) || pk.Value[:len(PersonPKPrefix)] != PersonPKPrefix {
		return EntityItem{}, false, nil
	}
	e.Entity = entity.Value
	if entity.Value == entityPerson {
		var p Person
		if err := unmarshal(item, &p); err != nil {
			return EntityItem{}, false, fmt.Errorf("decode %s: %w", entity.Value, err)
		}
		e.PersonID, e.ID, e.Version, e.Value = p.ID, p.ID, p.Version, &p
		return e, true, nil
	}
	for _, k := range Kinds {
		if k.Entity != entity.Value {
			continue
		}
		var d PersonDetails
		if err := k.decodeInto(&d, item); err != nil {
			return EntityItem{}, false, fmt.Errorf("decode %s: %w", entity.Value, err)
		}
		var v record
		switch {
		case len(d.Addresses) == 1:
			v = &d.Addresses[0]
		case len(d.BankAccounts) == 1:
			v = &d.BankAccounts[0]
		case len(d.Contacts) == 1:
			v = &d.Contacts[0]
		case len(d.Employments) == 1:
			v = &d.Employments[0]
		default:
			return EntityItem{}, false, fmt.Errorf("decode %s: kind without its list", entity.Value)
		}
		e.PersonID, e.ID, e.Version, e.Value = v.itemKey().PersonID, v.itemKey().ID, v.versioned().Version, v
		return e, true, nil
	}
	return EntityItem{}, false, nil
}

// Client is the DynamoDB client the store uses, for readers of the same table that are
// not the store's own (the change feed).
func (s *Store) Client() *dynamodb.Client { return s.db }

// Now is the store's clock (WithClock in tests).
func (s *Store) Now() time.Time { return s.now() }
