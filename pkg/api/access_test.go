package api_test

import (
	"encoding/json"
	"log/slog"
	"net/http"
	"strings"
	"testing"

	"github.com/google/uuid"

	"github.com/personsapi/persons/pkg/api"
	"github.com/personsapi/persons/pkg/ddbstats"
	"github.com/personsapi/persons/pkg/ddbtest"
	"github.com/personsapi/persons/pkg/persons"
)

// Two valid IBANs (check digits right) and what a caller without persons/bank sees.
const (
	testIBAN       = "DE89370400440532013000"
	testIBANMasked = "DE****************3000"
	otherIBAN      = "GB82WEST12345698765432"
)

// scopeSets are the combinations the access tests run through.
var scopeSets = map[string]api.Scopes{
	"none":            {},
	"read":            {Read: true},
	"write":           {Write: true},
	"bank":            {Bank: true},
	"read+write":      {Read: true, Write: true},
	"read+bank":       {Read: true, Bank: true},
	"read+write+bank": {Read: true, Write: true, Bank: true},
}

// scoped is a server on the store of s whose every request carries scopes.
func (s *server) scoped(t *testing.T, scopes api.Scopes) *server {
	o := api.Options{Store: s.store, Logger: slog.New(slog.NewJSONHandler(s.logs, nil)), CORSOrigins: []string{"http://localhost:5173"}}
	return &server{t: t, h: api.WithFixedScopes(api.NewHandler(o), scopes), store: s.store, logs: s.logs}
}

// accessBodies are valid create bodies (also PUT bodies) and merge patches per related
// segment; the bank account's carries no IBAN, which every write scope may send.
var accessBodies = map[string][2]string{
	"addresses":     {`{"type":"home","street":"1 Main St","city":"Springfield","state":"IL","postalCode":"62701","country":"US"}`, `{"city":"Chicago"}`},
	"bank-accounts": {`{"bankName":"First Bank","accountType":"savings","accountNumberLast4":"9876"}`, `{"bankName":"Second Bank"}`},
	"contacts":      {`{"type":"email","value":"ada@example.com"}`, `{"isVerified":true}`},
	"employments":   {`{"companyName":"Acme","position":"Engineer","startDate":"2020-01-01T00:00:00Z"}`, `{"position":"Lead"}`},
}

// Every route × every scope set, through the handler: a route without its scope (read
// for GET, write for the others) is a 403 problem naming the scope, and a denied write
// changes nothing; with it, the route does its work.
func TestScopesPerRoute(t *testing.T) {
	admin := newServer(t)
	for name, scopes := range scopeSets {
		s := admin.scoped(t, scopes)
		for _, rt := range api.Routes() {
			t.Run(name+"/"+rt.Pattern(), func(t *testing.T) {
				personID := admin.createPerson(t)
				segment, _, _ := strings.Cut(strings.TrimPrefix(rt.Path, "/persons/{personId}/"), "/")
				var itemID string
				path := strings.ReplaceAll(rt.Path, "{personId}", personID)
				if strings.Contains(rt.Path, "{id}") {
					var item map[string]any
					admin.do("POST", "/persons/"+personID+"/"+segment, accessBodies[segment][0]).want(t, http.StatusCreated).decode(t, &item)
					itemID = item["id"].(string)
					path = strings.ReplaceAll(path, "{id}", itemID)
				}
				var body any
				switch {
				case rt.Method == "POST" && rt.Path == "/persons":
					body = `{"firstName":"Grace","lastName":"Hopper"}`
				case rt.Method == "PATCH" && rt.Path == "/persons/{personId}":
					body = `{"firstName":"Augusta"}`
				case rt.Method == "POST" || rt.Method == "PUT":
					body = accessBodies[segment][0]
				case rt.Method == "PATCH":
					body = accessBodies[segment][1]
				}
				res := s.do(rt.Method, path, body)
				allowed := scopes.Write
				scope := "persons/write"
				if rt.Method == "GET" {
					allowed, scope = scopes.Read, "persons/read"
				}
				if allowed {
					if res.StatusCode >= 300 {
						t.Fatalf("allowed: status %d; body %s", res.StatusCode, res.body)
					}
					return
				}
				p := res.problem(t, http.StatusForbidden)
				if !strings.Contains(p.Detail, scope) {
					t.Errorf("403 detail %q does not name %s", p.Detail, scope)
				}
				// Nothing changed: the person and the item are still at version 1.
				var got map[string]any
				admin.do("GET", "/persons/"+personID, nil).want(t, http.StatusOK).decode(t, &got)
				if got["version"] != 1.0 || got["firstName"] != "Ada" {
					t.Errorf("denied %s changed the person: %v", rt.Pattern(), got)
				}
				if itemID != "" {
					admin.do("GET", "/persons/"+personID+"/"+segment+"/"+itemID, nil).want(t, http.StatusOK).decode(t, &got)
					if got["version"] != 1.0 {
						t.Errorf("denied %s changed the item: %v", rt.Pattern(), got)
					}
				}
				if rt.Method == "POST" && segment != "" && rt.Path != "/persons" {
					var page struct{ Items []any }
					admin.do("GET", "/persons/"+personID+"/"+segment, nil).want(t, http.StatusOK).decode(t, &page)
					if len(page.Items) != 0 {
						t.Errorf("denied POST created %v", page.Items)
					}
				}
			})
		}
	}
}

