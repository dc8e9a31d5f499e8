package api_test

import (
	"net/http"
	"testing"

	"github.com/google/uuid"
)

// A create repeated with the same client id and content (a retry after a lost answer)
// gets 201 with the stored item, the same body, ETag and Location as the first, whatever
// server-owned fields it sends (version; createdAt and updatedAt of a person); other content with that id is a 409. For persons and
// every related kind.
func TestCreateRetries(t *testing.T) {
	s := newServer(t)
	personID := uuid.NewString()
	type createCase struct {
		path   string
		body   map[string]any
		change map[string]any // other content
	}
	cases := []createCase{{"/persons", personBody(personID), map[string]any{"firstName": "Augusta"}}}
	for _, kc := range kindCases {
		b := clone(kc.body)
		b["id"] = uuid.NewString()
		cases = append(cases, createCase{"/persons/" + personID + "/" + kc.route, b, kc.patch})
	}
	for _, c := range cases {
		first := s.do("POST", c.path, c.body).want(t, http.StatusCreated)
		retry := clone(c.body)
		retry["version"] = 7 // the server's: ignored
		if c.path == "/persons" {
			retry["createdAt"], retry["updatedAt"] = "2001-01-01T00:00:00Z", "2001-01-01T00:00:00Z"
		}
		for _, body := range []map[string]any{c.body, retry} {
			again := s.do("POST", c.path, body).want(t, http.StatusCreated)
			if string(again.body) != string(first.body) {
				t.Errorf("POST %s again: %s, want the first answer %s", c.path, again.body, first.body)
			}
			for _, h := range []string{"ETag", "Location", "Content-Type"} {
				if again.Header.Get(h) != first.Header.Get(h) {
					t.Errorf("POST %s again: %s %q, first %q", c.path, h, again.Header.Get(h), first.Header.Get(h))
				}
			}
		}
		other := clone(c.body)
		for k, v := range c.change {
			other[k] = v
		}
		s.do("POST", c.path, other).problem(t, http.StatusConflict)
	}
	// Each item exists once.
	var d struct {
		Addresses, BankAccounts, Contacts, Employments []map[string]any
	}
	s.do("GET", "/persons/"+personID+"?include=all", nil).want(t, http.StatusOK).decode(t, &d)
	if len(d.Addresses) != 1 || len(d.BankAccounts) != 1 || len(d.Contacts) != 1 || len(d.Employments) != 1 {
		t.Errorf("items after the retries: %+v", d)
	}
}
