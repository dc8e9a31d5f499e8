package persons_test

import (
	"context"
	"errors"
	"math"
	"strconv"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/google/uuid"

	"github.com/personsapi/persons/pkg/ddbtest"
	"github.com/personsapi/persons/pkg/input"
	"github.com/personsapi/persons/pkg/persons"
)

// DynamoDB's limits that values written by the store meet
// (https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/ServiceQuotas.html).
const (
	maxPartitionKeyBytes = 2048
	maxSortKeyBytes      = 1024
	maxItemBytes         = 400 * 1024
)

// storable checks the outcome of a write of values at or around a DynamoDB limit: either
// validation rejected it naming field, or the store wrote it. A DynamoDB error (the API
// would answer 500) fails the test, and so does an outcome other than the expected one
// (field "" expects the write to succeed).
func storable(t *testing.T, err error, field string) {
	t.Helper()
	var ve *input.ValidationError
	switch {
	case err == nil && field == "":
	case err == nil:
		t.Errorf("written; want validation to reject %s", field)
	case !errors.As(err, &ve):
		t.Errorf("not a validation error (DynamoDB rejected a value validation let through?): %v", err)
	case field == "":
		t.Errorf("rejected: %v; want it written", err)
	default:
		fields, _ := input.FieldErrors(err)
		for _, f := range fields {
			if f.Field == field {
				return
			}
		}
		t.Errorf("rejected %v; want %s named", err, field)
	}
}

var iota82, iota83 = strings.Repeat("ΐ", 82), strings.Repeat("ΐ", 83) // fold to 492 and 498 bytes

