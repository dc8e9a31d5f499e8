package persons

import (
	"errors"
	"math"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/personsapi/persons/pkg/input"
)

const (
	testPersonID = "0b7e4b1c-2f0a-4c6e-9d3a-5f1e2d3c4b5a"
	testID       = "6f1c2d3e-4a5b-4c7d-8e9f-0a1b2c3d4e5f"
)

func ptr[T any](v T) *T { return &v }

// failingFields returns the sorted field names of a *input.ValidationError, nil for a nil error,
// and fails the test for any other error or for an entry without a message.
func failingFields(t *testing.T, err error) []string {
	t.Helper()
	if err == nil {
		return nil
	}
	fields, ok := input.FieldErrors(err)
	if !ok {
		t.Fatalf("error %T %q is not a *input.ValidationError", err, err)
	}
	if len(fields) == 0 {
		t.Fatalf("input.ValidationError without fields")
	}
	var names []string
	for _, f := range fields {
		if f.Message == "" {
			t.Errorf("field %q has no message", f.Field)
		}
		names = append(names, f.Field)
	}
	slices.Sort(names)
	return names
}

// checkFields compares the failing fields of err with want (in any order).
func checkFields(t *testing.T, err error, want ...string) {
	t.Helper()
	got := failingFields(t, err)
	want = slices.Clone(want)
	slices.Sort(want)
	if !slices.Equal(got, want) {
		t.Errorf("failing fields = %q, want %q (error: %v)", got, want, err)
	}
}

// Strings at and just over the limits, in multi-byte characters so that counting bytes
// instead of characters fails.
var (
	e100  = strings.Repeat("é", 100) // 200 bytes
	e101  = strings.Repeat("é", 101)
	h100  = strings.Repeat("字", 100) // 300 bytes
	h101  = strings.Repeat("字", 101)
	h200  = strings.Repeat("字", 200)
	h201  = strings.Repeat("字", 201)
	e20   = strings.Repeat("é", 20)
	e21   = strings.Repeat("é", 21)
	blank = " \u00a0\u3000 " // spaces, no-break space, ideographic space
)

// textCases are the rules shared by every required text field of at most max characters.
func textCases(maxLen int) []struct {
	name  string
	value string
	ok    bool
} {
	return []struct {
		name  string
		value string
		ok    bool
	}{
		{"one char", "x", true},
		{"max ascii", strings.Repeat("a", maxLen), true},
		{"max 2-byte runes", strings.Repeat("é", maxLen), true},
		{"max 3-byte runes", strings.Repeat("字", maxLen), true},
		{"inner spaces", "van der Berg", true},
		{"over max", strings.Repeat("a", maxLen+1), false},
		{"over max multi-byte", strings.Repeat("字", maxLen+1), false},
		{"empty", "", false},
		{"blank", blank, false},
		{"unit separator", "a\x1fb", false},
		{"newline", "a\nb", false},
		{"NUL", "a\x00b", false},
		{"DEL", "a\x7fb", false},
		{"C1 control", "a\u0085b", false},
		{"invalid UTF-8", "a\xffb", false},
		{"accent on a letter", "e\u0301", true},
		{"emoji ZWJ sequence", "x \U0001F469\u200d\U0001F4BB", true},
		{"ZWNJ between letters", "\u0645\u06cc\u200c\u062e\u0648", true},
		{"ZWJ between letters", "\u0915\u094d\u200d\u0937", true},
		{"ZWNJ first", "\u200c\u0645", false},
		{"ZWNJ last", "\u0645\u200c", false},
		{"ZWJ next to a space", "a \u200db", false},
		{"zero-width space", "a\u200bb", false},
		{"zero-width space only", "\u200b", false},
		{"word joiner", "a\u2060b", false},
		{"BOM", "\ufeffab", false},
		{"soft hyphen", "ab\u00ad", false},
		{"LRM", "a\u200eb", false},
		{"RLM", "a\u200fb", false},
		{"LRE", "\u202aab", false},
		{"RLO", "a\u202eb", false},
		{"PDF", "ab\u202c", false},
		{"LRI", "\u2066ab", false},
		{"PDI", "ab\u2069", false},
		{"Arabic letter mark", "a\u061cb", false},
		{"line separator", "a\u2028b", false},
		{"paragraph separator", "a\u2029b", false},
		{"Hangul filler only", "\u3164", false},
		{"Hangul fillers", "\u115f\u1160\uffa0", false},
		{"braille blank only", "\u2800", false},
		{"lone combining mark", "\u0301", false},
		{"combining marks and spaces", " \u0301\u0308 ", false},
	}
}

// tenth is a variable: 0.1 + 0.2 in constants is exactly 0.3.
var tenth = 0.1

// iota82 is 82 × ΐ (U+0390): 164 bytes that case-fold to 492.
var iota82 = strings.Repeat("ΐ", 82)

func validPerson() Person {
	return Person{
		ID:          testPersonID,
		FirstName:   "Ada",
		LastName:    "Lovelace",
		DateOfBirth: ptr("1815-12-10T00:00:00Z"),
		Gender:      ptr("female"),
		CreatedAt:   "2024-01-02T03:04:05.678Z",
		UpdatedAt:   "2024-01-02T03:04:05.678+01:00",
		Versioned:   Versioned{Version: 3},
	}
}

