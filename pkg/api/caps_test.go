package api_test

import (
	"net/http"
	"strings"
	"testing"

	"github.com/personsapi/persons/pkg/persons"
)

// A create beyond a person's cap of items of one kind is a 409 that names the cap.
func TestCreateBeyondTheCapIs409(t *testing.T) {
	s := newServer(t)
	var p persons.Person
	s.do("POST", "/persons", `{"firstName":"Ann","lastName":"Smith"}`).want(t, http.StatusCreated).decode(t, &p)
	for range persons.MaxRelatedPerKind {
		s.do("POST", "/persons/"+p.ID+"/contacts", `{"type":"phone","value":"+44 20 7946 0000"}`).want(t, http.StatusCreated)
	}
	prob := s.do("POST", "/persons/"+p.ID+"/contacts", `{"type":"phone","value":"+44 20 7946 0001"}`).problem(t, http.StatusConflict)
	if !strings.Contains(prob.Detail, "at most 100") {
		t.Errorf("detail %q does not name the cap", prob.Detail)
	}
}
