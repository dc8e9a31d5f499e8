package persons

import (
	"strings"

	"golang.org/x/text/cases"
)

// Key scheme of the single table:
//
//	Person       pk=PERSON#<personId>  sk=PROFILE               gsi1pk=PERSONS gsi1sk=<last>␟<first>␟<id>
//	Address      pk=PERSON#<personId>  sk=ADDRESS#<addressId>
//	BankAccount  pk=PERSON#<personId>  sk=BANK#<bankAccountId>
//	ContactInfo  pk=PERSON#<personId>  sk=CONTACT#<contactId>
//	Employment   pk=PERSON#<personId>  sk=EMPLOYMENT#<employmentId>
const (
	PersonPKPrefix = "PERSON#"
	ProfileSK      = "PROFILE"
	PersonsGSI1PK  = "PERSONS"

	// gsi1Sep separates the parts of gsi1sk. U+001F (unit separator) sorts below every
	// character a name may hold (validation rejects control characters), so "de" sorts
	// before "de vries" and a last-name prefix never matches across the separator by accident.
	gsi1Sep = "\x1f"
)

// Entity discriminator values (the AttrEntity attribute).
const (
	EntityPerson      = "Person"
	EntityAddress     = "Address"
	EntityBankAccount = "BankAccount"
	EntityContactInfo = "ContactInfo"
	EntityEmployment  = "Employment"
)

// Kind describes one kind of item related to a person: everything in which the four
// related kinds differ, so that one generic implementation serves them all.
type Kind struct {
	Entity    string // discriminator, e.g. "Address"
	SKPrefix  string // e.g. "ADDRESS#"
	Route     string // URL segment, e.g. "addresses"
	JSONField string // field in a person with all related items, e.g. "addresses"
	// PrimaryAttr names the attribute of the PROFILE item that points to the kind's one
	// primary item; empty for kinds without isPrimary.
	PrimaryAttr string
}

// The four related kinds.
var (
	AddressKind     = Kind{Entity: EntityAddress, SKPrefix: "ADDRESS#", Route: "addresses", JSONField: "addresses", PrimaryAttr: "primaryAddressId"}
	BankAccountKind = Kind{Entity: EntityBankAccount, SKPrefix: "BANK#", Route: "bank-accounts", JSONField: "bankAccounts", PrimaryAttr: "primaryBankAccountId"}
	ContactKind     = Kind{Entity: EntityContactInfo, SKPrefix: "CONTACT#", Route: "contacts", JSONField: "contacts", PrimaryAttr: "primaryContactId"}
	EmploymentKind  = Kind{Entity: EntityEmployment, SKPrefix: "EMPLOYMENT#", Route: "employments", JSONField: "employments"}
)

// Kinds lists the related kinds in a stable order.
var Kinds = []Kind{AddressKind, BankAccountKind, ContactKind, EmploymentKind}

// PersonPK is the partition key of a person and all its related items.
func PersonPK(personID string) string { return PersonPKPrefix + personID }

// SK is the sort key of the related item id of kind k.
func (k Kind) SK(id string) string { return k.SKPrefix + id }

// foldName case-folds a name for GSI1 ordering and prefix search. A Caser is stateful
// and not safe for concurrent use, hence one per call.
func foldName(s string) string { return cases.Fold().String(strings.TrimSpace(s)) }

// GSI1SK is the GSI1 sort key of a person: case-folded last name, first name and id, so
// that GSI1 lists persons by last name, first name, id, case-insensitively.
func GSI1SK(lastName, firstName, id string) string {
	return foldName(lastName) + gsi1Sep + foldName(firstName) + gsi1Sep + id
}

// GSI1Prefix is the GSI1 sort key prefix that finds persons whose last name starts with
// prefix (case-insensitive).
func GSI1Prefix(lastNamePrefix string) string { return foldName(lastNamePrefix) }
