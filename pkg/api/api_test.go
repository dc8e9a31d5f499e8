package api_test

import (
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/google/uuid"

	"github.com/personsapi/persons/pkg/api"
	"github.com/personsapi/persons/pkg/cors"
	"github.com/personsapi/persons/pkg/ddbstats"
	"github.com/personsapi/persons/pkg/ddbtest"
	"github.com/personsapi/persons/pkg/persons"
)

// kindCase is a valid body of a related kind, a patch and a field the patch changes.
type kindCase struct {
	route  string
	body   map[string]any
	patch  map[string]any
	field  string // changed by patch
	bad    map[string]any
	badFld string
}

var kindCases = []kindCase{
	{
		route: "addresses",
		body: map[string]any{"type": "home", "street": "1 Main St", "city": "Springfield", "state": "IL",
			"postalCode": "62701", "country": "US", "isPrimary": true},
		patch: map[string]any{"city": "Chicago"}, field: "city",
		bad: map[string]any{"type": "castle", "street": "x", "city": "x", "state": "x", "postalCode": "1", "country": "x"}, badFld: "type",
	},
	{
		route: "bank-accounts",
		body:  map[string]any{"bankName": "First Bank", "accountType": "checking", "accountNumberLast4": "1234", "isPrimary": true},
		patch: map[string]any{"bankName": "Second Bank"}, field: "bankName",
		bad: map[string]any{"bankName": "B", "accountType": "checking", "accountNumberLast4": "12345"}, badFld: "accountNumberLast4",
	},
	{
		route: "contacts",
		body:  map[string]any{"type": "email", "value": "ada@example.com", "isPrimary": true},
		patch: map[string]any{"value": "ada@example.org"}, field: "value",
		bad: map[string]any{"type": "pigeon", "value": "x"}, badFld: "type",
	},
	{
		route: "employments",
		body: map[string]any{"companyName": "Acme", "position": "Engineer", "startDate": "2020-01-01T00:00:00Z",
			"isCurrent": true, "currency": "EUR", "salary": 50000},
		patch: map[string]any{"position": "Lead"}, field: "position",
		bad: map[string]any{"companyName": "Acme", "position": "", "startDate": "2020-01-01T00:00:00Z"}, badFld: "position",
	},
}

func personBody(id string) map[string]any {
	return map[string]any{"id": id, "firstName": "Ada", "lastName": "Lovelace",
		"dateOfBirth": "1815-12-10T00:00:00Z", "gender": "female"}
}

func clone(m map[string]any) map[string]any {
	out := make(map[string]any, len(m))
	for k, v := range m {
		out[k] = v
	}
	return out
}

// createPerson posts a person and returns its id.
func (s *server) createPerson(t *testing.T) string {
	t.Helper()
	id := uuid.NewString()
	s.do("POST", "/persons", personBody(id)).want(t, http.StatusCreated)
	return id
}