func validAddress() Address {
	return Address{ItemKey: ItemKey{ID: testID, PersonID: testPersonID}, Type: "home", Street: "12 St James's Square",
		City: "London", State: "Greater London", PostalCode: "SW1Y 4JH", Country: "United Kingdom", Primary: Primary{IsPrimary: true}}
}

func validBankAccount() BankAccount {
	return BankAccount{ItemKey: ItemKey{ID: testID, PersonID: testPersonID}, BankName: "Westminster Bank", AccountType: "checking",
		AccountNumberLast4: "5432", IBAN: ptr("GB82WEST12345698765432"), BIC: ptr("NWBKGB2L")}
}

func validContact() ContactInfo {
	return ContactInfo{ItemKey: ItemKey{ID: testID, PersonID: testPersonID}, Type: "email", Value: "ada@example.com", Primary: Primary{IsPrimary: true}}
}

func validEmployment() Employment {
	return Employment{ItemKey: ItemKey{ID: testID, PersonID: testPersonID}, CompanyName: "Analytical Engines Ltd", Position: "Engineer",
		Department: ptr("R&D"), StartDate: "2019-03-01T09:00:00Z", EndDate: ptr("2023-06-30T17:00:00Z"),
		Salary: ptr(85000.5), Currency: "GBP"}
}

func TestValidID(t *testing.T) {
	for _, tc := range []struct {
		id string
		ok bool
	}{
		{testPersonID, true},
		{strings.ToUpper(testPersonID), true},
		{"00000000-0000-0000-0000-000000000000", true},
		{"", false},
		{"not-a-uuid", false},
		{strings.ReplaceAll(testPersonID, "-", ""), false},
		{"{" + testPersonID + "}", false},
		{"urn:uuid:" + testPersonID, false},
		{testPersonID[:35] + "g", false},
		{testPersonID + " ", false},
		{"0b7e4b1c-2f0a-4c6e-9d3a_5f1e2d3c4b5a", false},
	} {
		if got := ValidID(tc.id); got != tc.ok {
			t.Errorf("ValidID(%q) = %v, want %v", tc.id, got, tc.ok)
		}
	}
}