// A request whose scopes nobody set (a handler without WithScopes) may do nothing.
func TestNoScopesDeniesEverything(t *testing.T) {
	db, table := ddbtest.NewTable(t, ddbstats.Counting)
	store := persons.New(db, table)
	logs := &logBuffer{}
	s := &server{t: t, h: api.NewHandler(api.Options{Store: store, Logger: slog.New(slog.NewJSONHandler(logs, nil))}), store: store, logs: logs}
	s.do("GET", "/persons", nil).problem(t, http.StatusForbidden)
	s.do("POST", "/persons", `{"firstName":"A","lastName":"B"}`).problem(t, http.StatusForbidden)
}

// bankFixture is a person with two bank accounts holding IBANs, written with the bank
// scope: the first primary with testIBAN, the second with otherIBAN.
type bankFixture struct {
	personID, first, second string
}

func newBankFixture(t *testing.T, admin *server) bankFixture {
	f := bankFixture{personID: admin.createPerson(t)}
	base := "/persons/" + f.personID + "/bank-accounts"
	var a map[string]any
	admin.do("POST", base, `{"bankName":"First","accountType":"checking","accountNumberLast4":"3000","iban":"`+testIBAN+`","bic":"COBADEFFXXX","isPrimary":true}`).want(t, http.StatusCreated).decode(t, &a)
	if a["iban"] != testIBAN {
		t.Fatalf("the bank scope gets the full IBAN back: %v", a)
	}
	f.first = a["id"].(string)
	admin.do("POST", base, `{"bankName":"Second","accountType":"savings","accountNumberLast4":"5432","iban":"`+otherIBAN+`"}`).want(t, http.StatusCreated).decode(t, &a)
	f.second = a["id"].(string)
	return f
}

// ibans collects the value of every "iban" member anywhere in a JSON document.
func ibans(t *testing.T, body []byte) []string {
	t.Helper()
	var v any
	if err := json.Unmarshal(body, &v); err != nil {
		t.Fatalf("%s: %v", body, err)
	}
	var out []string
	var walk func(any)
	walk = func(v any) {
		switch v := v.(type) {
		case map[string]any:
			for k, m := range v {
				if s, ok := m.(string); ok && k == "iban" {
					out = append(out, s)
				}
				walk(m)
			}
		case []any:
			for _, m := range v {
				walk(m)
			}
		}
	}
	walk(v)
	return out
}

