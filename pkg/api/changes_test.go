package api_test

import (
	"encoding/json"
	"net/http"
	"sync/atomic"
	"testing"
	"time"

	"github.com/personsapi/persons/pkg/api"
	"github.com/personsapi/persons/pkg/changes"
	"github.com/personsapi/persons/pkg/ddbtest"
	"github.com/personsapi/persons/pkg/persons"
)

// TestChangesRoute: GET /changes without a cursor gives a cursor for now; a cursor
// beyond the retention is 410 as a problem; malformed parameters are 400. (pkg/changes
// tests the feed's content over the real stream.)
func TestChangesRoute(t *testing.T) {
	db, table := ddbtest.NewTable(t)
	var offset atomic.Int64
	store := persons.New(db, table, persons.WithClock(func() time.Time { return time.Now().Add(time.Duration(offset.Load())) }))
	s := newServerFor(t, store, api.FunctionPersons)

	r := s.do(http.MethodGet, "/changes", nil)
	var page changes.Page
	if r.StatusCode != http.StatusOK || json.Unmarshal(r.body, &page) != nil || page.NextCursor == "" || page.Items == nil {
		t.Fatalf("GET /changes = %d %s, want 200 with items [] and a cursor", r.StatusCode, r.body)
	}
	r = s.do(http.MethodGet, "/changes?limit=10&cursor="+page.NextCursor, nil)
	if r.StatusCode != http.StatusOK {
		t.Fatalf("GET with the cursor = %d %s", r.StatusCode, r.body)
	}
	offset.Store(int64(changes.DefaultRetention + time.Hour))
	r = s.do(http.MethodGet, "/changes?cursor="+page.NextCursor, nil)
	if r.StatusCode != http.StatusGone || r.Header.Get("Content-Type") != api.ProblemContentType {
		t.Fatalf("GET with an expired cursor = %d %s %s, want 410 problem", r.StatusCode, r.Header.Get("Content-Type"), r.body)
	}
	for _, q := range []string{"cursor=nope", "limit=0", "limit=1001", "personId=x", "since=1"} {
		if r := s.do(http.MethodGet, "/changes?"+q, nil); r.StatusCode != http.StatusBadRequest {
			t.Errorf("GET /changes?%s = %d %s, want 400", q, r.StatusCode, r.body)
		}
	}
}