func TestValidatePerson(t *testing.T) {
	tests := []struct {
		name   string
		mutate func(*Person)
		want   []string
	}{
		{"valid", func(*Person) {}, nil},
		{"optional fields absent", func(p *Person) { p.DateOfBirth, p.Gender, p.CreatedAt, p.UpdatedAt = nil, nil, "", "" }, nil},
		{"names at the limit in 2-byte runes", func(p *Person) { p.FirstName, p.LastName = e100, e100 }, nil},
		{"names at the limit in 3-byte runes", func(p *Person) { p.FirstName, p.LastName = h100, h100 }, nil},
		{"firstName over the limit", func(p *Person) { p.FirstName = e101 }, []string{"firstName"}},
		{"lastName over the limit", func(p *Person) { p.LastName = h101 }, []string{"lastName"}},
		{"names empty", func(p *Person) { p.FirstName, p.LastName = "", "" }, []string{"firstName", "lastName"}},
		{"names blank", func(p *Person) { p.FirstName, p.LastName = blank, "\t" }, []string{"firstName", "lastName"}},
		{"lastName with the GSI1 separator", func(p *Person) { p.LastName = "de\x1fVries" }, []string{"lastName"}},
		{"id missing", func(p *Person) { p.ID = "" }, []string{"id"}},
		{"id not a uuid", func(p *Person) { p.ID = "person-1" }, []string{"id"}},
		{"id upper case", func(p *Person) { p.ID = strings.ToUpper(testPersonID) }, nil},
		{"names of 82 ΐ and a letter: gsi1sk of 1,024 bytes", func(p *Person) { p.FirstName, p.LastName = iota82+"a", iota82+"b" }, nil},
		{"lastName of 83 ΐ folds to 498 bytes", func(p *Person) { p.LastName = strings.Repeat("ΐ", 83) }, []string{"lastName"}},
		{"firstName of 83 ΐ folds to 498 bytes", func(p *Person) { p.FirstName = strings.Repeat("ΐ", 83) }, []string{"firstName"}},
		{"names of 99 ᾀ fold to 495 bytes", func(p *Person) { p.FirstName, p.LastName = strings.Repeat("ᾀ", 99), strings.Repeat("ᾀ", 98) }, []string{"firstName"}},
		{"names of 100 4-byte letters", func(p *Person) { p.FirstName, p.LastName = strings.Repeat("𐐀", 100), strings.Repeat("𐐨", 100) }, nil},
		{"firstName digits only", func(p *Person) { p.FirstName = "1234" }, []string{"firstName"}},
		{"lastName punctuation only", func(p *Person) { p.LastName = "-.-" }, []string{"lastName"}},
		{"lastName emoji only", func(p *Person) { p.LastName = "🙂" }, []string{"lastName"}},
		{"firstName with a digit", func(p *Person) { p.FirstName = "Louis14" }, nil},
		{"firstName NFD", func(p *Person) { p.FirstName = "E\u0301mile" }, nil},
		{"dateOfBirth offset +23:59", func(p *Person) { p.DateOfBirth = ptr("1990-05-17T00:00:00+23:59") }, nil},
		{"dateOfBirth offset +24:00", func(p *Person) { p.DateOfBirth = ptr("1990-05-17T00:00:00+24:00") }, []string{"dateOfBirth"}},
		{"dateOfBirth offset -24:00", func(p *Person) { p.DateOfBirth = ptr("1990-05-17T00:00:00-24:00") }, []string{"dateOfBirth"}},
		{"dateOfBirth offset +00:60", func(p *Person) { p.DateOfBirth = ptr("1990-05-17T00:00:00+00:60") }, []string{"dateOfBirth"}},
		{"dateOfBirth offset without colon", func(p *Person) { p.DateOfBirth = ptr("1990-05-17T00:00:00+0100") }, []string{"dateOfBirth"}},
		{"dateOfBirth comma before the fraction", func(p *Person) { p.DateOfBirth = ptr("1990-05-17T00:00:00,5Z") }, []string{"dateOfBirth"}},
		{"dateOfBirth lower-case t and z", func(p *Person) { p.DateOfBirth = ptr("1990-05-17t00:00:00z") }, []string{"dateOfBirth"}},
		{"dateOfBirth space for T", func(p *Person) { p.DateOfBirth = ptr("1990-05-17 00:00:00Z") }, []string{"dateOfBirth"}},
		{"dateOfBirth 10 fraction digits", func(p *Person) { p.DateOfBirth = ptr("1990-05-17T00:00:00.1234567890Z") }, []string{"dateOfBirth"}},
		{"dateOfBirth year 0000", func(p *Person) { p.DateOfBirth = ptr("0000-01-01T00:00:00Z") }, []string{"dateOfBirth"}},
		{"dateOfBirth date year 0000", func(p *Person) { p.DateOfBirth = ptr("0000-01-01") }, []string{"dateOfBirth"}},
		{"dateOfBirth 1799 in UTC", func(p *Person) { p.DateOfBirth = ptr("1800-01-01T00:30:00+01:00") }, []string{"dateOfBirth"}},
		{"dateOfBirth first instant of 1800", func(p *Person) { p.DateOfBirth = ptr("1800-01-01T00:00:00Z") }, nil},
		{"dateOfBirth date, impossible day", func(p *Person) { p.DateOfBirth = ptr("1990-02-29") }, []string{"dateOfBirth"}},
		{"dateOfBirth date without zero padding", func(p *Person) { p.DateOfBirth = ptr("1990-5-7") }, []string{"dateOfBirth"}},
		{"dateOfBirth basic format", func(p *Person) { p.DateOfBirth = ptr("19900517") }, []string{"dateOfBirth"}},
		{"createdAt offset +24:00", func(p *Person) { p.CreatedAt = "2024-01-02T03:04:05+24:00" }, []string{"createdAt"}},
		{"dateOfBirth with offset and fraction", func(p *Person) { p.DateOfBirth = ptr("1990-05-17T08:30:00.123-05:00") }, nil},
		{"dateOfBirth date only", func(p *Person) { p.DateOfBirth = ptr("1990-05-17") }, nil},
		{"dateOfBirth empty", func(p *Person) { p.DateOfBirth = ptr("") }, []string{"dateOfBirth"}},
		{"dateOfBirth impossible day", func(p *Person) { p.DateOfBirth = ptr("1990-02-30T00:00:00Z") }, []string{"dateOfBirth"}},
		{"dateOfBirth in the future", func(p *Person) { p.DateOfBirth = ptr("2999-01-01T00:00:00Z") }, []string{"dateOfBirth"}},
		{"gender other", func(p *Person) { p.Gender = ptr("prefer_not_to_say") }, nil},
		{"gender unknown", func(p *Person) { p.Gender = ptr("unknown") }, []string{"gender"}},
		{"gender wrong case", func(p *Person) { p.Gender = ptr("Male") }, []string{"gender"}},
		{"gender empty", func(p *Person) { p.Gender = ptr("") }, []string{"gender"}},
		{"createdAt invalid", func(p *Person) { p.CreatedAt = "yesterday" }, []string{"createdAt"}},
		{"updatedAt invalid", func(p *Person) { p.UpdatedAt = "2024-13-01T00:00:00Z" }, []string{"updatedAt"}},
		{"everything wrong", func(p *Person) {
			*p = Person{ID: "x", FirstName: "", LastName: h101, DateOfBirth: ptr("soon"), Gender: ptr("?"),
				CreatedAt: "now", UpdatedAt: "later"}
		}, []string{"createdAt", "dateOfBirth", "firstName", "gender", "id", "lastName", "updatedAt"}},
	}
	for _, field := range []string{"firstName", "lastName"} {
		for _, tc := range textCases(100) {
			var want []string
			if !tc.ok {
				want = []string{field}
			}
			tests = append(tests, struct {
				name   string
				mutate func(*Person)
				want   []string
			}{field + " " + tc.name, func(p *Person) {
				if field == "firstName" {
					p.FirstName = tc.value
				} else {
					p.LastName = tc.value
				}
			}, want})
		}
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			p := validPerson()
			tc.mutate(&p)
			checkFields(t, p.Validate(), tc.want...)
		})
	}
}