// The full journey of a front end: create → read → patch → list → child CRUD for every
// kind → include=all in ONE DynamoDB request → cascade delete.
func TestJourney(t *testing.T) {
	s := newServer(t)
	id := uuid.NewString()

	// Create with a client id; server-owned fields in the body are ignored.
	body := personBody(id)
	body["version"], body["createdAt"] = 42, "1999-01-01T00:00:00Z"
	res := s.do("POST", "/persons", body).want(t, http.StatusCreated)
	if loc := res.Header.Get("Location"); loc != "/persons/"+id {
		t.Errorf("Location %q", loc)
	}
	if et := res.Header.Get("ETag"); et != `"1"` {
		t.Errorf("ETag %q, want \"1\"", et)
	}
	var p persons.Person
	res.decode(t, &p)
	if p.ID != id || p.Version != 1 || p.CreatedAt == "1999-01-01T00:00:00Z" || p.CreatedAt == "" {
		t.Errorf("created %+v", p)
	}

	// Read.
	res = s.do("GET", "/persons/"+id, nil).want(t, http.StatusOK)
	if res.Header.Get("ETag") != `"1"` || res.Header.Get("Content-Type") != "application/json" {
		t.Errorf("GET headers %v", res.Header)
	}

	// Patch with If-Match: merge patch, null clears an optional field.
	res = s.do("PATCH", "/persons/"+id, `{"firstName":"Augusta","gender":null}`,
		"If-Match", `"1"`, "Content-Type", "application/merge-patch+json").want(t, http.StatusOK)
	p = persons.Person{}
	res.decode(t, &p)
	if p.FirstName != "Augusta" || p.Gender != nil || p.Version != 2 || res.Header.Get("ETag") != `"2"` {
		t.Errorf("patched %+v, ETag %s", p, res.Header.Get("ETag"))
	}

	// List, with and without the last-name prefix.
	var page persons.Page[persons.Person]
	s.do("GET", "/persons?q=love&limit=10", nil).want(t, http.StatusOK).decode(t, &page)
	if len(page.Items) != 1 || page.Items[0].ID != id || page.NextCursor != "" {
		t.Errorf("list q=love: %+v", page)
	}
	s.do("GET", "/persons?q=babbage", nil).want(t, http.StatusOK).decode(t, &page)
	if len(page.Items) != 0 {
		t.Errorf("list q=babbage: %+v", page)
	}

	// Child CRUD, every kind.
	for _, kc := range kindCases {
		base := "/persons/" + id + "/" + kc.route
		childID := uuid.NewString()
		b := clone(kc.body)
		b["id"] = childID
		res := s.do("POST", base, b).want(t, http.StatusCreated)
		if loc := res.Header.Get("Location"); loc != base+"/"+childID {
			t.Errorf("%s Location %q", kc.route, loc)
		}
		if res.Header.Get("ETag") != `"1"` {
			t.Errorf("%s ETag %q", kc.route, res.Header.Get("ETag"))
		}
		var got map[string]any
		res.decode(t, &got)
		if got["personId"] != id || got["id"] != childID {
			t.Errorf("%s created %v", kc.route, got)
		}
		s.do("GET", base+"/"+childID, nil).want(t, http.StatusOK)

		// PUT replaces every field.
		r := clone(kc.body)
		r[kc.field] = kc.patch[kc.field]
		res = s.do("PUT", base+"/"+childID, r, "If-Match", `"1"`).want(t, http.StatusOK)
		if res.Header.Get("ETag") != `"2"` {
			t.Errorf("%s PUT ETag %q", kc.route, res.Header.Get("ETag"))
		}
		// PATCH back to the original value, then check it stuck.
		res = s.do("PATCH", base+"/"+childID, map[string]any{kc.field: kc.body[kc.field]}, "If-Match", `W/"2"`).want(t, http.StatusOK)
		res.decode(t, &got)
		if fmt.Sprint(got[kc.field]) != fmt.Sprint(kc.body[kc.field]) || res.Header.Get("ETag") != `"3"` {
			t.Errorf("%s PATCH: %v, ETag %s", kc.route, got, res.Header.Get("ETag"))
		}
		// A second item (server-generated id) that we delete again.
		res = s.do("POST", base, kc.body).want(t, http.StatusCreated)
		res.decode(t, &got)
		second := got["id"].(string)
		var list persons.Page[map[string]any]
		s.do("GET", base+"?limit=1", nil).want(t, http.StatusOK).decode(t, &list)
		if len(list.Items) != 1 || list.NextCursor == "" {
			t.Fatalf("%s page 1: %+v", kc.route, list)
		}
		s.do("GET", base+"?limit=1&cursor="+list.NextCursor, nil).want(t, http.StatusOK).decode(t, &list)
		if len(list.Items) != 1 {
			t.Fatalf("%s page 2: %+v", kc.route, list)
		}
		s.do("DELETE", base+"/"+second, nil, "If-Match", "*").want(t, http.StatusNoContent)
		s.do("GET", base+"/"+second, nil).problem(t, http.StatusNotFound)
	}

	// include=all: the person and one item of each kind, in exactly one DynamoDB request.
	res = s.do("GET", "/persons/"+id+"?include=all", nil).want(t, http.StatusOK)
	var d persons.PersonDetails
	res.decode(t, &d)
	if d.ID != id || len(d.Addresses) != 1 || len(d.BankAccounts) != 1 || len(d.Contacts) != 1 || len(d.Employments) != 1 {
		t.Errorf("details %+v", d)
	}
	line := s.logs.accessLine(t, res.Header.Get(api.RequestIDHeader))
	if line["ddb_requests"] != 1.0 || line["route"] != "GET /persons/{personId}" || line["status"] != 200.0 {
		t.Errorf("include=all access line %v, want 1 DynamoDB request", line)
	}
	// Five small items (under 4 KB together) in one eventually consistent Query: ½ read unit.
	if line["ddb_read_units"] != 0.5 || line["ddb_write_units"] != 0.0 {
		t.Errorf("include=all access line %v, want ½ read unit and no write units", line)
	}

	// Cascade delete: the person and everything under it.
	res = s.do("DELETE", "/persons/"+id, nil, "If-Match", `"2"`).want(t, http.StatusNoContent)
	// The mark, 4 plain deletes and the PROFILE, each with the PROFILE's index entry
	// (DynamoDB Local counts index writes): 2 + 4 + 2 write units, 2 strong partition reads.
	line = s.logs.accessLine(t, res.Header.Get(api.RequestIDHeader))
	if line["ddb_write_units"] != 8.0 || line["ddb_read_units"] != 2.0 {
		t.Errorf("cascade delete access line %v, want 8 write and 2 read units", line)
	}
	s.do("GET", "/persons/"+id, nil).problem(t, http.StatusNotFound)
	for _, kc := range kindCases {
		s.do("GET", "/persons/"+id+"/"+kc.route, nil).problem(t, http.StatusNotFound)
	}
	s.do("DELETE", "/persons/"+id, nil).problem(t, http.StatusNotFound)
}

