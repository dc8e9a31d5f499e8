package api_test

import (
	"encoding/json"
	"net/http"
	"testing"
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