// Every representation that carries a bank account — the item, the list, include=all,
// a write's item and its "changed" items, a 412's and a 409's "current" — shows the
// IBAN masked without persons/bank, in full with it; the BIC as it is either way.
func TestIBANMaskedInEveryRepresentation(t *testing.T) {
	admin := newServer(t)
	for _, bank := range []bool{false, true} {
		s := admin.scoped(t, api.Scopes{Read: true, Write: true, Bank: bank})
		f := newBankFixture(t, admin)
		base := "/persons/" + f.personID + "/bank-accounts"
		one := base + "/" + f.first
		cases := []struct {
			name string
			res  response
			n    int // IBANs in the body
		}{
			{"item", s.do("GET", one, nil).want(t, http.StatusOK), 1},
			{"list", s.do("GET", base, nil).want(t, http.StatusOK), 2},
			{"include=all", s.do("GET", "/persons/"+f.personID+"?include=all", nil).want(t, http.StatusOK), 2},
			// The PATCH makes the second primary: the first comes back in "changed".
			{"patch+changed", s.do("PATCH", base+"/"+f.second, `{"isPrimary":true}`).want(t, http.StatusOK), 2},
			{"412 current", s.do("PATCH", one, `{"bankName":"X"}`, "If-Match", `"1"`).want(t, http.StatusPreconditionFailed), 1},
			// An idempotent create with the id of a stored account and another body.
			{"409 current", s.do("POST", base, `{"id":"`+f.first+`","bankName":"Other","accountType":"savings","accountNumberLast4":"0000"}`).want(t, http.StatusConflict), 1},
			// A create by this caller whose isPrimary demotes the stored primary.
			{"create+changed", s.do("POST", base, `{"bankName":"Third","accountType":"savings","accountNumberLast4":"1111","isPrimary":true}`).want(t, http.StatusCreated), 1},
		}
		for _, c := range cases {
			got := ibans(t, c.res.body)
			if len(got) < c.n {
				t.Errorf("bank=%v %s: %d IBANs in %s, want %d", bank, c.name, len(got), c.res.body, c.n)
			}
			for _, v := range got {
				full := v == testIBAN || v == otherIBAN
				masked := v == testIBANMasked || v == "GB****************5432"
				if bank && !full || !bank && !masked {
					t.Errorf("bank=%v %s: iban %q in %s", bank, c.name, v, c.res.body)
				}
			}
			if !bank && (strings.Contains(string(c.res.body), "0532013") || strings.Contains(string(c.res.body), "WEST1234")) {
				t.Errorf("%s: the middle of an IBAN in %s", c.name, c.res.body)
			}
			if bytesContains(c.res.body, `"bic":"COBADEFF`) == false && c.name == "item" {
				t.Errorf("%s: BIC not as stored: %s", c.name, c.res.body)
			}
		}
	}
}

func bytesContains(b []byte, s string) bool { return strings.Contains(string(b), s) }

