package persons

import (
	"fmt"

	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/attributevalue"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
)

// Child is the set of the four kinds of items related to a person. They differ only in
// their fields and Kind: one generic implementation (Related) serves them all.
type Child interface {
	Address | BankAccount | ContactInfo | Employment
}

// childFields gives generic code access to what every child has. Only *Address,
// *BankAccount, *ContactInfo and *Employment implement it, so fieldsOf never fails.
type childFields interface {
	kind() Kind
	ids() (personID, id *string)
	version() *int64
	// primary returns the isPrimary field, or nil for kinds without one.
	primary() *bool
	setDefaults()
	Validate() error
}

func fieldsOf[T Child](v *T) childFields { return any(v).(childFields) }

// KindOf returns the Kind of the child type T.
func KindOf[T Child]() Kind {
	var v T
	return fieldsOf(&v).kind()
}

func (a *Address) kind() Kind                  { return AddressKind }
func (a *Address) ids() (*string, *string)     { return &a.PersonID, &a.ID }
func (a *Address) version() *int64             { return &a.Version }
func (a *Address) primary() *bool              { return &a.IsPrimary }
func (b *BankAccount) kind() Kind              { return BankAccountKind }
func (b *BankAccount) ids() (*string, *string) { return &b.PersonID, &b.ID }
func (b *BankAccount) version() *int64         { return &b.Version }
func (b *BankAccount) primary() *bool          { return &b.IsPrimary }
func (c *ContactInfo) kind() Kind              { return ContactKind }
func (c *ContactInfo) ids() (*string, *string) { return &c.PersonID, &c.ID }
func (c *ContactInfo) version() *int64         { return &c.Version }
func (c *ContactInfo) primary() *bool          { return &c.IsPrimary }
func (e *Employment) kind() Kind               { return EmploymentKind }
func (e *Employment) ids() (*string, *string)  { return &e.PersonID, &e.ID }
func (e *Employment) version() *int64          { return &e.Version }
func (e *Employment) primary() *bool           { return nil }

// PersonItem returns the DynamoDB item of p: its attributes plus keys, GSI1 keys and the
// entity discriminator. It does not validate p.
func PersonItem(p Person) (map[string]types.AttributeValue, error) {
	item, err := attributevalue.MarshalMap(p)
	if err != nil {
		return nil, fmt.Errorf("marshal person: %w", err)
	}
	item[AttrPK] = sv(PersonPK(p.ID))
	item[AttrSK] = sv(ProfileSK)
	item[AttrGSI1PK] = sv(PersonsGSI1PK)
	item[AttrGSI1SK] = sv(GSI1SK(p.LastName, p.FirstName, p.ID))
	item[AttrEntity] = sv(EntityPerson)
	return item, nil
}

// ChildItem returns the DynamoDB item of a related item v: its attributes plus keys and
// the entity discriminator. It does not validate v.
func ChildItem[T Child](v T) (map[string]types.AttributeValue, error) {
	f := fieldsOf(&v)
	k := f.kind()
	item, err := attributevalue.MarshalMap(v)
	if err != nil {
		return nil, fmt.Errorf("marshal %s: %w", k.Entity, err)
	}
	personID, id := f.ids()
	item[AttrPK] = sv(PersonPK(*personID))
	item[AttrSK] = sv(k.SK(*id))
	item[AttrEntity] = sv(k.Entity)
	return item, nil
}

func sv(v string) types.AttributeValue { return &types.AttributeValueMemberS{Value: v} }

// setDefaults fills the defaults of the original design before validation.
func (a *Address) setDefaults()     {}
func (b *BankAccount) setDefaults() {}
func (c *ContactInfo) setDefaults() {}
func (e *Employment) setDefaults() {
	if e.Currency == "" {
		e.Currency = DefaultCurrency
	}
}

// Ref identifies a related item: its person, its id and its version.
type Ref struct {
	PersonID, ID string
	Version      int64
}

// RefOf returns the identity and version of the related item v.
func RefOf[T Child](v T) Ref {
	f := fieldsOf(&v)
	personID, id := f.ids()
	return Ref{PersonID: *personID, ID: *id, Version: *f.version()}
}
