package persons

import (
	"fmt"
	"strings"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"golang.org/x/text/cases"
	"golang.org/x/text/unicode/norm"
)

// Key scheme of the single table (doc.go has the whole data model):
//
//	Person       pk=PERSON#<personId>  sk=PROFILE               gsi1pk=PERSONS gsi1sk=<last>␟<first>␟<id>
//	Address      pk=PERSON#<personId>  sk=ADDRESS#<addressId>
//	BankAccount  pk=PERSON#<personId>  sk=BANK#<bankAccountId>
//	ContactInfo  pk=PERSON#<personId>  sk=CONTACT#<contactId>
//	Employment   pk=PERSON#<personId>  sk=EMPLOYMENT#<employmentId>
const (
	// PersonPKPrefix starts the partition key of every person partition: a Scan filtered
	// on it finds every item the store wrote (the seed's clear does).
	PersonPKPrefix = "PERSON#"
	profileSK      = "PROFILE"
	personsGSI1PK  = "PERSONS"

	// gsi1Sep separates the parts of gsi1sk. U+001F (unit separator) sorts below every
	// character a name may hold (validation rejects control characters), so "de" sorts
	// before "de vries" and a last-name prefix never matches across the separator by accident.
	gsi1Sep = "\x1f"

	entityPerson = "Person"
)

// personPK is the partition key of a person and all its related items.
func personPK(personID string) string { return PersonPKPrefix + personID }

// foldName case-folds a name for GSI1 ordering and prefix search, after NFC normalization
// (stored names are NFC already; a prefix may not be). A Caser is stateful and not safe
// for concurrent use, hence one per call.
func foldName(s string) string { return cases.Fold().String(norm.NFC.String(strings.TrimSpace(s))) }

// gsi1SK is the GSI1 sort key of a person: case-folded last name, first name and id, so
// that GSI1 lists persons by last name, first name, id, case-insensitively.
func gsi1SK(lastName, firstName, id string) string {
	return foldName(lastName) + gsi1Sep + foldName(firstName) + gsi1Sep + id
}

// gsi1Prefix is the GSI1 sort key prefix that finds persons whose last name starts with
// prefix (case-insensitive).
func gsi1Prefix(lastNamePrefix string) string { return foldName(lastNamePrefix) }

// Kind describes one kind of item related to a person: everything in which the related
// kinds differ, so that one generic implementation (Related) serves them all. The kinds
// are the registry below; compare them by pointer.
type Kind struct {
	// Entity is the value of the entity discriminator attribute, e.g. "Address".
	Entity   string
	skPrefix string // e.g. "ADDRESS#"
	// PrimaryAttr names the attribute of the PROFILE item that points to the kind's one
	// primary item; empty for kinds without isPrimary.
	PrimaryAttr string

	// The kind's part of a PersonDetails, for reading and writing a whole person.
	empty      func(d *PersonDetails) // sets the kind's list to an empty one (JSON [] rather than null)
	versions   func(d *PersonDetails, yield func(sk string, version int64))
	decodeInto func(d *PersonDetails, item map[string]types.AttributeValue) error
	encodeFrom func(d *PersonDetails) (items []map[string]types.AttributeValue, primaryID string, err error)
}

// The registry of related kinds: one line each. A kind is a struct embedding ItemKey and
// Versioned (and Primary if it has one), with a Validate method, a kind method naming its
// entry here, and a field in PersonDetails.
var (
	AddressKind     = newKind("Address", "ADDRESS#", "primaryAddressId", func(d *PersonDetails) *[]Address { return &d.Addresses })
	BankAccountKind = newKind("BankAccount", "BANK#", "primaryBankAccountId", func(d *PersonDetails) *[]BankAccount { return &d.BankAccounts })
	ContactKind     = newKind("ContactInfo", "CONTACT#", "primaryContactId", func(d *PersonDetails) *[]ContactInfo { return &d.Contacts })
	EmploymentKind  = newKind("Employment", "EMPLOYMENT#", "", func(d *PersonDetails) *[]Employment { return &d.Employments })
)