func TestPersonsPagination(t *testing.T) {
	s := newServer(t)
	for i := range 5 {
		b := personBody(uuid.NewString())
		b["lastName"] = fmt.Sprintf("Name%d", i)
		s.do("POST", "/persons", b).want(t, http.StatusCreated)
	}
	seen := map[string]bool{}
	cursor := ""
	for pages := 0; ; pages++ {
		if pages > 3 {
			t.Fatal("too many pages")
		}
		var page persons.Page[persons.Person]
		s.do("GET", "/persons?limit=2&cursor="+cursor, nil).want(t, http.StatusOK).decode(t, &page)
		for _, p := range page.Items {
			seen[p.ID] = true
		}
		if page.NextCursor == "" {
			break
		}
		cursor = page.NextCursor
	}
	if len(seen) != 5 {
		t.Errorf("saw %d persons over the pages, want 5", len(seen))
	}
	// The last page has no nextCursor key at all.
	res := s.do("GET", "/persons?limit=100", nil).want(t, http.StatusOK)
	if strings.Contains(string(res.body), "nextCursor") {
		t.Errorf("last page carries nextCursor: %s", res.body)
	}
}

// Every error status of the API, as application/problem+json.
func TestErrors(t *testing.T) {
	s := newServer(t)
	id := s.createPerson(t)
	addr := clone(kindCases[0].body)
	addr["isPrimary"] = false
	var a persons.Address
	s.do("POST", "/persons/"+id+"/addresses", addr).want(t, http.StatusCreated).decode(t, &a)
	addrURL := "/persons/" + id + "/addresses/" + a.ID
	missing := uuid.NewString()

	t.Run("400 invalid JSON", func(t *testing.T) {
		s.do("POST", "/persons", `{"firstName": "Ada",`).problem(t, http.StatusBadRequest)
		s.do("PATCH", "/persons/"+id, `[1,2]`).problem(t, http.StatusBadRequest)
		s.do("POST", "/persons", ``).problem(t, http.StatusBadRequest)
	})
	t.Run("400 unknown field named", func(t *testing.T) {
		b := personBody(uuid.NewString())
		b["nickname"] = "Ada"
		s.do("POST", "/persons", b).fieldProblem(t, "nickname")
		s.do("PATCH", addrURL, `{"planet":"Mars"}`).fieldProblem(t, "planet")
	})
	t.Run("400 invalid values, every field at once", func(t *testing.T) {
		p := s.do("POST", "/persons", map[string]any{"firstName": "", "lastName": "", "gender": "x"}).problem(t, http.StatusBadRequest)
		got := map[string]bool{}
		for _, f := range p.Errors {
			got[f.Field] = true
		}
		for _, f := range []string{"firstName", "lastName", "gender"} {
			if !got[f] {
				t.Errorf("errors %v lack %s", p.Errors, f)
			}
		}
		for _, kc := range kindCases {
			s.do("POST", "/persons/"+id+"/"+kc.route, kc.bad).fieldProblem(t, kc.badFld)
		}
		s.do("PATCH", "/persons/"+id, `{"firstName":""}`).fieldProblem(t, "firstName")
	})
	t.Run("400 bad cursor", func(t *testing.T) {
		s.do("GET", "/persons?cursor=garbage", nil).fieldProblem(t, "cursor")
		s.do("GET", "/persons/"+id+"/contacts?cursor=eyJ4IjoxfQ", nil).fieldProblem(t, "cursor")
	})
	t.Run("400 bad limit", func(t *testing.T) {
		for _, l := range []string{"abc", "1.5", "0", "-1", "1001", "99999999999999999999"} {
			s.do("GET", "/persons?limit="+l, nil).fieldProblem(t, "limit")
		}
		s.do("GET", "/persons/"+id+"/employments?limit=x", nil).fieldProblem(t, "limit")
		s.do("GET", "/persons/"+id+"/employments?limit=101", nil).fieldProblem(t, "limit")
	})
	t.Run("400 bad q, include, If-Match, path id", func(t *testing.T) {
		s.do("GET", "/persons?q="+strings.Repeat("a", 101), nil).fieldProblem(t, "q")
		s.do("GET", "/persons/"+id+"?include=addresses", nil).fieldProblem(t, "include")
		s.do("PATCH", "/persons/"+id, `{}`, "If-Match", `"abc"`).fieldProblem(t, "If-Match")
		s.do("DELETE", addrURL, nil, "If-Match", `"1", "2"`).fieldProblem(t, "If-Match")
		s.do("GET", "/persons/not-a-uuid", nil).fieldProblem(t, "personId")
		s.do("GET", "/persons/"+id+"/addresses/nope", nil).fieldProblem(t, "id")
	})
	t.Run("400 body id contradicts path", func(t *testing.T) {
		s.do("PATCH", "/persons/"+id, map[string]any{"id": missing}).fieldProblem(t, "id")
		b := clone(addr)
		b["personId"] = missing
		s.do("POST", "/persons/"+id+"/addresses", b).fieldProblem(t, "personId")
		s.do("PUT", addrURL, b).fieldProblem(t, "personId")
		b = clone(addr)
		b["id"] = missing
		s.do("PUT", addrURL, b).fieldProblem(t, "id")
		s.do("PATCH", addrURL, map[string]any{"id": missing}).fieldProblem(t, "id")
		s.do("PATCH", addrURL, map[string]any{"personId": missing}).fieldProblem(t, "personId")
	})
	t.Run("404", func(t *testing.T) {
		s.do("GET", "/persons/"+missing, nil).problem(t, http.StatusNotFound)
		s.do("GET", "/persons/"+missing+"?include=all", nil).problem(t, http.StatusNotFound)
		s.do("PATCH", "/persons/"+missing, `{}`).problem(t, http.StatusNotFound)
		s.do("POST", "/persons/"+missing+"/addresses", addr).problem(t, http.StatusNotFound)
		s.do("GET", "/persons/"+missing+"/addresses", nil).problem(t, http.StatusNotFound)
		s.do("GET", "/persons/"+id+"/addresses/"+missing, nil).problem(t, http.StatusNotFound)
		s.do("PUT", "/persons/"+id+"/addresses/"+missing, addr).problem(t, http.StatusNotFound)
		s.do("DELETE", "/persons/"+id+"/addresses/"+missing, nil).problem(t, http.StatusNotFound)
		s.do("GET", "/nowhere", nil).problem(t, http.StatusNotFound)
		s.do("GET", "/persons/"+id+"/pets", nil).problem(t, http.StatusNotFound)
	})
	t.Run("405 with Allow", func(t *testing.T) {
		for _, c := range []struct{ method, path, allow string }{
			{"DELETE", "/persons", "GET, POST"},
			{"PUT", "/persons/" + id, "GET, PATCH, DELETE"},
			{"PATCH", "/persons/" + id + "/contacts", "GET, POST"},
			{"POST", addrURL, "GET, PUT, PATCH, DELETE"},
		} {
			res := s.do(c.method, c.path, nil)
			res.problem(t, http.StatusMethodNotAllowed)
			if got := res.Header.Get("Allow"); got != c.allow {
				t.Errorf("%s %s: Allow %q, want %q", c.method, c.path, got, c.allow)
			}
		}
	})
	t.Run("409 id taken", func(t *testing.T) {
		other := personBody(id)
		other["firstName"] = "Augusta"
		s.do("POST", "/persons", other).problem(t, http.StatusConflict)
		b := clone(addr)
		b["id"] = a.ID
		b["city"] = "Chicago"
		s.do("POST", "/persons/"+id+"/addresses", b).problem(t, http.StatusConflict)
	})
	t.Run("412 stale If-Match", func(t *testing.T) {
		s.do("PATCH", "/persons/"+id, `{"firstName":"X"}`, "If-Match", `"7"`).problem(t, http.StatusPreconditionFailed)
		s.do("DELETE", "/persons/"+id, nil, "If-Match", `"7"`).problem(t, http.StatusPreconditionFailed)
		s.do("PUT", addrURL, addr, "If-Match", `"7"`).problem(t, http.StatusPreconditionFailed)
		s.do("PATCH", addrURL, `{}`, "If-Match", `"7"`).problem(t, http.StatusPreconditionFailed)
		s.do("DELETE", addrURL, nil, "If-Match", `"7"`).problem(t, http.StatusPreconditionFailed)
	})
	t.Run("413 body over 64 KiB", func(t *testing.T) {
		big := `{"firstName":"` + strings.Repeat("a", 65<<10) + `","lastName":"B"}`
		p := s.do("POST", "/persons", big).problem(t, http.StatusRequestEntityTooLarge)
		if !strings.Contains(p.Detail, "65536") {
			t.Errorf("413 detail %q", p.Detail)
		}
		s.do("PATCH", addrURL, big).problem(t, http.StatusRequestEntityTooLarge)
	})
	t.Run("415 not JSON", func(t *testing.T) {
		s.do("POST", "/persons", `firstName=Ada`, "Content-Type", "application/x-www-form-urlencoded").problem(t, http.StatusUnsupportedMediaType)
		s.do("PATCH", "/persons/"+id, `{}`, "Content-Type", "").problem(t, http.StatusUnsupportedMediaType)
		s.do("PUT", addrURL, addr, "Content-Type", "text/plain").problem(t, http.StatusUnsupportedMediaType)
		// Parameters are fine.
		s.do("PATCH", "/persons/"+id, `{}`, "Content-Type", "application/json; charset=utf-8").want(t, http.StatusOK)
	})
}