func TestValidateAddress(t *testing.T) {
	tests := []struct {
		name   string
		mutate func(*Address)
		want   []string
	}{
		{"valid", func(*Address) {}, nil},
		{"type work", func(a *Address) { a.Type = "work" }, nil},
		{"type billing", func(a *Address) { a.Type = "billing" }, nil},
		{"type shipping", func(a *Address) { a.Type = "shipping" }, nil},
		{"digits only", func(a *Address) { a.Street, a.PostalCode = "221", "12345" }, nil},
		{"type unknown", func(a *Address) { a.Type = "holiday" }, []string{"type"}},
		{"type missing", func(a *Address) { a.Type = "" }, []string{"type"}},
		{"personId missing", func(a *Address) { a.PersonID = "" }, []string{"personId"}},
		{"ids not uuids", func(a *Address) { a.ID, a.PersonID = "1", "2" }, []string{"id", "personId"}},
		{"limits in multi-byte runes", func(a *Address) {
			a.Street, a.City, a.State, a.PostalCode, a.Country = h200, h100, e100, e20, h100
		}, nil},
		{"over the limits in multi-byte runes", func(a *Address) {
			a.Street, a.City, a.State, a.PostalCode, a.Country = h201, h101, e101, e21, h101
		}, []string{"city", "country", "postalCode", "state", "street"}},
		{"everything wrong", func(a *Address) { *a = Address{State: "\x00"} },
			[]string{"city", "country", "id", "personId", "postalCode", "state", "street", "type"}},
	}
	fields := []struct {
		name string
		max  int
		set  func(*Address, string)
	}{
		{"street", 200, func(a *Address, s string) { a.Street = s }},
		{"city", 100, func(a *Address, s string) { a.City = s }},
		{"state", 100, func(a *Address, s string) { a.State = s }},
		{"postalCode", 20, func(a *Address, s string) { a.PostalCode = s }},
		{"country", 100, func(a *Address, s string) { a.Country = s }},
	}
	for _, f := range fields {
		for _, tc := range textCases(f.max) {
			var want []string
			if !tc.ok {
				want = []string{f.name}
			}
			tests = append(tests, struct {
				name   string
				mutate func(*Address)
				want   []string
			}{f.name + " " + tc.name, func(a *Address) { f.set(a, tc.value) }, want})
		}
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			a := validAddress()
			tc.mutate(&a)
			checkFields(t, a.Validate(), tc.want...)
		})
	}
}