func (*Address) kind() *Kind     { return AddressKind }
func (*BankAccount) kind() *Kind { return BankAccountKind }
func (*ContactInfo) kind() *Kind { return ContactKind }
func (*Employment) kind() *Kind  { return EmploymentKind }

// Kinds lists the related kinds in a stable order.
var Kinds = []*Kind{AddressKind, BankAccountKind, ContactKind, EmploymentKind}

// sk is the sort key of the related item id of kind k.
func (k *Kind) sk(id string) string { return k.skPrefix + id }

// Record is implemented by pointers to the related kinds; it lets generic code reach the
// fields every related item has. T is the struct type (Address, ...), P its pointer type.
type Record[T any] interface {
	*T
	record
}

// record is what a pointer to a related kind has.
type record interface {
	itemKey() *ItemKey
	versioned() *Versioned
	kind() *Kind
	// Validate reports every invalid field at once as an *input.ValidationError.
	Validate() error
	// Clean normalizes the item into its stored form, then validates it.
	Clean() error
}

// Compile-time checks that every kind is a record.
var (
	_ record = (*Address)(nil)
	_ record = (*BankAccount)(nil)
	_ record = (*ContactInfo)(nil)
	_ record = (*Employment)(nil)
)

func (k *ItemKey) itemKey() *ItemKey       { return k }
func (v *Versioned) versioned() *Versioned { return v }
func (p *Primary) primary() *Primary       { return p }

// isPrimary reports whether v is a primary item (false for kinds without isPrimary).
func isPrimary(v any) bool {
	p, ok := v.(interface{ primary() *Primary })
	return ok && p.primary().IsPrimary
}

// defaulter is implemented by kinds with defaults to fill in before validation.
type defaulter interface{ setDefaults() }

func (e *Employment) setDefaults() {
	if e.Currency == "" {
		e.Currency = DefaultCurrency
	}
}

// KindOf returns the Kind of the related type T.
func KindOf[T any, P Record[T]]() *Kind { return P(new(T)).kind() }

// Ref identifies a related item and its version.
type Ref struct {
	PersonID, ID string
	Version      int64
}

// RefOf returns the identity and version of the related item v.
func RefOf[T any, P Record[T]](v T) Ref {
	p := P(&v)
	k := p.itemKey()
	return Ref{PersonID: k.PersonID, ID: k.ID, Version: p.versioned().Version}
}

// newKind builds a registry entry for the related type T, stored in the PersonDetails
// field that slice returns.
func newKind[T any, P Record[T]](entity, skPrefix, primaryAttr string, slice func(*PersonDetails) *[]T) *Kind {
	k := &Kind{Entity: entity, skPrefix: skPrefix, PrimaryAttr: primaryAttr}
	k.empty = func(d *PersonDetails) { *slice(d) = []T{} }
	k.versions = func(d *PersonDetails, yield func(string, int64)) {
		for i := range *slice(d) {
			v := P(&(*slice(d))[i])
			yield(k.sk(v.itemKey().ID), v.versioned().Version)
		}
	}
	k.decodeInto = func(d *PersonDetails, item map[string]types.AttributeValue) error {
		var v T
		if err := unmarshal(item, &v); err != nil {
			return err
		}
		*slice(d) = append(*slice(d), v)
		return nil
	}
	k.encodeFrom = func(d *PersonDetails) ([]map[string]types.AttributeValue, string, error) {
		var items []map[string]types.AttributeValue
		primaryID := ""
		for i := range *slice(d) {
			v := &(*slice(d))[i]
			if isPrimary(v) {
				if primaryID != "" {
					return nil, "", fmt.Errorf("%s: two primary items, %s and %s", entity, primaryID, P(v).itemKey().ID)
				}
				primaryID = P(v).itemKey().ID
			}
			item, err := childItem(P(v))
			if err != nil {
				return nil, "", err
			}
			items = append(items, item)
		}
		return items, primaryID, nil
	}
	return k
}
