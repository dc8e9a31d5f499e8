package api_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"

	"github.com/google/uuid"

	"github.com/personsapi/persons/pkg/api"
)

// members decodes a JSON object body into its raw members.
func (r response) members(t *testing.T) map[string]json.RawMessage {
	t.Helper()
	var m map[string]json.RawMessage
	r.decode(t, &m)
	return m
}

// wantNull fails unless the object has each field as an explicit null.
func wantNull(t *testing.T, what string, m map[string]json.RawMessage, fields ...string) {
	t.Helper()
	for _, f := range fields {
		if v, ok := m[f]; !ok || string(v) != "null" {
			t.Errorf("%s: %s is %q (present: %v), want an explicit null", what, f, v, ok)
		}
	}
}

// A cleared optional field is an explicit null in every response that carries the item:
// a TanStack DB collection merges a refetched row over the one it holds, so a member left
// out would keep the old value on every other client.
func TestClearedFieldsAreNullInResponses(t *testing.T) {
	s := newServer(t)
	id := s.createPerson(t)
	base := "/persons/" + id

	res := s.do("PATCH", base, `{"gender":null,"dateOfBirth":null}`, "Content-Type", "application/merge-patch+json").want(t, http.StatusOK)
	wantNull(t, "PATCH response", res.members(t), "gender", "dateOfBirth")
	wantNull(t, "GET", s.do("GET", base, nil).want(t, http.StatusOK).members(t), "gender", "dateOfBirth")
	wantNull(t, "GET include=all", s.do("GET", base+"?include=all", nil).want(t, http.StatusOK).members(t), "gender", "dateOfBirth")
	var page struct{ Items []map[string]json.RawMessage }
	s.do("GET", "/persons", nil).want(t, http.StatusOK).decode(t, &page)
	wantNull(t, "list item", page.Items[0], "gender", "dateOfBirth")

	// Related kinds: created without the optional fields, PUT with explicit nulls.
	acct := s.do("POST", base+"/bank-accounts", map[string]any{"bankName": "B", "accountType": "savings",
		"accountNumberLast4": "1234", "iban": "GB82WEST12345698765432", "bic": "DEUTDEFF"}).want(t, http.StatusCreated)
	var a struct{ ID string }
	acct.decode(t, &a)
	res = s.do("PUT", base+"/bank-accounts/"+a.ID, map[string]any{"bankName": "B", "accountType": "savings",
		"accountNumberLast4": "1234", "iban": nil, "bic": nil}).want(t, http.StatusOK)
	wantNull(t, "PUT bank account", res.members(t), "iban", "bic")
	res = s.do("POST", base+"/employments", map[string]any{"companyName": "Acme", "position": "Dev",
		"startDate": "2020-01-01T00:00:00Z", "endDate": nil, "salary": nil}).want(t, http.StatusCreated)
	wantNull(t, "POST employment", res.members(t), "department", "endDate", "salary")
}

// writeResult is the body of a related write: the item and the other items it changed.
type writeResult struct {
	ID        string
	Version   int64
	IsPrimary bool
	Changed   []struct {
		ID        string
		Version   int64
		IsPrimary bool
	}
}