func TestValidateBankAccount(t *testing.T) {
	tests := []struct {
		name   string
		mutate func(*BankAccount)
		want   []string
	}{
		{"valid", func(*BankAccount) {}, nil},
		{"no iban, no bic", func(b *BankAccount) { b.IBAN, b.BIC = nil, nil }, nil},
		{"savings", func(b *BankAccount) { b.AccountType = "savings" }, nil},
		{"investment", func(b *BankAccount) { b.AccountType = "investment" }, nil},
		{"accountType unknown", func(b *BankAccount) { b.AccountType = "credit" }, []string{"accountType"}},
		{"accountType missing", func(b *BankAccount) { b.AccountType = "" }, []string{"accountType"}},
		{"bankName 100 runes", func(b *BankAccount) { b.BankName = h100 }, nil},
		{"bankName 101 runes", func(b *BankAccount) { b.BankName = e101 }, []string{"bankName"}},
		{"bankName blank", func(b *BankAccount) { b.BankName = blank }, []string{"bankName"}},
		{"bankName control", func(b *BankAccount) { b.BankName = "Bank\r" }, []string{"bankName"}},
		{"last4 leading zeros", func(b *BankAccount) { b.AccountNumberLast4 = "0007" }, nil},
		{"last4 three digits", func(b *BankAccount) { b.AccountNumberLast4 = "123" }, []string{"accountNumberLast4"}},
		{"last4 five digits", func(b *BankAccount) { b.AccountNumberLast4 = "12345" }, []string{"accountNumberLast4"}},
		{"last4 letters", func(b *BankAccount) { b.AccountNumberLast4 = "12a4" }, []string{"accountNumberLast4"}},
		{"last4 empty", func(b *BankAccount) { b.AccountNumberLast4 = "" }, []string{"accountNumberLast4"}},
		{"last4 full-width digits", func(b *BankAccount) { b.AccountNumberLast4 = "１２３４" }, []string{"accountNumberLast4"}},
		{"everything wrong", func(b *BankAccount) {
			*b = BankAccount{ItemKey: ItemKey{ID: "a", PersonID: "b"}, BankName: "", AccountType: "x", AccountNumberLast4: "x",
				IBAN: ptr("x"), BIC: ptr("x")}
		}, []string{"accountNumberLast4", "accountType", "bankName", "bic", "iban", "id", "personId"}},
	}
	for _, tc := range []struct {
		iban string
		ok   bool
	}{
		{"GB82WEST12345698765432", true},
		{"DE89370400440532013000", true},
		{"FR1420041010050500013M02606", true},           // letter in the account part
		{"NO9386011117947", true},                       // shortest (15)
		{"LC55HEMM000100010012001200023015", true},      // 32
		{"MT84MALT011000012345MTLCAST001S", true},       // 31, letters
		{"GB82WEST12345698765431", false},               // last digit changed
		{"DE89370400440532013001", false},               // last digit changed
		{"DE88370400440532013000", false},               // check digit changed
		{"DE98370400440532013000", false},               // check digits changed
		{"GB28WEST12345698765432", false},               // transposed check digits
		{"GB82WETS12345698765432", false},               // transposed letters
		{"gb82west12345698765432", false},               // lower case
		{"GB82 WEST 1234 5698 7654 32", false},          // spaces
		{"NO938601111794", false},                       // 14 characters
		{"GB82WEST1234569876543212345678901234", false}, // 36 characters
		{"", false},                         // present but empty
		{"1282WEST12345698765432", false},   // country not letters
		{"GBX2WEST12345698765432", false},   // check digits not digits
		{"GB82WEST1234569876543_", false},   // punctuation
		{"GB82WEST123456987654é2", false},   // non-ASCII
		{"DE00370400440532013000", false},   // check digits 00
		{"DE01370400440532013000", false},   // check digits 01
		{"DE99370400440532013000", false},   // check digits 99
		{"GB82WEST12345698765432\n", false}, // trailing control
	} {
		var want []string
		if !tc.ok {
			want = []string{"iban"}
		}
		tests = append(tests, struct {
			name   string
			mutate func(*BankAccount)
			want   []string
		}{"iban " + tc.iban, func(b *BankAccount) { b.IBAN = ptr(tc.iban) }, want})
	}
	for _, tc := range []struct {
		bic string
		ok  bool
	}{
		{"DEUTDEFF", true},
		{"DEUTDEFF500", true},
		{"NWBKGB2L", true},
		{"BOFAUS3N", true},
		{"BNPAFRPPXXX", true},
		{"deutdeff", false},     // lower case
		{"DEUTDEF", false},      // 7
		{"DEUTDEFF5", false},    // 9
		{"DEUTDEFF50", false},   // 10
		{"DEUTDEFF5000", false}, // 12
		{"DEU1DEFF", false},     // digit in bank code
		{"DEUTD1FF", false},     // digit in country code
		{"DEUTDEF_", false},     // punctuation in location
		{"DEUTDEFF50-", false},  // punctuation in branch
		{"DEUT DEFF", false},    // space
		{"", false},             // present but empty
		{"DEUTDEFFé", false},    // non-ASCII
		{"DEUTDEFF\x00\x00\x00", false},
	} {
		var want []string
		if !tc.ok {
			want = []string{"bic"}
		}
		tests = append(tests, struct {
			name   string
			mutate func(*BankAccount)
			want   []string
		}{"bic " + tc.bic, func(b *BankAccount) { b.BIC = ptr(tc.bic) }, want})
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			b := validBankAccount()
			tc.mutate(&b)
			checkFields(t, b.Validate(), tc.want...)
		})
	}
}

func TestValidateContact(t *testing.T) {
	tests := []struct {
		name   string
		mutate func(*ContactInfo)
		want   []string
	}{
		{"valid", func(*ContactInfo) {}, nil},
		{"phone", func(c *ContactInfo) { c.Type, c.Value = "phone", "+44 20 7946 0958" }, nil},
		{"mobile", func(c *ContactInfo) { c.Type, c.Value = "mobile", "+44 7700 900123" }, nil},
		{"linkedin", func(c *ContactInfo) { c.Type, c.Value = "linkedin", "https://www.linkedin.com/in/ada" }, nil},
		{"twitter", func(c *ContactInfo) { c.Type, c.Value = "twitter", "@ada" }, nil},
		{"phone value is not an email", func(c *ContactInfo) { c.Type, c.Value = "phone", "not an email" }, nil},
		{"type unknown", func(c *ContactInfo) { c.Type = "fax" }, []string{"type"}},
		{"type upper case", func(c *ContactInfo) { c.Type = "EMAIL" }, []string{"type"}},
		{"type missing", func(c *ContactInfo) { c.Type = "" }, []string{"type"}},
		{"value 200 runes", func(c *ContactInfo) { c.Type, c.Value = "twitter", h200 }, nil},
		{"value 201 runes", func(c *ContactInfo) { c.Type, c.Value = "twitter", h201 }, []string{"value"}},
		{"value empty", func(c *ContactInfo) { c.Value = "" }, []string{"value"}},
		{"value blank", func(c *ContactInfo) { c.Type, c.Value = "phone", blank }, []string{"value"}},
		{"value control", func(c *ContactInfo) { c.Type, c.Value = "phone", "123\x1f" }, []string{"value"}},
		{"ids missing", func(c *ContactInfo) { c.ID, c.PersonID = "", "" }, []string{"id", "personId"}},
		{"everything wrong", func(c *ContactInfo) { *c = ContactInfo{ItemKey: ItemKey{ID: "-"}, Type: "pigeon", Value: "\x00"} },
			[]string{"id", "personId", "type", "value"}},
	}
	for _, tc := range []struct {
		email string
		ok    bool
	}{
		{"ada@example.com", true},
		{"Ada.Lovelace+tag@sub.example.co.uk", true},
		{"user@localhost", true},
		{"jörg@例え.jp", true},
		{"ada", false},
		{"ada@", false},
		{"@example.com", false},
		{"ada@@example.com", false},
		{"ada@example..com", false},
		{"Ada <ada@example.com>", false}, // display name
		{"<ada@example.com>", false},     // angle brackets
		{"ada@example.com (Ada)", false}, // comment
		{" ada@example.com", false},      // surrounding space
		{"ada@example.com, bob@example.com", false},
		{"ada example@example.com", false},
	} {
		var want []string
		if !tc.ok {
			want = []string{"value"}
		}
		tests = append(tests, struct {
			name   string
			mutate func(*ContactInfo)
			want   []string
		}{"email " + tc.email, func(c *ContactInfo) { c.Value = tc.email }, want})
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			c := validContact()
			tc.mutate(&c)
			checkFields(t, c.Validate(), tc.want...)
		})
	}
}

