package api_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/google/uuid"

	"github.com/personsapi/persons/pkg/persons"
)

// NFC and NFD spellings of a name are one name: they sort together and a last-name
// prefix in either form finds both.
func TestNFCNames(t *testing.T) {
	s := newServer(t)
	nfc, nfd := "\u00c9tienne", "E\u0301tienne"
	for _, last := range []string{nfc, "Eve", "Ezra", nfd, "Fabre"} {
		s.do("POST", "/persons", map[string]any{"firstName": "A", "lastName": last}).want(t, http.StatusCreated)
	}
	var all persons.Page[persons.Person]
	s.do("GET", "/persons", nil).want(t, http.StatusOK).decode(t, &all)
	var order []string
	for _, p := range all.Items {
		order = append(order, p.LastName)
	}
	if want := []string{"Eve", "Ezra", "Fabre", nfc, nfc}; strings.Join(order, ",") != strings.Join(want, ",") {
		t.Errorf("order %q, want %q", order, want)
	}
	for _, q := range []string{nfc[:2], "E\u0301", "\u00e9t", "e\u0301t"} {
		var page persons.Page[persons.Person]
		s.do("GET", "/persons?q="+url.QueryEscape(q), nil).want(t, http.StatusOK).decode(t, &page)
		if len(page.Items) != 2 {
			t.Errorf("q=%q found %d persons, want 2", q, len(page.Items))
		}
	}
}

// Date-times are checked strictly (real offsets, years 1800–2200) and stored in one form,
// UTC with milliseconds; a date of birth may be a plain date.
func TestDateTimes(t *testing.T) {
	s := newServer(t)
	id := s.createPerson(t)
	for _, c := range []struct {
		dob  string
		want want
	}{
		{"1990-01-01T00:00:00+24:00", bad("dateOfBirth")},
		{"1990-01-01T00:00:00-24:00", bad("dateOfBirth")},
		{"1990-01-01T00:00:00+00:60", bad("dateOfBirth")},
		{"1990-01-01T00:00:00,5Z", bad("dateOfBirth")},
		{"0000-01-01T00:00:00Z", bad("dateOfBirth")},
		{"1799-12-31T23:59:59Z", bad("dateOfBirth")},
		{"1990-02-29", bad("dateOfBirth")},
		{"1990-1-1", bad("dateOfBirth")},
		{"19900101", bad("dateOfBirth")},
		{"1990-05-17", stored(http.StatusOK, "dateOfBirth", "1990-05-17T00:00:00.000Z")},
		{"1800-01-01T00:00:00Z", stored(http.StatusOK, "dateOfBirth", "1800-01-01T00:00:00.000Z")},
		{"1990-05-17T08:30:00.5-05:00", stored(http.StatusOK, "dateOfBirth", "1990-05-17T13:30:00.500Z")},
		{"1990-05-17T23:30:00+23:59", stored(http.StatusOK, "dateOfBirth", "1990-05-16T23:31:00.000Z")},
		{"1990-05-17T00:00:00.123456789Z", stored(http.StatusOK, "dateOfBirth", "1990-05-17T00:00:00.123Z")},
		{"1990-05-17T00:00:00-00:00", stored(http.StatusOK, "dateOfBirth", "1990-05-17T00:00:00.000Z")},
	} {
		t.Run("dateOfBirth "+c.dob, func(t *testing.T) {
			c.want.run(t, s, "PATCH", "/persons/"+id, map[string]any{"dateOfBirth": c.dob})
		})
	}
	for _, c := range []struct {
		start, end string
		want       want
	}{
		{"2020-01-01T00:00:00+24:00", "", bad("startDate")},
		{"0000-01-01T00:00:00Z", "", bad("startDate")},
		{"2201-01-01T00:00:00Z", "", bad("startDate")},
		{"2020-01-01T00:00:00Z", "2020-06-01T00:00:00+24:00", bad("endDate")},
		{"2020-01-01T00:00:00Z", "2201-01-01T00:00:00Z", bad("endDate")},
		{"2020-01-01", "", bad("startDate")},
		{"2200-12-31T23:59:59.999Z", "", stored(http.StatusCreated, "startDate", "2200-12-31T23:59:59.999Z")},
		{"2020-01-01T09:00:00+01:00", "", stored(http.StatusCreated, "startDate", "2020-01-01T08:00:00.000Z")},
		{"2020-01-01T00:00:00Z", "2020-06-01T17:00:00-07:00", stored(http.StatusCreated, "endDate", "2020-06-02T00:00:00.000Z")},
	} {
		t.Run("employment "+c.start+" "+c.end, func(t *testing.T) {
			b := with(employmentBody, "startDate", c.start)
			if c.end != "" {
				b = with(b, "endDate", c.end, "isCurrent", false)
			}
			c.want.run(t, s, "POST", "/persons/"+id+"/employments", b)
		})
	}
}