// Values at and around DynamoDB's limits go through the real store: validation rejects
// them naming the field, or DynamoDB takes them. Before, salaries beyond DynamoDB's
// number range and names whose case-folded gsi1sk exceeded 1,024 bytes passed validation
// and failed in DynamoDB.
func TestValuesAtDynamoDBLimits(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	person := f.createPerson(t, "Ada", "Lovelace")

	t.Run("gsi1sk", func(t *testing.T) {
		for _, tc := range []struct {
			name, first, last string
			field             string
		}{
			{"exactly 1,024 bytes", iota82 + "a", iota82 + "b", ""},
			{"lastName folds to 498 bytes", "Ada", iota83, "lastName"},
			{"firstName folds to 498 bytes", iota83, "a", "firstName"},
			{"both fold to 498 bytes", iota83, iota83, "lastName"},
			{"4-byte letters at the length limit", strings.Repeat("𐐀", 100), strings.Repeat("𐐀", 100), ""},
			{"3-byte letters at the length limit", strings.Repeat("字", 100), strings.Repeat("字", 100), ""},
		} {
			t.Run(tc.name, func(t *testing.T) {
				p, err := f.store.CreatePerson(ctx, persons.Person{FirstName: tc.first, LastName: tc.last})
				storable(t, err, tc.field)
				if err == nil {
					sk := ddbtest.Items(t, f.db, f.table)[persons.PersonPK(p.ID)+" "+persons.ProfileSK][persons.AttrGSI1SK].(*types.AttributeValueMemberS).Value
					if len(sk) > maxSortKeyBytes {
						t.Errorf("gsi1sk of %d bytes", len(sk))
					}
					if tc.name == "exactly 1,024 bytes" && len(sk) != maxSortKeyBytes {
						t.Errorf("gsi1sk of %d bytes, want exactly %d", len(sk), maxSortKeyBytes)
					}
				}
				_, err = f.store.UpdatePerson(ctx, person.ID, func(p *persons.Person) error {
					p.FirstName, p.LastName = tc.first, tc.last
					return nil
				}, 0)
				storable(t, err, tc.field)
			})
		}
	})

	t.Run("last-name prefix", func(t *testing.T) {
		// A prefix is a key condition on gsi1sk. NFC and case folding lengthen it:
		// U+1D160 (4 bytes) is 12 bytes in NFC.
		for _, prefix := range []string{strings.Repeat("ΐ", 100), strings.Repeat("\U0001D160", 85) + "a", strings.Repeat("\U0001D160", 86)} {
			page, err := f.store.ListPersons(ctx, persons.ListPersonsOptions{LastNamePrefix: prefix})
			if err != nil || len(page.Items) != 0 {
				t.Errorf("prefix of %d bytes: %d persons, %v; want none", len(prefix), len(page.Items), err)
			}
		}
	})

	t.Run("keys", func(t *testing.T) {
		// Ids are the only client values in keys. pk is "PERSON#" + id: an id of 2,041
		// bytes makes a partition key of exactly 2,048. A related item's sk is e.g.
		// "ADDRESS#" + id: an id of 1,016 bytes makes a sort key of exactly 1,024.
		for _, n := range []int{35, 37, maxPartitionKeyBytes - len(persons.PersonPKPrefix), maxPartitionKeyBytes - len(persons.PersonPKPrefix) + 1} {
			id := strings.Repeat("a", n)
			_, err := f.store.CreatePerson(ctx, persons.Person{ID: id, FirstName: "A", LastName: "B"})
			storable(t, err, "id")
			_, err = f.store.GetPerson(ctx, id)
			storable(t, err, "personId")
			_, err = f.store.Addresses().Create(ctx, id, newAddress(false))
			storable(t, err, "personId")
		}
		for _, n := range []int{maxSortKeyBytes - len("ADDRESS#"), maxSortKeyBytes - len("ADDRESS#") + 1} {
			a := newAddress(false)
			a.ID = strings.Repeat("a", n)
			_, err := f.store.Addresses().Create(ctx, person.ID, a)
			storable(t, err, "id")
			_, err = f.store.Addresses().Get(ctx, person.ID, a.ID)
			storable(t, err, "id")
		}
	})

	t.Run("numbers", func(t *testing.T) {
		// DynamoDB numbers: 38 significant digits, magnitudes from 1e-130 to below 1e126.
		for _, tc := range []struct {
			salary float64
			field  string
		}{
			{1e125, "salary"},
			{9.99e125, "salary"},
			{1e126, "salary"},
			{1e308, "salary"},
			{math.MaxFloat64, "salary"},
			{1e-130, "salary"},
			{1e-131, "salary"},
			{5e-324, "salary"},
			{12345678901234567890123456789012345678, "salary"}, // 38 digits (as a float64: 17 significant)
			{1000000000000.01, "salary"},
			{0.005, "salary"},
			{1e12, ""},
			{999999999999.99, ""},
			{123456789012.34, ""},
			{0.01, ""},
		} {
			t.Run(strconv.FormatFloat(tc.salary, 'g', -1, 64), func(t *testing.T) {
				e := newEmployment()
				e.Salary = &tc.salary
				got, err := f.store.Employments().Create(ctx, person.ID, e)
				storable(t, err, tc.field)
				if err == nil {
					back, err := f.store.Employments().Get(ctx, person.ID, got.Item.ID)
					if err != nil || back.Salary == nil || *back.Salary != tc.salary {
						t.Errorf("read back %v, %v; want salary %v", back.Salary, err, tc.salary)
					}
				}
			})
		}
	})
}

// FuzzStorable writes arbitrary names and salaries through the real store: validation
// rejects them naming a field, or DynamoDB takes them, never a DynamoDB error. The seeds
// sit at the limits.
func FuzzStorable(f *testing.F) {
	db, table := ddbtest.NewTable(f)
	store := persons.New(db, table)
	person, err := store.CreatePerson(context.Background(), persons.Person{FirstName: "Ada", LastName: "Lovelace"})
	if err != nil {
		f.Fatal(err)
	}
	for _, seed := range []struct {
		first, last string
		salary      float64
	}{
		{iota82 + "a", iota82 + "b", 1e12},
		{iota83, iota83, 1e126},
		{strings.Repeat("ᾷ", 82), strings.Repeat("ﬃ", 100), 1e-131},
		{strings.Repeat("𐐀", 100), strings.Repeat("\u0958", 100), 5e-324},
		{"E\u0301", "\u3164", 0.01},
		{"\u200b", "a\u0301", 999999999999.99},
	} {
		f.Add(seed.first, seed.last, seed.salary)
	}
	f.Fuzz(func(t *testing.T, first, last string, salary float64) {
		ctx := context.Background()
		p, err := store.CreatePerson(ctx, persons.Person{ID: uuid.NewString(), FirstName: first, LastName: last})
		noDynamoDBError(t, err)
		if err == nil {
			if got, err := store.GetPerson(ctx, p.ID); err != nil || got != p {
				t.Fatalf("read back %+v, %v; want %+v", got, err, p)
			}
		}
		e := newEmployment()
		e.Salary = &salary
		_, err = store.Employments().Create(ctx, person.ID, e)
		noDynamoDBError(t, err)
	})
}

