package input_test

import (
	"encoding/json"

	"github.com/personsapi/persons/pkg/persons"
)

const testPersonID = "0b7e4b1c-2f0a-4c6e-9d3a-5f1e2d3c4b5a"

// The fixtures are valid entities, decoded with encoding/json so that the tests compare
// input.Decode against the standard library.
const (
	personJSON = `{"id":"` + testPersonID + `","firstName":"Ada","lastName":"Lovelace","dateOfBirth":"1815-12-10T00:00:00Z",
		"gender":"female","createdAt":"2024-01-02T03:04:05.678Z","updatedAt":"2024-01-02T03:04:05.678+01:00","version":3}`
	itemKeyJSON = `"id":"6f1c2d3e-4a5b-4c7d-8e9f-0a1b2c3d4e5f","personId":"` + testPersonID + `"`
	addressJSON = `{` + itemKeyJSON + `,"type":"home","street":"12 St James's Square","city":"London",
		"state":"Greater London","postalCode":"SW1Y 4JH","country":"United Kingdom","isPrimary":true}`
	bankAccountJSON = `{` + itemKeyJSON + `,"bankName":"Westminster Bank","accountType":"checking",
		"accountNumberLast4":"5432","iban":"GB82WEST12345698765432","bic":"NWBKGB2L"}`
	contactJSON    = `{` + itemKeyJSON + `,"type":"email","value":"ada@example.com","isPrimary":true}`
	employmentJSON = `{` + itemKeyJSON + `,"companyName":"Analytical Engines Ltd","position":"Engineer","department":"R&D",
		"startDate":"2019-03-01T09:00:00Z","endDate":"2023-06-30T17:00:00Z","salary":85000.5,"currency":"GBP"}`
)

func fixture[T any](data string) T {
	var v T
	if err := json.Unmarshal([]byte(data), &v); err != nil {
		panic(err)
	}
	return v
}

func validPerson() persons.Person           { return fixture[persons.Person](personJSON) }
func validAddress() persons.Address         { return fixture[persons.Address](addressJSON) }
func validBankAccount() persons.BankAccount { return fixture[persons.BankAccount](bankAccountJSON) }
func validContact() persons.ContactInfo     { return fixture[persons.ContactInfo](contactJSON) }
func validEmployment() persons.Employment   { return fixture[persons.Employment](employmentJSON) }

func ptr[T any](v T) *T { return &v }
