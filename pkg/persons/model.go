package persons

import "errors"

// The entity types. Their JSON member names are also their DynamoDB attribute names: the
// item encoder reads the json tags (attributevalue's TagKey), so there is one set of tags.
// Optional fields are pointers WITHOUT omitempty: a response sends an unset one as an
// explicit null, because clients (TanStack DB) merge a refetched item over the one they
// hold, and a member that is left out would never clear there. The table stores no NULL
// attributes (marshal drops them): an unset field is an absent attribute. null in a merge
// patch clears a field.

// ItemKey identifies a related item: its own id and the id of its person.
type ItemKey struct {
	ID       string `json:"id"`
	PersonID string `json:"personId"`
}

// Versioned is the optimistic-locking counter every item carries: 1 when created, +1 per
// write. It belongs to the server: client values are ignored.
type Versioned struct {
	Version int64 `json:"version"`
}

// Primary marks the one item of its kind that is the person's primary one. The store keeps
// at most one per person and kind (see Store).
type Primary struct {
	IsPrimary bool `json:"isPrimary"`
}

// Person is the root entity: one PROFILE item per person partition.
type Person struct {
	ID          string  `json:"id"`
	FirstName   string  `json:"firstName"`
	LastName    string  `json:"lastName"`
	DateOfBirth *string `json:"dateOfBirth"`
	Gender      *string `json:"gender"`
	// CreatedAt, UpdatedAt and Version belong to the server: client values are ignored.
	CreatedAt string `json:"createdAt"`
	UpdatedAt string `json:"updatedAt"`
	Versioned
}

// Address is a postal address of a person.
type Address struct {
	ItemKey
	Type       string `json:"type"`
	Street     string `json:"street"`
	City       string `json:"city"`
	State      string `json:"state"`
	PostalCode string `json:"postalCode"`
	Country    string `json:"country"`
	Primary
	Versioned
}

// BankAccount is a bank account of a person: the last four digits of the account number,
// and optionally its IBAN and BIC. The store keeps the IBAN in full (the table is encrypted
// with the stack's KMS key); the HTTP API shows it masked to callers without the bank scope
// and keeps them from setting or changing it (pkg/api).
type BankAccount struct {
	ItemKey
	BankName           string  `json:"bankName"`
	AccountType        string  `json:"accountType"`
	AccountNumberLast4 string  `json:"accountNumberLast4"`
	IBAN               *string `json:"iban"`
	BIC                *string `json:"bic"`
	Primary
	Versioned
}

// ContactInfo is one way to reach a person (email, phone, social handle).
type ContactInfo struct {
	ItemKey
	Type  string `json:"type"`
	Value string `json:"value"`
	Primary
	IsVerified bool `json:"isVerified"`
	Versioned
}

// Employment is a past or current job of a person.
type Employment struct {
	ItemKey
	CompanyName string   `json:"companyName"`
	Position    string   `json:"position"`
	Department  *string  `json:"department"`
	StartDate   string   `json:"startDate"`
	EndDate     *string  `json:"endDate"`
	IsCurrent   bool     `json:"isCurrent"`
	Salary      *float64 `json:"salary"`
	// Currency defaults to DefaultCurrency when empty.
	Currency string `json:"currency"`
	Versioned
}

// Enumerations of the entity fields.
var (
	Genders         = []string{"male", "female", "other", "prefer_not_to_say"}
	AddressTypes    = []string{"home", "work", "billing", "shipping"}
	AccountTypes    = []string{"checking", "savings", "investment"}
	ContactTypes    = []string{"email", "phone", "mobile", "linkedin", "twitter"}
	DefaultCurrency = "USD"
)

// PersonDetails is a person with all its related items.
type PersonDetails struct {
	Person
	Addresses    []Address     `json:"addresses"`
	BankAccounts []BankAccount `json:"bankAccounts"`
	Contacts     []ContactInfo `json:"contacts"`
	Employments  []Employment  `json:"employments"`
}

// Errors returned (wrapped) by Store operations; match them with errors.Is. Invalid input
// is an *input.ValidationError naming every failing field (errors.As).
var (
	ErrNotFound        = errors.New("not found")
	ErrAlreadyExists   = errors.New("already exists")
	ErrVersionMismatch = errors.New("version mismatch")
	ErrInvalidCursor   = errors.New("invalid cursor")
	// ErrContention: concurrent writers kept changing what a write depends on until its
	// retry budget ran out. Trying again later may succeed.
	ErrContention = errors.New("too much contention")
)