// A store whose table does not exist fails every call: the client sees only
// "internal error" and the request id, the log has the details.
func TestInternalErrorHidesDetails(t *testing.T) {
	bad := newServerFor(t, persons.New(ddbtest.Client(t, ddbstats.Counting), "no_such_table_for_500"))
	res := bad.do("GET", "/persons", nil, api.RequestIDHeader, "req-500-test")
	p := res.problem(t, http.StatusInternalServerError)
	if p.Detail != "internal error" || p.RequestID != "req-500-test" || len(p.Errors) != 0 {
		t.Errorf("500 problem %+v", p)
	}
	if strings.Contains(string(res.body), "no_such_table") || strings.Contains(string(res.body), "ResourceNotFound") {
		t.Errorf("500 leaks details: %s", res.body)
	}
	var logged bool
	for _, rec := range bad.logs.lines(t, "internal error") {
		if rec["request_id"] == "req-500-test" && strings.Contains(fmt.Sprint(rec["error"]), "ResourceNotFoundException") {
			logged = true
		}
	}
	if !logged {
		t.Errorf("the 500's cause is not in the log: %v", bad.logs.lines(t, "internal error"))
	}
}

// Request ids: a sane client id is echoed, a hostile one replaced; every response has one.
func TestRequestID(t *testing.T) {
	s := newServer(t)
	if got := s.do("GET", "/persons", nil, api.RequestIDHeader, "abc-123").Header.Get(api.RequestIDHeader); got != "abc-123" {
		t.Errorf("echoed %q", got)
	}
	got := s.do("GET", "/persons", nil, api.RequestIDHeader, "evil\tid").Header.Get(api.RequestIDHeader)
	if got == "" || strings.Contains(got, "evil") {
		t.Errorf("hostile id became %q", got)
	}
	a := s.do("GET", "/persons", nil).Header.Get(api.RequestIDHeader)
	b := s.do("GET", "/persons", nil).Header.Get(api.RequestIDHeader)
	if a == "" || a == b {
		t.Errorf("generated ids %q, %q", a, b)
	}
}

