package api_test

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/personsapi/persons/pkg/api"
	"github.com/personsapi/persons/pkg/ddbstats"
	"github.com/personsapi/persons/pkg/ddbtest"
	"github.com/personsapi/persons/pkg/persons"
)

// BenchmarkGet measures a read through the whole HTTP stack (middleware, router,
// store, DynamoDB Local) and reports DynamoDB requests per HTTP request.
//
//	go test ./pkg/api -run '^$' -bench Get -benchmem
func BenchmarkGet(b *testing.B) {
	db, table := ddbtest.NewTable(b, ddbstats.Counting)
	store := persons.New(db, table)
	h := api.WithFixedScopes(api.NewHandler(api.Options{Store: store, Logger: slog.New(slog.NewJSONHandler(io.Discard, nil))}), allScopes)
	ctx := context.Background()
	p, err := store.CreatePerson(ctx, persons.Person{FirstName: "Ada", LastName: "Lovelace"})
	if err != nil {
		b.Fatal(err)
	}
	for range 3 {
		if _, err := store.Contacts().Create(ctx, p.ID, persons.ContactInfo{Type: "email", Value: "ada@example.com"}); err != nil {
			b.Fatal(err)
		}
	}
	for _, bc := range []struct{ name, target string }{
		{"person", "/persons/" + p.ID},
		{"include=all", "/persons/" + p.ID + "?include=all"},
		{"list", "/persons?limit=50"},
	} {
		b.Run(bc.name, func(b *testing.B) {
			cctx, calls := ddbstats.WithCounter(ctx)
			for b.Loop() {
				rec := httptest.NewRecorder()
				h.ServeHTTP(rec, httptest.NewRequest("GET", bc.target, nil).WithContext(cctx))
				if rec.Code != http.StatusOK {
					b.Fatalf("%s: %d %s", bc.target, rec.Code, rec.Body)
				}
			}
			b.ReportMetric(float64(calls.Load())/float64(b.N), "ddb-requests/op")
		})
	}
}