func TestValidateEmployment(t *testing.T) {
	tests := []struct {
		name   string
		mutate func(*Employment)
		want   []string
	}{
		{"valid past job", func(*Employment) {}, nil},
		{"valid current job", func(e *Employment) { e.EndDate, e.IsCurrent = nil, true }, nil},
		{"optional fields absent", func(e *Employment) { e.Department, e.EndDate, e.Salary = nil, nil, nil }, nil},
		{"companyName 200 runes", func(e *Employment) { e.CompanyName = h200 }, nil},
		{"companyName 201 runes", func(e *Employment) { e.CompanyName = h201 }, []string{"companyName"}},
		{"companyName missing", func(e *Employment) { e.CompanyName = "" }, []string{"companyName"}},
		{"position 100 runes", func(e *Employment) { e.Position = e100 }, nil},
		{"position 101 runes", func(e *Employment) { e.Position = e101 }, []string{"position"}},
		{"position blank", func(e *Employment) { e.Position = blank }, []string{"position"}},
		{"department 100 runes", func(e *Employment) { e.Department = ptr(h100) }, nil},
		{"department 101 runes", func(e *Employment) { e.Department = ptr(h101) }, []string{"department"}},
		{"department present but empty", func(e *Employment) { e.Department = ptr("") }, []string{"department"}},
		{"department control", func(e *Employment) { e.Department = ptr("R\x1fD") }, []string{"department"}},
		{"startDate missing", func(e *Employment) { e.StartDate = "" }, []string{"startDate"}},
		{"startDate date only", func(e *Employment) { e.StartDate = "2019-03-01" }, []string{"startDate"}},
		{"startDate offset +24:00", func(e *Employment) { e.StartDate = "2019-03-01T00:00:00+24:00" }, []string{"startDate"}},
		{"startDate year 0000", func(e *Employment) { e.StartDate, e.EndDate = "0000-01-01T00:00:00Z", nil }, []string{"startDate"}},
		{"startDate last instant of 2200", func(e *Employment) { e.StartDate, e.EndDate = "2200-12-31T23:59:59.999Z", nil }, nil},
		{"startDate 2201 in UTC", func(e *Employment) { e.StartDate, e.EndDate = "2200-12-31T23:30:00-01:00", nil }, []string{"startDate"}},
		{"endDate year 2201", func(e *Employment) { e.EndDate = ptr("2201-01-01T00:00:00Z") }, []string{"endDate"}},
		{"endDate offset -24:00", func(e *Employment) { e.EndDate = ptr("2023-06-30T17:00:00-24:00") }, []string{"endDate"}},
		{"startDate in the future is allowed", func(e *Employment) { e.StartDate, e.EndDate, e.IsCurrent = "2199-01-01T00:00:00Z", nil, true }, nil},
		{"endDate equal to startDate", func(e *Employment) { e.EndDate = ptr(e.StartDate) }, nil},
		{"endDate same instant in another zone", func(e *Employment) { e.EndDate = ptr("2019-03-01T10:00:00+01:00") }, nil},
		{"endDate one second before startDate", func(e *Employment) { e.EndDate = ptr("2019-03-01T08:59:59Z") }, []string{"endDate"}},
		{"endDate before startDate across zones", func(e *Employment) { e.EndDate = ptr("2019-03-01T09:30:00+01:00") }, []string{"endDate"}},
		{"endDate invalid", func(e *Employment) { e.EndDate = ptr("tomorrow") }, []string{"endDate"}},
		{"endDate present but empty", func(e *Employment) { e.EndDate = ptr("") }, []string{"endDate"}},
		{"endDate with invalid startDate", func(e *Employment) { e.StartDate = "x" }, []string{"startDate"}},
		{"isCurrent with endDate", func(e *Employment) { e.IsCurrent = true }, []string{"isCurrent"}},
		{"isCurrent with bad endDate", func(e *Employment) { e.IsCurrent, e.EndDate = true, ptr("2000-01-01T00:00:00Z") },
			[]string{"endDate", "isCurrent"}},
		{"salary tiny", func(e *Employment) { e.Salary = ptr(0.01) }, nil},
		{"salary at the maximum", func(e *Employment) { e.Salary = ptr(1e12) }, nil},
		{"salary a cent below the maximum", func(e *Employment) { e.Salary = ptr(999999999999.99) }, nil},
		{"salary a cent over the maximum", func(e *Employment) { e.Salary = ptr(1000000000000.01) }, []string{"salary"}},
		{"salary 1e125", func(e *Employment) { e.Salary = ptr(1e125) }, []string{"salary"}},
		{"salary 1e126", func(e *Employment) { e.Salary = ptr(1e126) }, []string{"salary"}},
		{"salary 1e308", func(e *Employment) { e.Salary = ptr(1e308) }, []string{"salary"}},
		{"salary largest float", func(e *Employment) { e.Salary = ptr(math.MaxFloat64) }, []string{"salary"}},
		{"salary 1e-130", func(e *Employment) { e.Salary = ptr(1e-130) }, []string{"salary"}},
		{"salary 1e-131", func(e *Employment) { e.Salary = ptr(1e-131) }, []string{"salary"}},
		{"salary 5e-324", func(e *Employment) { e.Salary = ptr(5e-324) }, []string{"salary"}},
		{"salary 38 significant digits", func(e *Employment) { e.Salary = ptr(12345678901234567890123456789012345678.0) }, []string{"salary"}},
		{"salary a tenth of a cent", func(e *Employment) { e.Salary = ptr(0.001) }, []string{"salary"}},
		{"salary 3 decimal places", func(e *Employment) { e.Salary = ptr(123.456) }, []string{"salary"}},
		{"salary 0.1+0.2 in float64", func(e *Employment) { e.Salary = ptr(tenth + 0.2) }, []string{"salary"}},
		{"salary 0.07 (not exact in binary)", func(e *Employment) { e.Salary = ptr(0.07) }, nil},
		{"salary zero", func(e *Employment) { e.Salary = ptr(0.0) }, []string{"salary"}},
		{"salary negative zero", func(e *Employment) { e.Salary = ptr(math.Copysign(0, -1)) }, []string{"salary"}},
		{"salary negative", func(e *Employment) { e.Salary = ptr(-1000.0) }, []string{"salary"}},
		{"salary infinite", func(e *Employment) { e.Salary = ptr(math.Inf(1)) }, []string{"salary"}},
		{"salary NaN", func(e *Employment) { e.Salary = ptr(math.NaN()) }, []string{"salary"}},
		{"currency EUR", func(e *Employment) { e.Currency = "EUR" }, nil},
		{"currency lower case", func(e *Employment) { e.Currency = "usd" }, []string{"currency"}},
		{"currency mixed case", func(e *Employment) { e.Currency = "Usd" }, []string{"currency"}},
		{"currency 2 letters", func(e *Employment) { e.Currency = "US" }, []string{"currency"}},
		{"currency 4 letters", func(e *Employment) { e.Currency = "USDD" }, []string{"currency"}},
		{"currency digits", func(e *Employment) { e.Currency = "840" }, []string{"currency"}},
		{"currency empty", func(e *Employment) { e.Currency = "" }, []string{"currency"}},
		{"currency non-ASCII", func(e *Employment) { e.Currency = "ÜSD" }, []string{"currency"}},
		{"everything wrong", func(e *Employment) {
			*e = Employment{ItemKey: ItemKey{ID: "?", PersonID: "?"}, CompanyName: blank, Position: h101, Department: ptr(""),
				StartDate: "2020-01-01T00:00:00Z", EndDate: ptr("2019-01-01T00:00:00Z"), IsCurrent: true,
				Salary: ptr(-1.0), Currency: "usd"}
		}, []string{"companyName", "currency", "department", "endDate", "id", "isCurrent", "personId", "position", "salary"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			e := validEmployment()
			tc.mutate(&e)
			checkFields(t, e.Validate(), tc.want...)
		})
	}
}