func TestCORS(t *testing.T) {
	s := newServer(t)
	res := s.do("OPTIONS", "/persons/x", nil, "Origin", "http://localhost:5173", "Access-Control-Request-Method", "PATCH",
		"Access-Control-Request-Headers", "authorization,if-match")
	res.want(t, http.StatusNoContent)
	// The same lists as the deployed stack's API Gateway (infra uses pkg/cors too).
	if res.Header.Get("Access-Control-Allow-Origin") != "http://localhost:5173" ||
		res.Header.Get("Access-Control-Allow-Headers") != strings.Join(cors.AllowHeaders, ", ") ||
		res.Header.Get("Access-Control-Allow-Methods") != strings.Join(api.Methods(), ", ") {
		t.Errorf("preflight headers %v", res.Header)
	}
	for _, h := range []string{"Authorization", "If-Match", "Content-Type", "X-Request-Id"} {
		if !slices.Contains(cors.AllowHeaders, h) {
			t.Errorf("%s is not allowed", h)
		}
	}
	res = s.do("GET", "/persons", nil, "Origin", "http://localhost:5173").want(t, http.StatusOK)
	if res.Header.Get("Access-Control-Expose-Headers") != strings.Join(cors.ExposeHeaders, ", ") {
		t.Errorf("expose headers %v", res.Header)
	}
	for _, h := range []string{"ETag", "Location", "X-Request-Id", "Allow", "Retry-After"} {
		if !slices.Contains(cors.ExposeHeaders, h) {
			t.Errorf("%s is not exposed", h)
		}
	}
	res = s.do("GET", "/persons", nil, "Origin", "http://evil.example").want(t, http.StatusOK)
	if res.Header.Get("Access-Control-Allow-Origin") != "" {
		t.Errorf("foreign origin allowed: %v", res.Header)
	}
	// A foreign origin's preflight gets no CORS headers (the browser refuses the call)
	// and no status that blames the method.
	res = s.do("OPTIONS", "/persons", nil, "Origin", "http://evil.example", "Access-Control-Request-Method", "POST").
		want(t, http.StatusNoContent)
	for name := range res.Header {
		if strings.HasPrefix(name, "Access-Control-") {
			t.Errorf("foreign preflight got %s", name)
		}
	}
}