// A caller without persons/bank cannot set or change an IBAN (403 naming iban), and gets
// the same answer whether or not its guess is the stored value; the masked value sent
// back unchanged keeps the stored IBAN. With persons/bank the same writes go through.
func TestBanklessWrites(t *testing.T) {
	admin := newServer(t)
	s := admin.scoped(t, api.Scopes{Read: true, Write: true})
	f := newBankFixture(t, admin)
	base := "/persons/" + f.personID + "/bank-accounts"
	one := base + "/" + f.first
	put := func(iban string) string {
		return `{"bankName":"First","accountType":"checking","accountNumberLast4":"3000","iban":` + iban + `,"bic":"COBADEFFXXX","isPrimary":true}`
	}
	stored := func() map[string]any {
		var v map[string]any
		admin.do("GET", one, nil).want(t, http.StatusOK).decode(t, &v)
		return v
	}
	denied := func(res response) string {
		t.Helper()
		p := res.problem(t, http.StatusForbidden)
		if len(p.Errors) != 1 || p.Errors[0].Field != "iban" || !strings.Contains(p.Detail, "persons/bank") {
			t.Fatalf("403 does not name iban and persons/bank: %s", res.body)
		}
		if bytesContains(res.body, "0532013") {
			t.Fatalf("403 reveals the stored IBAN: %s", res.body)
		}
		p.RequestID, p.Instance = "", ""
		b, _ := json.Marshal(p)
		return string(b)
	}

	// Create: no IBAN at all.
	denied(s.do("POST", base, `{"bankName":"N","accountType":"savings","accountNumberLast4":"1234","iban":"`+otherIBAN+`"}`))
	denied(s.do("POST", base, `{"bankName":"N","accountType":"savings","accountNumberLast4":"1234","iban":"`+testIBANMasked+`"}`))

	// PUT and PATCH: a guess that is right and one that is wrong get the same answer.
	right := denied(s.do("PUT", one, put(`"`+testIBAN+`"`)))
	wrong := denied(s.do("PUT", one, put(`"`+otherIBAN+`"`)))
	if right != wrong {
		t.Errorf("a right guess answers %s, a wrong one %s", right, wrong)
	}
	denied(s.do("PUT", one, put(`null`)))
	denied(s.do("PUT", one, put(`"DE****************9999"`)))
	right = denied(s.do("PATCH", one, `{"iban":"`+testIBAN+`"}`))
	wrong = denied(s.do("PATCH", one, `{"iban":"`+otherIBAN+`"}`))
	if right != wrong {
		t.Errorf("PATCH: a right guess answers %s, a wrong one %s", right, wrong)
	}
	denied(s.do("PATCH", one, `{"iban":null}`))
	if v := stored(); v["iban"] != testIBAN || v["version"] != 1.0 {
		t.Fatalf("denied writes changed the account: %v", v)
	}

	// The front end PUTs what it read: the stored IBAN stays, other fields change.
	var read map[string]any
	s.do("GET", one, nil).want(t, http.StatusOK).decode(t, &read)
	read["bankName"] = "Renamed"
	var w map[string]any
	s.do("PUT", one, read).want(t, http.StatusOK).decode(t, &w)
	if w["iban"] != testIBANMasked || w["bankName"] != "Renamed" {
		t.Errorf("PUT of the read item answered %v", w)
	}
	if v := stored(); v["iban"] != testIBAN || v["bankName"] != "Renamed" {
		t.Errorf("PUT of the masked IBAN stored %v", v)
	}
	s.do("PATCH", one, `{"iban":"`+testIBANMasked+`","bic":"DEUTDEFF"}`).want(t, http.StatusOK)
	s.do("PATCH", one, `{"bankName":"Again"}`).want(t, http.StatusOK)
	if v := stored(); v["iban"] != testIBAN || v["bic"] != "DEUTDEFF" || v["bankName"] != "Again" {
		t.Errorf("PATCHes keeping the IBAN stored %v", v)
	}
	// An account without an IBAN: a bank-less PUT without one is fine, setting one not.
	var plain map[string]any
	s.do("POST", base, `{"bankName":"N","accountType":"savings","accountNumberLast4":"1234"}`).want(t, http.StatusCreated).decode(t, &plain)
	plainURL := base + "/" + plain["id"].(string)
	s.do("PUT", plainURL, `{"bankName":"M","accountType":"savings","accountNumberLast4":"1234"}`).want(t, http.StatusOK)
	denied(s.do("PATCH", plainURL, `{"iban":"`+otherIBAN+`"}`))

	// With persons/bank the caller sets and changes IBANs.
	b := admin.scoped(t, api.Scopes{Read: true, Write: true, Bank: true})
	b.do("PATCH", one, `{"iban":"`+otherIBAN+`"}`).want(t, http.StatusOK)
	if v := stored(); v["iban"] != otherIBAN {
		t.Errorf("bank scope PATCH stored %v", v)
	}
	// …but a masked value from the bank scope is an invalid IBAN, not a keep.
	b.do("PUT", one, put(`"GB****************5432"`)).fieldProblem(t, "iban")
}

