package api_test

import (
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"

	"github.com/personsapi/persons/pkg/persons"
)

// A value validation accepts must be storable: DynamoDB rejects numbers beyond its range
// (magnitude 1e-130 to 9.99…e125, 38 significant digits) and sort keys over 1,024 bytes,
// which the API used to answer with a 500.
func TestStorableValues(t *testing.T) {
	s := newServer(t)
	id := s.createPerson(t)
	var e persons.Employment
	s.do("POST", "/persons/"+id+"/employments", employmentBody).want(t, http.StatusCreated).decode(t, &e)
	empURL := "/persons/" + id + "/employments/" + e.ID

	// ΐ (U+0390) is 2 bytes and case-folds to 3 code points of 6 bytes: 83 of them fold
	// to 498 bytes, and two such names put gsi1sk over 1,024 bytes.
	iota82, iota83 := strings.Repeat("ΐ", 82), strings.Repeat("ΐ", 83)
	for _, c := range []struct {
		salary string
		want   want
	}{
		{"1e126", bad("salary")},
		{"1e308", bad("salary")},
		{"1e125", bad("salary")},
		{"1e-131", bad("salary")},
		{"1e-130", bad("salary")},
		{"5e-324", bad("salary")},
		{"12345678901234567890123456789012345678", bad("salary")}, // 38 significant digits
		{"1000000000000.01", bad("salary")},
		{"0.001", bad("salary")},
		{"123.456", bad("salary")},
		{"0.30000000000000004", bad("salary")},
		{"1e12", stored(http.StatusOK, "salary", 1e12)},
		{"999999999999.99", stored(http.StatusOK, "salary", 999999999999.99)},
		{"0.01", stored(http.StatusOK, "salary", 0.01)},
		{"85000.50", stored(http.StatusOK, "salary", 85000.5)},
	} {
		t.Run("salary "+c.salary, func(t *testing.T) {
			c.want.run(t, s, "PATCH", empURL, map[string]any{"salary": jsonNumber(c.salary)})
			if c.want.status == http.StatusOK {
				c.want.status = http.StatusCreated
			}
			c.want.run(t, s, "POST", "/persons/"+id+"/employments", with(employmentBody, "salary", jsonNumber(c.salary)))
		})
	}
	for _, c := range []struct {
		name        string
		first, last string
		want        want
	}{
		{"lastName folds to 498 bytes", "Ada", iota83, bad("lastName")},
		{"firstName folds to 498 bytes", iota83, "Lovelace", bad("firstName")},
		{"both fold to 498 bytes", iota83, iota83, bad("lastName")},
		{"both fold to 493 bytes: gsi1sk of exactly 1,024 bytes", iota82 + "a", iota82 + "b", stored(http.StatusCreated, "lastName", iota82+"b")},
		{"100 4-byte letters", strings.Repeat("𐐨", 100), strings.Repeat("𐐀", 100), stored(http.StatusCreated, "lastName", strings.Repeat("𐐀", 100))},
	} {
		t.Run(c.name, func(t *testing.T) {
			c.want.run(t, s, "POST", "/persons", map[string]any{"firstName": c.first, "lastName": c.last})
			if c.want.status == http.StatusCreated {
				c.want.status = http.StatusOK
			}
			c.want.run(t, s, "PATCH", "/persons/"+id, map[string]any{"firstName": c.first, "lastName": c.last})
		})
	}
	// q is at most 100 characters, but NFC and case folding can lengthen it: U+1D160 (4
	// bytes) is 12 bytes in NFC, so 100 of them exceed any sort key.
	for _, q := range []string{strings.Repeat("ΐ", 100), strings.Repeat("\U0001D160", 100), strings.Repeat("\U0001D160", 85) + "a"} {
		t.Run("q of "+strconv.Itoa(len(q))+" bytes", func(t *testing.T) {
			var page persons.Page[persons.Person]
			s.do("GET", "/persons?q="+url.QueryEscape(q), nil).want(t, http.StatusOK).decode(t, &page)
			if len(page.Items) != 0 || page.NextCursor != "" {
				t.Errorf("page %+v, want none", page)
			}
		})
	}
}