func noDynamoDBError(t *testing.T, err error) {
	t.Helper()
	if _, ok := input.FieldErrors(err); err != nil && !ok {
		t.Fatalf("not a validation error: %v", err)
	}
}

// itemSize is an item's size as DynamoDB counts it against the 400 KB limit: the UTF-8
// length of each attribute name plus the size of its value (strings: UTF-8 bytes;
// numbers: about one byte per two significant digits, plus one; booleans: one).
func itemSize(t *testing.T, item map[string]types.AttributeValue) int {
	t.Helper()
	n := 0
	for name, v := range item {
		n += len(name)
		switch v := v.(type) {
		case *types.AttributeValueMemberS:
			n += len(v.Value)
		case *types.AttributeValueMemberN:
			digits := strings.TrimLeft(strings.NewReplacer(".", "", "-", "").Replace(v.Value), "0")
			n += (len(digits)+1)/2 + 1
		case *types.AttributeValueMemberBOOL:
			n++
		default:
			t.Fatalf("attribute %s: unexpected type %T", name, v)
		}
	}
	return n
}

// The largest items validation allows are a few KB, far below DynamoDB's 400 KB: every
// text field at its maximum length in 4-byte characters (the longest a character can be
// in UTF-8), every optional field set, and the PROFILE with all three primary pointers.
func TestLargestItems(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	long := func(n int) string { return strings.Repeat("𐐀", n) } // a 4-byte letter
	p, err := f.store.CreatePerson(ctx, persons.Person{FirstName: long(100), LastName: long(100),
		DateOfBirth: ptr("1990-05-17T13:30:00.123Z"), Gender: ptr("prefer_not_to_say")})
	if err != nil {
		t.Fatal(err)
	}
	_, err = f.store.Addresses().Create(ctx, p.ID, persons.Address{Type: "shipping", Street: long(200), City: long(100),
		State: long(100), PostalCode: long(20), Country: long(100), Primary: persons.Primary{IsPrimary: true}})
	if err != nil {
		t.Fatal(err)
	}
	_, err = f.store.BankAccounts().Create(ctx, p.ID, persons.BankAccount{BankName: long(100), AccountType: "investment",
		AccountNumberLast4: "1234", IBAN: ptr("LC55HEMM000100010012001200023015"), BIC: ptr("DEUTDEFF500"), Primary: persons.Primary{IsPrimary: true}})
	if err != nil {
		t.Fatal(err)
	}
	_, err = f.store.Contacts().Create(ctx, p.ID, persons.ContactInfo{Type: "linkedin", Value: long(200),
		Primary: persons.Primary{IsPrimary: true}, IsVerified: true})
	if err != nil {
		t.Fatal(err)
	}
	_, err = f.store.Employments().Create(ctx, p.ID, persons.Employment{CompanyName: long(200), Position: long(100),
		Department: ptr(long(100)), StartDate: "2019-03-01T09:00:00.000Z", EndDate: ptr("2023-06-30T17:00:00.000Z"),
		Salary: ptr(999999999999.99), Currency: "GBP"})
	if err != nil {
		t.Fatal(err)
	}
	largest := 0
	for key, item := range ddbtest.Items(t, f.db, f.table) {
		size := itemSize(t, item)
		t.Logf("%-60s %5d bytes", key[:min(len(key), 60)], size)
		largest = max(largest, size)
		if pk := item[persons.AttrPK].(*types.AttributeValueMemberS).Value; len(pk) > maxPartitionKeyBytes || !utf8.ValidString(pk) {
			t.Errorf("pk %q", pk)
		}
	}
	// 1% of the limit: room for new fields, far from ever failing a write.
	if largest > maxItemBytes/100 {
		t.Errorf("largest item %d bytes, want at most %d", largest, maxItemBytes/100)
	}
}