// A Lambda's handler serves its own routes only.
func TestFunctionsServeOnlyTheirRoutes(t *testing.T) {
	db, table := ddbtest.NewTable(t, ddbstats.Counting)
	store := persons.New(db, table)
	for _, fn := range api.Functions() {
		s := newServerFor(t, store, fn)
		mounted := 0
		for _, rt := range api.Routes() {
			path := strings.NewReplacer("{personId}", uuid.NewString(), "{id}", uuid.NewString()).Replace(rt.Path)
			res := s.do(rt.Method, path, map[string]any{})
			own := rt.Function == fn
			if own {
				mounted++
			}
			if own == (res.StatusCode == http.StatusNotFound && strings.Contains(string(res.body), "no route")) {
				t.Errorf("function %s: %s %s -> %d %s", fn, rt.Method, rt.Path, res.StatusCode, res.body)
			}
		}
		if mounted == 0 {
			t.Errorf("function %s has no routes", fn)
		}
	}
}

// 50 concurrent PATCHes with the same If-Match: exactly one wins, the rest get 412.
func TestConcurrentPatchSameIfMatch(t *testing.T) {
	s := newServer(t)
	id := s.createPerson(t)
	const n = 50
	statuses := make([]int, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			res := s.do("PATCH", "/persons/"+id, fmt.Sprintf(`{"firstName":"Writer%d"}`, i), "If-Match", `"1"`)
			statuses[i] = res.StatusCode
		})
	}
	wg.Wait()
	count := map[int]int{}
	for _, st := range statuses {
		count[st]++
	}
	if count[http.StatusOK] != 1 || count[http.StatusPreconditionFailed] != n-1 {
		t.Fatalf("statuses %v, want one 200 and %d 412", count, n-1)
	}
	var p persons.Person
	s.do("GET", "/persons/"+id, nil).want(t, http.StatusOK).decode(t, &p)
	if p.Version != 2 {
		t.Errorf("version %d after one successful patch, want 2", p.Version)
	}
}