// No request or response body, IBAN, name or email reaches the logs, whatever the
// outcome of the request (success, 400, 403, 404, 409, 412).
func TestLogsCarryNoPersonalData(t *testing.T) {
	admin := newServer(t)
	secrets := []string{testIBAN, otherIBAN, "Zebulon", "Quixote-Smith", "zq@example.org", "+44 20 7946 0958", "1 Secret Lane"}
	for _, scopes := range []api.Scopes{{Read: true, Write: true, Bank: true}, {Read: true, Write: true}, {Read: true}} {
		s := admin.scoped(t, scopes)
		id := uuid.NewString()
		s.do("POST", "/persons", `{"id":"`+id+`","firstName":"Zebulon","lastName":"Quixote-Smith"}`)
		s.do("POST", "/persons", `{"id":"`+id+`","firstName":"Zebulon","lastName":"Other"}`) // 409
		s.do("POST", "/persons", `{"firstName":"Zebulon","lastName":"Quixote-Smith","shoe":"zq@example.org"}`)
		s.do("GET", "/persons?q=Quixote", nil)
		s.do("GET", "/persons/"+id+"?include=all", nil)
		s.do("PATCH", "/persons/"+id, `{"lastName":"Quixote-Smith"}`, "If-Match", `"9"`) // 412
		base := "/persons/" + id + "/"
		s.do("POST", base+"contacts", `{"type":"email","value":"zq@example.org"}`)
		s.do("POST", base+"contacts", `{"type":"phone","value":"+44 20 7946 0958"}`)
		s.do("POST", base+"contacts", `{"type":"bogus","value":"zq@example.org"}`) // 400
		s.do("POST", base+"addresses", `{"type":"home","street":"1 Secret Lane","city":"C","state":"S","postalCode":"1","country":"GB"}`)
		s.do("POST", base+"bank-accounts", `{"bankName":"B","accountType":"savings","accountNumberLast4":"3000","iban":"`+testIBAN+`"}`)
		s.do("POST", base+"bank-accounts", `{"bankName":"B","accountType":"savings","accountNumberLast4":"3000","iban":"`+otherIBAN+`x"}`) // 400
		s.do("GET", base+"bank-accounts", nil)
		s.do("GET", "/persons/"+uuid.NewString()+"/contacts", nil) // 404
	}
	admin.logs.mu.Lock()
	logs := admin.logs.buf.String()
	admin.logs.mu.Unlock()
	if !strings.Contains(logs, `"msg":"request"`) {
		t.Fatal("no access log lines")
	}
	for _, s := range secrets {
		if strings.Contains(logs, s) {
			t.Errorf("the logs carry %q:\n%s", s, logs)
		}
	}
	if strings.Contains(logs, "q=Quixote") {
		t.Error("the logs carry the query string")
	}
}

// A handler that panics after writing part of an answer: without the bank scope the held
// part is dropped, never sent unmasked, and the caller gets the 500 problem.
func TestPanicWithoutBankScope(t *testing.T) {
	s := newServer(t)
	logs := &logBuffer{}
	h := api.NewHandler(api.Options{
		Store:  s.store,
		Logger: slog.New(slog.NewJSONHandler(logs, nil)),
		Extra: map[string]http.Handler{"GET /boom": http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
			_, _ = w.Write([]byte(`{"iban":"` + testIBAN + `",`))
			panic("kaboom")
		})},
	})
	s2 := &server{t: t, h: api.WithFixedScopes(h, api.Scopes{Read: true}), store: s.store, logs: logs, partial: true}
	res := s2.do("GET", "/boom", nil)
	res.problem(t, http.StatusInternalServerError)
	if bytesContains(res.body, "0532013") {
		t.Errorf("the held IBAN went out: %s", res.body)
	}
}