// Making an item primary answers with the demoted previous primary in "changed", in its
// new state; every other write answers "changed": []; GETs and lists have no "changed".
func TestWriteResponsesReportSideEffects(t *testing.T) {
	s := newServer(t)
	base := "/persons/" + s.createPerson(t) + "/contacts"
	var first, second, third writeResult
	s.do("POST", base, map[string]any{"type": "email", "value": "a@example.com", "isPrimary": true}).want(t, http.StatusCreated).decode(t, &first)
	if first.Changed == nil || len(first.Changed) != 0 {
		t.Fatalf("first primary: changed %v, want []", first.Changed)
	}
	s.do("POST", base, map[string]any{"type": "phone", "value": "123"}).want(t, http.StatusCreated).decode(t, &second)

	res := s.do("PATCH", base+"/"+second.ID, `{"isPrimary":true}`, "If-Match", `"1"`).want(t, http.StatusOK)
	res.decode(t, &second)
	if len(second.Changed) != 1 || second.Changed[0].ID != first.ID || second.Changed[0].IsPrimary || second.Changed[0].Version != 2 {
		t.Fatalf("PATCH isPrimary: changed %+v, want the demoted first contact at version 2", second.Changed)
	}
	got := s.do("GET", base+"/"+first.ID, nil).want(t, http.StatusOK)
	if got.Header.Get("ETag") != `"2"` {
		t.Errorf("the demoted contact's ETag is %s, want \"2\" as reported", got.Header.Get("ETag"))
	}
	if _, ok := got.members(t)["changed"]; ok {
		t.Error("GET carries changed")
	}

	s.do("PUT", base+"/"+first.ID, map[string]any{"type": "email", "value": "a@example.com", "isPrimary": true}).
		want(t, http.StatusOK).decode(t, &first)
	if len(first.Changed) != 1 || first.Changed[0].ID != second.ID || first.Changed[0].Version != 3 {
		t.Fatalf("PUT isPrimary: changed %+v, want the demoted second contact", first.Changed)
	}
	s.do("POST", base, map[string]any{"type": "mobile", "value": "456", "isPrimary": true}).want(t, http.StatusCreated).decode(t, &third)
	if len(third.Changed) != 1 || third.Changed[0].ID != first.ID || third.Changed[0].Version != 4 {
		t.Fatalf("POST isPrimary: changed %+v, want the demoted first contact", third.Changed)
	}
	var page struct{ Items []map[string]json.RawMessage }
	s.do("GET", base, nil).want(t, http.StatusOK).decode(t, &page)
	for _, it := range page.Items {
		if _, ok := it["changed"]; ok {
			t.Error("a list item carries changed")
		}
	}
}

// A write that changes nothing answers the stored item as it is: same version, same
// ETag, same updatedAt; a stale If-Match is still a 412.
func TestNoOpWritesOverHTTP(t *testing.T) {
	s := newServer(t)
	id := s.createPerson(t)
	person := s.do("GET", "/persons/"+id, nil).want(t, http.StatusOK)
	addrBody := map[string]any{"type": "home", "street": "1 Main St", "city": "Springfield", "state": "IL",
		"postalCode": "62701", "country": "US", "isPrimary": true}
	addr := s.do("POST", "/persons/"+id+"/addresses", addrBody).want(t, http.StatusCreated)
	var a struct{ ID string }
	addr.decode(t, &a)
	addrURL := "/persons/" + id + "/addresses/" + a.ID
	stored := s.do("GET", addrURL, nil).want(t, http.StatusOK)

	tests := []struct {
		name, method, url string
		body              any
		want              response
	}{
		{"PATCH person {}", "PATCH", "/persons/" + id, `{}`, person},
		{"PATCH person, same values", "PATCH", "/persons/" + id, `{"firstName":"Ada","gender":"female"}`, person},
		{"PATCH person, server-owned fields", "PATCH", "/persons/" + id, `{"version":7,"updatedAt":"2000-01-01T00:00:00Z"}`, person},
		{"PATCH address {}", "PATCH", addrURL, `{}`, stored},
		{"PUT address, as stored", "PUT", addrURL, addrBody, stored},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res := s.do(tt.method, tt.url, tt.body, "If-Match", `"1"`).want(t, http.StatusOK)
			if res.Header.Get("ETag") != `"1"` {
				t.Errorf("ETag %s, want \"1\"", res.Header.Get("ETag"))
			}
			got, want := res.members(t), tt.want.members(t)
			delete(got, "changed")
			if string(got["updatedAt"]) != string(want["updatedAt"]) || string(got["version"]) != "1" {
				t.Errorf("answer %s, want the stored %s", res.body, tt.want.body)
			}
			s.do(tt.method, tt.url, tt.body, "If-Match", `"7"`).problem(t, http.StatusPreconditionFailed)
		})
	}
}