// The document of the API lists exactly the routes the router serves.
func TestOpenAPIMatchesRoutes(t *testing.T) {
	var doc struct {
		OpenAPI string                                `json:"openapi"`
		Paths   map[string]map[string]json.RawMessage `json:"paths"`
	}
	if err := json.Unmarshal(api.OpenAPI, &doc); err != nil {
		t.Fatalf("openapi.json: %v", err)
	}
	if !strings.HasPrefix(doc.OpenAPI, "3.1") {
		t.Errorf("openapi %q, want 3.1.x", doc.OpenAPI)
	}
	methods := map[string]bool{"get": true, "put": true, "post": true, "delete": true, "options": true, "head": true, "patch": true, "trace": true}
	inDoc := map[string]bool{}
	for path, item := range doc.Paths {
		for m := range item {
			if methods[m] {
				inDoc[strings.ToUpper(m)+" "+path] = true
			}
		}
	}
	inRouter := map[string]bool{}
	for _, rt := range api.Routes() {
		inRouter[rt.Method+" "+rt.Path] = true
	}
	for r := range inRouter {
		if !inDoc[r] {
			t.Errorf("route %s is served but not in openapi.json", r)
		}
	}
	for r := range inDoc {
		if !inRouter[r] {
			t.Errorf("openapi.json documents %s, which is not served", r)
		}
	}
	// Each operation documents exactly the query parameters its route takes.
	var tree map[string]any
	if err := json.Unmarshal(api.OpenAPI, &tree); err != nil {
		t.Fatal(err)
	}
	for _, rt := range api.Routes() {
		if got, want := documentedQuery(tree, rt), rt.Query(); !slices.Equal(got, slices.Sorted(slices.Values(want))) {
			t.Errorf("%s %s: openapi.json documents query parameters %v, the route takes %v", rt.Method, rt.Path, got, want)
		}
	}
}

// documentedQuery lists the query parameters openapi.json gives the route's operation
// (its own and its path's, references resolved), sorted.
func documentedQuery(tree map[string]any, rt api.Route) []string {
	item := tree["paths"].(map[string]any)[rt.Path].(map[string]any)
	op := item[strings.ToLower(rt.Method)].(map[string]any)
	params, _ := item["parameters"].([]any)
	opParams, _ := op["parameters"].([]any)
	names := []string{}
	for _, p := range append(params, opParams...) {
		pm := p.(map[string]any)
		if ref, ok := pm["$ref"].(string); ok {
			pm = tree["components"].(map[string]any)["parameters"].(map[string]any)[ref[strings.LastIndex(ref, "/")+1:]].(map[string]any)
		}
		if pm["in"] == "query" {
			names = append(names, pm["name"].(string))
		}
	}
	slices.Sort(names)
	return names
}

// A panicking handler yields a 500 problem and a logged stack, and the server lives on.
func TestPanicRecovery(t *testing.T) {
	s := newServer(t)
	logs := &logBuffer{}
	h := api.NewHandler(api.Options{
		Store:  s.store,
		Logger: slog.New(slog.NewJSONHandler(logs, nil)),
		Extra: map[string]http.Handler{"GET /boom": http.HandlerFunc(func(http.ResponseWriter, *http.Request) {
			panic("kaboom")
		})},
	})
	s2 := &server{t: t, h: api.WithFixedScopes(h, allScopes), store: s.store, logs: logs}
	p := s2.do("GET", "/boom", nil).problem(t, http.StatusInternalServerError)
	if p.Detail != "internal error" {
		t.Errorf("detail %q", p.Detail)
	}
	errs := logs.lines(t, "internal error")
	if len(errs) != 1 || !strings.Contains(fmt.Sprint(errs[0]["error"]), "kaboom") {
		t.Errorf("panic not logged: %v", errs)
	}
	if line := logs.accessLine(t, p.RequestID); line["status"] != 500.0 || line["route"] != "GET /boom" {
		t.Errorf("access line %v", line)
	}
	s2.do("GET", "/persons", nil).want(t, http.StatusOK)
}
