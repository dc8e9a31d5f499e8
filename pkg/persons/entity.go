package persons

// The JSON and DynamoDB attribute names of every entity are the camelCase names of the
// original design. Optional fields are pointers: absent fields are neither stored (no NULL
// attributes) nor sent, and a JSON null in a patch clears them.

// Person is the root entity: one PROFILE item per person partition.
type Person struct {
	ID          string  `json:"id" dynamodbav:"id"`
	FirstName   string  `json:"firstName" dynamodbav:"firstName"`
	LastName    string  `json:"lastName" dynamodbav:"lastName"`
	DateOfBirth *string `json:"dateOfBirth,omitempty" dynamodbav:"dateOfBirth,omitempty"`
	Gender      *string `json:"gender,omitempty" dynamodbav:"gender,omitempty"`
	// CreatedAt, UpdatedAt and Version belong to the server: client values are ignored.
	CreatedAt string `json:"createdAt" dynamodbav:"createdAt"`
	UpdatedAt string `json:"updatedAt" dynamodbav:"updatedAt"`
	Version   int64  `json:"version" dynamodbav:"version"`
}

// Address is a postal address of a person.
type Address struct {
	ID         string `json:"id" dynamodbav:"id"`
	PersonID   string `json:"personId" dynamodbav:"personId"`
	Type       string `json:"type" dynamodbav:"type"`
	Street     string `json:"street" dynamodbav:"street"`
	City       string `json:"city" dynamodbav:"city"`
	State      string `json:"state" dynamodbav:"state"`
	PostalCode string `json:"postalCode" dynamodbav:"postalCode"`
	Country    string `json:"country" dynamodbav:"country"`
	IsPrimary  bool   `json:"isPrimary" dynamodbav:"isPrimary"`
	Version    int64  `json:"version" dynamodbav:"version"`
}

// BankAccount is a bank account of a person; only the last four digits of the number are kept.
type BankAccount struct {
	ID                 string  `json:"id" dynamodbav:"id"`
	PersonID           string  `json:"personId" dynamodbav:"personId"`
	BankName           string  `json:"bankName" dynamodbav:"bankName"`
	AccountType        string  `json:"accountType" dynamodbav:"accountType"`
	AccountNumberLast4 string  `json:"accountNumberLast4" dynamodbav:"accountNumberLast4"`
	IBAN               *string `json:"iban,omitempty" dynamodbav:"iban,omitempty"`
	BIC                *string `json:"bic,omitempty" dynamodbav:"bic,omitempty"`
	IsPrimary          bool    `json:"isPrimary" dynamodbav:"isPrimary"`
	Version            int64   `json:"version" dynamodbav:"version"`
}

// ContactInfo is one way to reach a person (email, phone, social handle).
type ContactInfo struct {
	ID         string `json:"id" dynamodbav:"id"`
	PersonID   string `json:"personId" dynamodbav:"personId"`
	Type       string `json:"type" dynamodbav:"type"`
	Value      string `json:"value" dynamodbav:"value"`
	IsPrimary  bool   `json:"isPrimary" dynamodbav:"isPrimary"`
	IsVerified bool   `json:"isVerified" dynamodbav:"isVerified"`
	Version    int64  `json:"version" dynamodbav:"version"`
}

// Employment is a past or current job of a person.
type Employment struct {
	ID          string   `json:"id" dynamodbav:"id"`
	PersonID    string   `json:"personId" dynamodbav:"personId"`
	CompanyName string   `json:"companyName" dynamodbav:"companyName"`
	Position    string   `json:"position" dynamodbav:"position"`
	Department  *string  `json:"department,omitempty" dynamodbav:"department,omitempty"`
	StartDate   string   `json:"startDate" dynamodbav:"startDate"`
	EndDate     *string  `json:"endDate,omitempty" dynamodbav:"endDate,omitempty"`
	IsCurrent   bool     `json:"isCurrent" dynamodbav:"isCurrent"`
	Salary      *float64 `json:"salary,omitempty" dynamodbav:"salary,omitempty"`
	// Currency defaults to USD when empty on create.
	Currency string `json:"currency" dynamodbav:"currency"`
	Version  int64  `json:"version" dynamodbav:"version"`
}

// Enumerations of the original design.
var (
	Genders         = []string{"male", "female", "other", "prefer_not_to_say"}
	AddressTypes    = []string{"home", "work", "billing", "shipping"}
	AccountTypes    = []string{"checking", "savings", "investment"}
	ContactTypes    = []string{"email", "phone", "mobile", "linkedin", "twitter"}
	DefaultCurrency = "USD"
)