// 409 and 412 carry the stored item in "current" and its ETag.
func TestConflictsCarryCurrent(t *testing.T) {
	s := newServer(t)
	id := s.createPerson(t)
	s.do("PATCH", "/persons/"+id, `{"firstName":"Augusta"}`).want(t, http.StatusOK)
	addrBody := map[string]any{"type": "home", "street": "1 Main St", "city": "Springfield", "state": "IL",
		"postalCode": "62701", "country": "US"}
	var a struct{ ID string }
	s.do("POST", "/persons/"+id+"/addresses", addrBody).want(t, http.StatusCreated).decode(t, &a)
	addrURL := "/persons/" + id + "/addresses/" + a.ID
	s.do("PATCH", addrURL, `{"city":"Chicago"}`).want(t, http.StatusOK)
	taken := clone(addrBody)
	taken["id"] = a.ID

	tests := []struct {
		name, method, url string
		body              any
		status            int
		etag              string
		field, value      string // a member of current
	}{
		{"POST person, id taken", "POST", "/persons", personBody(id), http.StatusConflict, `"2"`, "firstName", `"Augusta"`},
		{"PATCH person, stale", "PATCH", "/persons/" + id, `{"lastName":"King"}`, http.StatusPreconditionFailed, `"2"`, "firstName", `"Augusta"`},
		{"DELETE person, stale", "DELETE", "/persons/" + id, nil, http.StatusPreconditionFailed, `"2"`, "id", `"` + id + `"`},
		{"POST address, id taken", "POST", "/persons/" + id + "/addresses", taken, http.StatusConflict, `"2"`, "city", `"Chicago"`},
		{"PATCH address, stale", "PATCH", addrURL, `{"city":"Boston"}`, http.StatusPreconditionFailed, `"2"`, "city", `"Chicago"`},
		{"PUT address, stale", "PUT", addrURL, addrBody, http.StatusPreconditionFailed, `"2"`, "city", `"Chicago"`},
		{"DELETE address, stale", "DELETE", addrURL, nil, http.StatusPreconditionFailed, `"2"`, "city", `"Chicago"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res := s.do(tt.method, tt.url, tt.body, "If-Match", `"1"`)
			res.problem(t, tt.status)
			if res.Header.Get("ETag") != tt.etag {
				t.Errorf("ETag %q, want %s", res.Header.Get("ETag"), tt.etag)
			}
			var p struct{ Current map[string]json.RawMessage }
			res.decode(t, &p)
			if string(p.Current[tt.field]) != tt.value || string(p.Current["version"]) != "2" {
				t.Errorf("current %s, want %s %s at version 2", res.body, tt.field, tt.value)
			}
		})
	}
}

// concreteURL fills a route's path parameters with real ids.
func concreteURL(path, personID, id string) string {
	return strings.NewReplacer("{personId}", personID, "{id}", id).Replace(path)
}

// On every route, a query parameter the route does not take, a malformed one and a
// repeated one are a 400 that names each of them and lists what the route takes: a
// client asking for sort= or updatedAfter= must not take the unsorted, unfiltered answer
// for the one it asked for.
func TestQueryParametersAreChecked(t *testing.T) {
	s := newServer(t)
	personID := s.createPerson(t)
	var a struct{ ID string }
	s.do("POST", "/persons/"+personID+"/addresses", kindCases[0].body).want(t, http.StatusCreated).decode(t, &a)

	for _, rt := range api.Routes() {
		url := concreteURL(rt.Path, personID, a.ID)
		supported := rt.Query()
		t.Run(rt.Method+" "+rt.Path, func(t *testing.T) {
			tests := []struct {
				query  string
				fields []string
			}{
				{"sort=lastName&offset=10&updatedAfter=2020-01-01&foo=", []string{"sort", "offset", "updatedAfter", "foo"}},
				{"%zz=1", []string{"%zz"}},
				{"foo=a;b", []string{"foo"}},
			}
			if slices.Contains(supported, "limit") {
				tests = append(tests, []struct {
					query  string
					fields []string
				}{
					{"limit=%zz", []string{"limit"}},
					{"limit=abc", []string{"limit"}},
					{"limit=1&limit=2", []string{"limit"}},
					{"limit=1;cursor=x", []string{"limit"}},
					{"limit=5&sort=name", []string{"sort"}},
				}...)
			}
			for _, tt := range tests {
				res := s.do(rt.Method, url+"?"+tt.query, `{}`)
				p := res.problem(t, http.StatusBadRequest)
				named := map[string]bool{}
				for _, f := range p.Errors {
					named[f.Field] = true
				}
				for _, f := range tt.fields {
					if !named[f] {
						t.Errorf("?%s: the 400 does not name %q: %s", tt.query, f, res.body)
					}
				}
				for _, q := range supported {
					if !strings.Contains(p.Detail, q) {
						t.Errorf("?%s: detail %q does not list the supported %q", tt.query, p.Detail, q)
					}
				}
			}
		})
	}
}

// GET /persons: the list parameters over HTTP. A client that loads a collection on demand
// pages with the values of the last person it holds (afterLastName, afterFirstName,
// afterId) in either order, filtered on the server.
func TestPersonsListParameters(t *testing.T) {
	s := newServer(t)
	for i, n := range []string{"Adams", "baker", "Baker", "Clark", "Davis", "Ödegaard", "Strauß", "STRAUSS"} {
		b := personBody(uuid.NewString())
		b["lastName"], b["gender"] = n, []string{"female", "male"}[i%2]
		b["dateOfBirth"] = fmt.Sprintf("19%d0-01-01", 5+i%5)
		s.do("POST", "/persons", b).want(t, http.StatusCreated)
	}
	type person struct{ ID, FirstName, LastName, Gender, DateOfBirth string }
	walk := func(query string) []person {
		var out []person
		next := ""
		for range 20 {
			var page struct {
				Items      []person
				NextCursor string
			}
			s.do("GET", "/persons?limit=3&"+query+next, nil).want(t, http.StatusOK).decode(t, &page)
			out = append(out, page.Items...)
			if page.NextCursor == "" {
				return out
			}
			last := page.Items[len(page.Items)-1]
			next = "&afterLastName=" + url.QueryEscape(last.LastName) + "&afterFirstName=" + url.QueryEscape(last.FirstName) + "&afterId=" + last.ID
		}
		t.Fatal("the list does not end")
		return nil
	}
	lastNames := func(ps []person) string {
		var b []string
		for _, p := range ps {
			b = append(b, p.LastName)
		}
		return strings.Join(b, " ")
	}
	asc, desc := walk(""), walk("order=desc")
	if len(asc) != 8 {
		t.Fatalf("asc: %d persons", len(asc))
	}
	slices.Reverse(desc)
	if lastNames(asc) != lastNames(desc) {
		t.Errorf("desc is not the reverse of asc:\n%s\n%s", lastNames(asc), lastNames(desc))
	}
	// Strauß and STRAUSS are one name (ß folds to ss): their ids order them.
	if got := strings.Fields(lastNames(walk("lastName=" + url.QueryEscape("strauß")))); len(got) != 2 || !slices.Contains(got, "Strauß") || !slices.Contains(got, "STRAUSS") {
		t.Errorf("lastName=strauß: %q", got)
	}
	for _, p := range walk("gender=male&bornFrom=1960-01-01&bornTo=1980-01-01T00:00:00Z") {
		if p.Gender != "male" || p.DateOfBirth < "1960" || p.DateOfBirth > "1980-01-01T00:00:00.000Z" {
			t.Errorf("filtered list holds %+v", p)
		}
	}

	for _, tt := range []struct{ query, field string }{
		{"order=up", "order"},
		{"gender=robot", "gender"},
		{"bornFrom=last-week", "bornFrom"},
		{"afterLastName=Adams", "afterId"},
		{"afterLastName=Adams&afterId=" + uuid.NewString(), "afterFirstName"},
		{"afterLastName=A&afterFirstName=B&afterId=42", "afterId"},
		{"lastName=" + strings.Repeat("x", 101), "lastName"},
	} {
		p := s.do("GET", "/persons?"+tt.query, nil).fieldProblem(t, tt.field)
		if !strings.Contains(p.Detail, "bornTo") {
			t.Errorf("?%s: detail %q does not list the parameters", tt.query, p.Detail)
		}
	}
	var page struct{ NextCursor string }
	s.do("GET", "/persons?limit=1", nil).want(t, http.StatusOK).decode(t, &page)
	s.do("GET", "/persons?cursor="+page.NextCursor+"&afterLastName=A&afterFirstName=B&afterId="+uuid.NewString(), nil).fieldProblem(t, "cursor")
	s.do("GET", "/persons?order=desc&cursor="+page.NextCursor, nil).fieldProblem(t, "cursor")
}

// GET /persons/{id}?include=all carries a strong ETag of the whole person, which changes
// with every change of the person or any related item (and only then), and answers a
// matching If-None-Match with 304 and no body.
func TestIncludeAllETag(t *testing.T) {
	s := newServer(t)
	id := s.createPerson(t)
	base := "/persons/" + id
	all := base + "?include=all"
	tag := func() string {
		t.Helper()
		res := s.do("GET", all, nil).want(t, http.StatusOK)
		et := res.Header.Get("ETag")
		if len(et) != 24 || et[0] != '"' || et[23] != '"' {
			t.Fatalf("include=all ETag %q, want a strong 22-character tag", et)
		}
		return et
	}
	notModified := func(et string) {
		t.Helper()
		res := s.do("GET", all, nil, "If-None-Match", et).want(t, http.StatusNotModified)
		if len(res.body) != 0 || res.Header.Get("ETag") == "" {
			t.Errorf("304: body %q, ETag %q", res.body, res.Header.Get("ETag"))
		}
	}
	var a, c struct{ ID string }
	steps := []struct {
		name    string
		change  func()
		changes bool
	}{
		{"create an address", func() { s.do("POST", base+"/addresses", kindCases[0].body).want(t, http.StatusCreated).decode(t, &a) }, true},
		{"patch it", func() { s.do("PATCH", base+"/addresses/"+a.ID, `{"city":"Chicago"}`).want(t, http.StatusOK) }, true},
		{"a no-op patch", func() { s.do("PATCH", base+"/addresses/"+a.ID, `{"city":"Chicago"}`).want(t, http.StatusOK) }, false},
		{"patch the person", func() { s.do("PATCH", base, `{"gender":null}`).want(t, http.StatusOK) }, true},
		{"a contact", func() { s.do("POST", base+"/contacts", kindCases[2].body).want(t, http.StatusCreated).decode(t, &c) }, true},
		{"a new primary contact demotes it", func() { s.do("POST", base+"/contacts", kindCases[2].body).want(t, http.StatusCreated) }, true},
		{"delete the address", func() { s.do("DELETE", base+"/addresses/"+a.ID, nil).want(t, http.StatusNoContent) }, true},
	}
	prev := tag()
	notModified(prev)
	notModified(`W/` + prev + `, "other"`)
	notModified(`*`)
	for _, st := range steps {
		st.change()
		now := tag()
		if (now != prev) != st.changes {
			t.Errorf("%s: ETag %s -> %s, want changed = %v", st.name, prev, now, st.changes)
		}
		if st.changes {
			s.do("GET", all, nil, "If-None-Match", prev).want(t, http.StatusOK)
		}
		notModified(now)
		prev = now
	}
	// Plain GETs answer If-None-Match with their version ETag too.
	res := s.do("GET", base, nil).want(t, http.StatusOK)
	s.do("GET", base, nil, "If-None-Match", res.Header.Get("ETag")).want(t, http.StatusNotModified)
	res = s.do("GET", base+"/contacts/"+c.ID, nil).want(t, http.StatusOK)
	s.do("GET", base+"/contacts/"+c.ID, nil, "If-None-Match", res.Header.Get("ETag")).want(t, http.StatusNotModified)
	s.do("GET", base+"/contacts/"+c.ID, nil, "If-None-Match", `"1"`).want(t, http.StatusOK)
}

// The related lists of a deleted person answer 404, as do those of a person that never
// existed: a client drops the person's collections.
func TestRelatedListsOfADeletedPerson(t *testing.T) {
	s := newServer(t)
	id := s.createPerson(t)
	for _, kc := range kindCases {
		s.do("POST", "/persons/"+id+"/"+kc.route, kc.body).want(t, http.StatusCreated)
	}
	s.do("DELETE", "/persons/"+id, nil).want(t, http.StatusNoContent)
	for _, kc := range kindCases {
		s.do("GET", "/persons/"+id+"/"+kc.route, nil).problem(t, http.StatusNotFound)
		s.do("GET", "/persons/"+uuid.NewString()+"/"+kc.route, nil).problem(t, http.StatusNotFound)
	}
	s.do("GET", "/persons/"+id+"?include=all", nil).problem(t, http.StatusNotFound)
}
