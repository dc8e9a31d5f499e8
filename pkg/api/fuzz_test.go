package api_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/personsapi/persons/pkg/api"
	"github.com/personsapi/persons/pkg/ddbstats"
	"github.com/personsapi/persons/pkg/ddbtest"
	"github.com/personsapi/persons/pkg/persons"
)

var fuzzMethods = []string{"GET", "POST", "PUT", "PATCH", "DELETE", "OPTIONS", "HEAD"}

// FuzzAPI sends arbitrary methods, paths, query strings, bodies and If-Match values to
// the whole API on one real table: whatever comes in, the answer is never a 5xx and the
// handler never panics (the test would see either). In the path, {personId} and {id}
// stand for a person and an address that exist at the start.
//
//	go test ./pkg/api -run '^$' -fuzz FuzzAPI -fuzztime 60s
func FuzzAPI(f *testing.F) {
	db, table := ddbtest.NewTable(f, ddbstats.Counting)
	store := persons.New(db, table)
	h := api.WithFixedScopes(api.NewHandler(api.Options{Store: store, Logger: slog.New(slog.NewJSONHandler(io.Discard, nil))}), allScopes)
	ctx := context.Background()
	p, err := store.CreatePerson(ctx, persons.Person{FirstName: "Ada", LastName: "Lovelace"})
	if err != nil {
		f.Fatal(err)
	}
	var a persons.Address
	if err := json.Unmarshal([]byte(`{"type":"home","street":"s","city":"c","state":"st","postalCode":"1","country":"US","isPrimary":true}`), &a); err != nil {
		f.Fatal(err)
	}
	created, err := store.Addresses().Create(ctx, p.ID, a)
	if err != nil {
		f.Fatal(err)
	}
	a = created.Item

	for _, rt := range api.Routes() {
		m := uint8(0)
		for i, x := range fuzzMethods {
			if x == rt.Method {
				m = uint8(i)
			}
		}
		f.Add(m, rt.Path, "", []byte(`{}`), "")
	}
	for _, kc := range kindCases {
		b, _ := json.Marshal(kc.body)
		f.Add(uint8(1), "/persons/{personId}/"+kc.route, "", b, "")
		f.Add(uint8(2), "/persons/{personId}/"+kc.route+"/{id}", "", b, `"1"`)
		b, _ = json.Marshal(kc.bad)
		f.Add(uint8(3), "/persons/{personId}/"+kc.route+"/{id}", "", b, `W/"1"`)
	}
	f.Add(uint8(0), "/persons", "limit=1&cursor=eyJwayI6IlBFUlNPTiMxIn0&q=lo", []byte(nil), "")
	f.Add(uint8(0), "/persons", "q=%ff%fe&limit=-0", []byte(nil), "")
	f.Add(uint8(0), "/persons", "q="+strings.Repeat("%F0%9F%98%80", 100), []byte(nil), "")
	f.Add(uint8(0), "/persons/{personId}", "include=all&include=none", []byte(nil), "")
	f.Add(uint8(3), "/persons/{personId}", "", []byte(`{"lastName":null,"firstName":1e999}`), "*")
	f.Add(uint8(3), "/persons/{personId}", "", []byte(`{"dateOfBirth":"1815-13-45T00:00:00Z","gender":"x"}`), `"1"`)
	f.Add(uint8(1), "/persons", "", []byte(`{"id":"`+p.ID+`","firstName":"A","lastName":"B","version":-1}`), "")
	f.Add(uint8(1), "/persons", "", []byte(`{"firstName":"`+strings.Repeat("é", 100)+`","lastName":"\u0000"}`), "")
	f.Add(uint8(4), "/persons/{personId}/addresses/{id}", "", []byte(nil), `"99999999999999999999"`)
	f.Add(uint8(2), "/persons/{personId}/employments/{id}", "", []byte(`{"companyName":"A","position":"B","startDate":"2020-01-01T00:00:00Z","salary":-1,"currency":"usd"}`), "")
	f.Add(uint8(0), "//persons/../persons/./{personId}", "", []byte(nil), "")

	f.Fuzz(func(t *testing.T, method uint8, path, query string, body []byte, ifMatch string) {
		path = strings.NewReplacer("{personId}", p.ID, "{id}", a.ID).Replace(path)
		if !strings.HasPrefix(path, "/") {
			path = "/" + path
		}
		req := httptest.NewRequest("GET", "/", bytes.NewReader(body))
		req.Method = fuzzMethods[int(method)%len(fuzzMethods)]
		req.URL.Path, req.URL.RawQuery = path, query
		req.RequestURI = ""
		req.Header.Set("Content-Type", "application/json")
		if ifMatch != "" {
			req.Header.Set("If-Match", ifMatch)
		}
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		if rec.Code >= 500 {
			t.Fatalf("%s %s?%s body %q If-Match %q: %d %s", req.Method, path, query, body, ifMatch, rec.Code, rec.Body)
		}
		if rec.Code >= 400 && rec.Header().Get("Content-Type") != api.ProblemContentType {
			t.Fatalf("%s %s: %d without a problem body", req.Method, path, rec.Code)
		}
		if rec.Code == http.StatusOK && req.Method != "HEAD" && !json.Valid(rec.Body.Bytes()) {
			t.Fatalf("%s %s: 200 with invalid JSON %q", req.Method, path, rec.Body)
		}
	})
}
