package main

import (
	"encoding/json"
	"net/http"
	"path/filepath"
	"strings"
	"testing"

	"github.com/personsapi/persons/internal/cmdtest"
	"github.com/personsapi/persons/pkg/persons"
)

// seededIBANs returns the IBANs of the first persons' bank accounts, read through
// include=all.
func seededIBANs(t *testing.T, url string) []string {
	var page struct{ Items []struct{ ID string } }
	_, body := get(t, url+"/persons?limit=5")
	if err := json.Unmarshal(body, &page); err != nil {
		t.Fatalf("list: %s", body)
	}
	var out []string
	for _, p := range page.Items {
		var d persons.PersonDetails
		if _, body := get(t, url+"/persons/"+p.ID+"?include=all"); json.Unmarshal(body, &d) != nil {
			t.Fatalf("include=all: %s", body)
		}
		for _, a := range d.BankAccounts {
			if a.IBAN != nil {
				out = append(out, *a.IBAN)
			}
		}
	}
	if len(out) == 0 {
		t.Fatal("no seeded IBAN to look at")
	}
	return out
}

func post(t *testing.T, url string) int {
	res, err := http.Post(url+"/persons", "application/json", strings.NewReader(`{"firstName":"Ada","lastName":"Lovelace"}`))
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	return res.StatusCode
}

// make run's default scopes are read and write: IBANs come masked and writes work.
// -scopes changes that: read and bank shows them in full, and writes are a 403.
func TestServeScopes(t *testing.T) {
	cmdtest.NeedEngine(t)
	bin := cmdtest.Build(t)
	data := filepath.Join(t.TempDir(), "ddb-data")

	r := start(t, bin, data, "-seed-count", "5")
	for _, v := range seededIBANs(t, r.url) {
		if strings.Count(v, "*") != len(v)-6 {
			t.Errorf("default scopes: IBAN %q is not masked", v)
		}
	}
	if code := post(t, r.url); code != http.StatusCreated {
		t.Errorf("default scopes: POST %d", code)
	}
	if !strings.Contains(r.out.String(), `"persons/read persons/write"`) {
		t.Errorf("the banner does not say the scopes:\n%s", r.out)
	}
	r.interrupt(t)

	r = start(t, bin, data, "-scopes", "persons/read persons/bank")
	for _, v := range seededIBANs(t, r.url) {
		if strings.Contains(v, "*") {
			t.Errorf("bank scope: IBAN %q is masked", v)
		}
	}
	if code := post(t, r.url); code != http.StatusForbidden {
		t.Errorf("read-only scopes: POST %d, want 403", code)
	}
	r.interrupt(t)
}
