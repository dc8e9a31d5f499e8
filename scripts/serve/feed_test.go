package main

import (
	"encoding/json"
	"net/http"
	"net/url"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/personsapi/persons/internal/cmdtest"
	"github.com/personsapi/persons/pkg/changes"
)

// `make run` runs the change feed's processor over DynamoDB Local's stream: the seed's
// writes and an API write show up in GET /changes.
func TestServeFeed(t *testing.T) {
	cmdtest.NeedEngine(t)
	bin := cmdtest.Build(t)
	before := time.Now().Add(-time.Minute)
	r := start(t, bin, filepath.Join(t.TempDir(), "ddb-data"), "-seed-count", "3")
	defer r.interrupt(t)

	_, body := get(t, r.url+"/changes")
	var now changes.Page
	if err := json.Unmarshal(body, &now); err != nil || now.NextCursor == "" {
		t.Fatalf("GET /changes: %s", body)
	}
	res, err := http.Post(r.url+"/persons", "application/json", strings.NewReader(`{"firstName":"Ada","lastName":"Lovelace"}`))
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	id := strings.TrimPrefix(res.Header.Get("Location"), "/persons/")

	// Follow the feed from before the seed until Ada's create is in it (the safety lag
	// is 5 s).
	cursor := changes.EncodeCursorAt(before)
	seen := map[string]int{}
	deadline := time.Now().Add(30 * time.Second)
	for seen["ada"] == 0 && time.Now().Before(deadline) {
		code, body := get(t, r.url+"/changes?limit=50&cursor="+url.QueryEscape(cursor))
		var page changes.Page
		if code != http.StatusOK || json.Unmarshal(body, &page) != nil {
			t.Fatalf("GET /changes: %d %s", code, body)
		}
		for _, e := range page.Items {
			seen[e.Kind]++
			if e.Kind == "Person" && e.ID == id && e.Op == changes.OpUpsert {
				seen["ada"]++
			}
		}
		cursor = page.NextCursor
		if len(page.Items) == 0 {
			time.Sleep(500 * time.Millisecond)
		}
	}
	if seen["ada"] == 0 {
		t.Fatalf("the API's create is not in the feed after 30 s; saw %v; output:\n%s", seen, r.out)
	}
	if seen["Person"] < 4 || seen["Address"] < 3 || seen["ContactInfo"] < 6 {
		t.Errorf("feed entries by kind %v: want the 3 seeded persons' items and Ada", seen)
	}
}