// TestValidateMessages pins a few messages that clients see, so that wording changes are
// deliberate.
func TestValidateMessages(t *testing.T) {
	a := validAddress()
	a.Type = "holiday"
	a.City = h101
	var ve *input.ValidationError
	if !errors.As(a.Validate(), &ve) {
		t.Fatal("want a *input.ValidationError")
	}
	want := []input.FieldError{
		{Field: "type", Message: "must be one of home, work, billing, shipping"},
		{Field: "city", Message: "must be at most 100 characters"},
	}
	if !slices.Equal(ve.Fields, want) {
		t.Errorf("fields = %+v, want %+v", ve.Fields, want)
	}
}

// Clean turns every spelling a client may send into the one form the store writes, and
// a cleaned value stays as it is when cleaned again.
func TestClean(t *testing.T) {
	upperID, upperPersonID := strings.ToUpper(testID), strings.ToUpper(testPersonID)
	nfd, nfc := "E\u0301mile Zola\u0301", "\u00c9mile Zol\u00e1"
	tests := []struct {
		name   string
		in     validator
		want   validator
		fields []string // failing fields after cleaning
	}{
		{"person: canonical already", ptr(validPerson()), func() *Person {
			p := validPerson()
			p.DateOfBirth = ptr("1815-12-10T00:00:00.000Z")
			return &p
		}(), nil},
		{"person: upper-case id, NFD names, date of birth as a date", &Person{ID: upperPersonID, FirstName: nfd, LastName: "Gu\u0308nther",
			DateOfBirth: ptr("1990-05-17")},
			&Person{ID: testPersonID, FirstName: nfc, LastName: "G\u00fcnther", DateOfBirth: ptr("1990-05-17T00:00:00.000Z")}, nil},
		{"person: date of birth with offset and nanoseconds", &Person{ID: testPersonID, FirstName: "A", LastName: "B",
			DateOfBirth: ptr("1990-05-17T01:02:03.123456789+02:30")},
			&Person{ID: testPersonID, FirstName: "A", LastName: "B", DateOfBirth: ptr("1990-05-16T22:32:03.123Z")}, nil},
		{"person: invalid values are left for validation", &Person{ID: "X", FirstName: "a\xff", LastName: "B", DateOfBirth: ptr("1990-05-17T00:00:00+24:00")},
			&Person{ID: "X", FirstName: "a\xff", LastName: "B", DateOfBirth: ptr("1990-05-17T00:00:00+24:00")},
			[]string{"dateOfBirth", "firstName", "id"}},
		{"person: NFC can make a name too long", &Person{ID: testPersonID, FirstName: strings.Repeat("\u0958", 100), LastName: "B"},
			&Person{ID: testPersonID, FirstName: strings.Repeat("\u0915\u093c", 100), LastName: "B"}, []string{"firstName"}},
		{"address", &Address{ItemKey: ItemKey{ID: upperID, PersonID: upperPersonID}, Type: "home", Street: "Stra\u00dfe 1", City: "Ko\u0308ln",
			State: "NRW", PostalCode: "50667", Country: "Deutschland"},
			&Address{ItemKey: ItemKey{ID: testID, PersonID: testPersonID}, Type: "home", Street: "Stra\u00dfe 1", City: "K\u00f6ln",
				State: "NRW", PostalCode: "50667", Country: "Deutschland"}, nil},
		{"bank account", &BankAccount{ItemKey: ItemKey{ID: upperID, PersonID: testPersonID}, BankName: "Cre\u0301dit", AccountType: "savings", AccountNumberLast4: "0001"},
			&BankAccount{ItemKey: ItemKey{ID: testID, PersonID: testPersonID}, BankName: "Cr\u00e9dit", AccountType: "savings", AccountNumberLast4: "0001"}, nil},
		{"contact", &ContactInfo{ItemKey: ItemKey{ID: testID, PersonID: upperPersonID}, Type: "email", Value: "jo\u0308rg@example.com"},
			&ContactInfo{ItemKey: ItemKey{ID: testID, PersonID: testPersonID}, Type: "email", Value: "j\u00f6rg@example.com"}, nil},
		{"employment", &Employment{ItemKey: ItemKey{ID: upperID, PersonID: upperPersonID}, CompanyName: "Ne\u0301ant", Position: "Ingénieur",
			Department: ptr("R\u0301"), StartDate: "2019-03-01T09:00:00+01:00", EndDate: ptr("2023-06-30T17:00:00.5-07:00"), Currency: "EUR"},
			&Employment{ItemKey: ItemKey{ID: testID, PersonID: testPersonID}, CompanyName: "N\u00e9ant", Position: "Ingénieur",
				Department: ptr("\u0154"), StartDate: "2019-03-01T08:00:00.000Z", EndDate: ptr("2023-07-01T00:00:00.500Z"), Currency: "EUR"}, nil},
		{"employment: a date is not a date-time", &Employment{ItemKey: ItemKey{ID: testID, PersonID: testPersonID}, CompanyName: "C", Position: "P",
			StartDate: "2019-03-01", Currency: "EUR"},
			&Employment{ItemKey: ItemKey{ID: testID, PersonID: testPersonID}, CompanyName: "C", Position: "P",
				StartDate: "2019-03-01", Currency: "EUR"}, []string{"startDate"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			c := tc.in.(interface{ Clean() error })
			checkFields(t, c.Clean(), tc.fields...)
			if !reflect.DeepEqual(tc.in, tc.want) {
				t.Errorf("cleaned to\n%+v, want\n%+v", tc.in, tc.want)
			}
			checkFields(t, c.Clean(), tc.fields...)
			if !reflect.DeepEqual(tc.in, tc.want) {
				t.Errorf("cleaned again to\n%+v", tc.in)
			}
		})
	}
}