// Ids are lower case: an upper-case id, in a path or a body, names the same item.
func TestCanonicalIDs(t *testing.T) {
	s := newServer(t)
	id := uuid.NewString()
	upper := strings.ToUpper(id)
	stored(http.StatusCreated, "id", id).run(t, s, "POST", "/persons", personBody(upper))
	// The same create again, in either case, is a retry: it gets the stored person.
	stored(http.StatusCreated, "id", id).run(t, s, "POST", "/persons", personBody(id))
	stored(http.StatusCreated, "id", id).run(t, s, "POST", "/persons", personBody(upper))
	other := personBody(upper)
	other["lastName"] = "Byron"
	s.do("POST", "/persons", other).problem(t, http.StatusConflict)
	stored(http.StatusOK, "id", id).run(t, s, "GET", "/persons/"+upper, nil)
	stored(http.StatusOK, "firstName", "Augusta").run(t, s, "PATCH", "/persons/"+upper, map[string]any{"id": upper, "firstName": "Augusta"})
	s.do("GET", "/persons/"+upper+"?include=all", nil).want(t, http.StatusOK)

	addrID := uuid.NewString()
	addr := with(kindCases[0].body, "id", strings.ToUpper(addrID), "personId", id)
	res := s.do("POST", "/persons/"+upper+"/addresses", addr).want(t, http.StatusCreated)
	if loc := res.Header.Get("Location"); loc != "/persons/"+id+"/addresses/"+addrID {
		t.Errorf("Location %q", loc)
	}
	stored(http.StatusOK, "personId", id).run(t, s, "GET", "/persons/"+id+"/addresses/"+strings.ToUpper(addrID), nil)
	stored(http.StatusOK, "city", "Chicago").run(t, s, "PUT", "/persons/"+upper+"/addresses/"+addrID,
		with(addr, "city", "Chicago", "personId", upper))
	s.do("POST", "/persons/"+id+"/addresses", with(addr, "id", addrID)).problem(t, http.StatusConflict)

	var d persons.PersonDetails
	s.do("GET", "/persons/"+id+"?include=all", nil).want(t, http.StatusOK).decode(t, &d)
	if len(d.Addresses) != 1 || d.Addresses[0].ID != addrID || d.Addresses[0].PersonID != id {
		t.Errorf("addresses %+v, want one with lower-case ids", d.Addresses)
	}
	var all persons.Page[persons.Person]
	s.do("GET", "/persons", nil).want(t, http.StatusOK).decode(t, &all)
	if len(all.Items) != 1 {
		t.Errorf("%d persons, want 1", len(all.Items))
	}
	s.do("DELETE", "/persons/"+strings.ToUpper(id)+"/addresses/"+strings.ToUpper(addrID), nil).want(t, http.StatusNoContent)
	s.do("DELETE", "/persons/"+upper, nil).want(t, http.StatusNoContent)
	s.do("GET", "/persons/"+id, nil).problem(t, http.StatusNotFound)
}
