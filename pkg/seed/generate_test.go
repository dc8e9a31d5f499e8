package seed

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/personsapi/persons/pkg/persons"
)

func TestGenerateIsDeterministic(t *testing.T) {
	a, err := json.Marshal(Generate(42, 200))
	if err != nil {
		t.Fatal(err)
	}
	b, _ := json.Marshal(Generate(42, 200))
	if !bytes.Equal(a, b) {
		t.Fatal("the same seed gave different output")
	}
	other, _ := json.Marshal(Generate(43, 200))
	if bytes.Equal(a, other) {
		t.Fatal("different seeds gave the same output")
	}
	// Person i depends only on (seed, i): a smaller count is a prefix.
	prefix, _ := json.Marshal(Generate(42, 50))
	if want, _ := json.Marshal(Generate(42, 200)[:50]); !bytes.Equal(prefix, want) {
		t.Fatal("Generate(42, 50) is not a prefix of Generate(42, 200)")
	}
}

// TestGenerateShape generates 10,000 persons: every entity passes the library's
// validation, ids are unique, and the shape is the one the generator promises (1–3
// addresses, 1–2 bank accounts, 2–5 contacts, 1–4 employments, the first of each kind
// primary or current).
func TestGenerateShape(t *testing.T) {
	const n = 10_000
	ids := map[string]bool{}
	unique := func(id string) {
		if ids[id] {
			t.Fatalf("duplicate id %s", id)
		}
		ids[id] = true
	}
	var contacts, verified, items int
	currencies := map[string]int{}
	for _, d := range Generate(DefaultSeed, n) {
		if err := validate(d); err != nil {
			t.Fatal(err)
		}
		unique(d.ID)
		age := refTime.Sub(mustTime(t, *d.DateOfBirth)).Hours() / 24 / 365.25
		if age < 18 || age >= 81 {
			t.Errorf("person %s: age %.1f outside 18–80", d.ID, age)
		}
		if d.Version != 1 {
			t.Errorf("person %s: version %d, want 1", d.ID, d.Version)
		}
		count(t, "addresses", len(d.Addresses), 1, 3)
		count(t, "bank accounts", len(d.BankAccounts), 1, 2)
		count(t, "contacts", len(d.Contacts), 2, 5)
		count(t, "employments", len(d.Employments), 1, 4)
		for j, a := range d.Addresses {
			unique(a.ID)
			if a.IsPrimary != (j == 0) || a.PersonID != d.ID {
				t.Errorf("address %d of %s: isPrimary=%v personId=%s", j, d.ID, a.IsPrimary, a.PersonID)
			}
		}
		for j, b := range d.BankAccounts {
			unique(b.ID)
			if b.IsPrimary != (j == 0) || b.IBAN == nil || b.BIC == nil {
				t.Errorf("bank account %d of %s: isPrimary=%v iban=%v bic=%v", j, d.ID, b.IsPrimary, b.IBAN, b.BIC)
			}
		}
		for j, c := range d.Contacts {
			unique(c.ID)
			if c.IsPrimary != (j == 0) || (j == 0 && c.Type != "email") {
				t.Errorf("contact %d of %s: isPrimary=%v type=%s", j, d.ID, c.IsPrimary, c.Type)
			}
			contacts++
			if c.IsVerified {
				verified++
			}
		}
		for j, e := range d.Employments {
			unique(e.ID)
			start := mustTime(t, e.StartDate)
			switch {
			case j == 0 && (!e.IsCurrent || e.EndDate != nil || start.Before(refTime.AddDate(-5, 0, 0))):
				t.Errorf("employment 0 of %s is not a current job started within 5 years: %+v", d.ID, e)
			case j > 0 && (e.IsCurrent || e.EndDate == nil || start.Before(refTime.AddDate(-15, 0, 0)) ||
				!mustTime(t, *e.EndDate).After(start)):
				t.Errorf("employment %d of %s is not a past job within 15 years: %+v", j, d.ID, e)
			}
			if e.Salary == nil || *e.Salary < 30_000 || *e.Salary > 250_000 {
				t.Errorf("employment %d of %s: salary %v outside 30,000–250,000", j, d.ID, e.Salary)
			}
			currencies[e.Currency]++
		}
		is, err := persons.Items(d)
		if err != nil {
			t.Fatal(err)
		}
		items += len(is)
	}
	if share := float64(verified) / float64(contacts); share < 0.67 || share > 0.73 {
		t.Errorf("%.1f%% of contacts verified, want about 70%%", 100*share)
	}
	if len(currencies) != 3 || currencies["USD"] == 0 || currencies["EUR"] == 0 || currencies["GBP"] == 0 {
		t.Errorf("currencies %v, want USD, EUR and GBP", currencies)
	}
	// With the profile, those counts average about 10.5 items per person.
	if per := float64(items) / n; per < 10 || per > 11 {
		t.Errorf("%.2f items per person, want about 10.5", per)
	}
}

func count(t *testing.T, what string, n, lo, hi int) {
	t.Helper()
	if n < lo || n > hi {
		t.Errorf("%d %s, want %d–%d", n, what, lo, hi)
	}
}

func mustTime(t *testing.T, s string) time.Time {
	t.Helper()
	v, err := time.Parse(time.RFC3339, s)
	if err != nil {
		t.Fatal(err)
	}
	return v
}

// validate checks d and all its related items with the library's rules.
func validate(d persons.PersonDetails) error {
	var errs []string
	add := func(what string, err error) {
		if err != nil {
			errs = append(errs, fmt.Sprintf("%s: %v", what, err))
		}
	}
	add("person", d.Person.Validate())
	for i := range d.Addresses {
		add(fmt.Sprint("address ", i), d.Addresses[i].Validate())
	}
	for i := range d.BankAccounts {
		add(fmt.Sprint("bank account ", i), d.BankAccounts[i].Validate())
	}
	for i := range d.Contacts {
		add(fmt.Sprint("contact ", i), d.Contacts[i].Validate())
	}
	for i := range d.Employments {
		add(fmt.Sprint("employment ", i), d.Employments[i].Validate())
	}
	if errs != nil {
		b, _ := json.Marshal(d)
		return fmt.Errorf("person %s invalid: %s\n%s", d.ID, strings.Join(errs, "; "), b)
	}
	return nil
}

func TestItemsPointToPrimaries(t *testing.T) {
	d := Person(7, 0)
	items, err := persons.Items(d)
	if err != nil {
		t.Fatal(err)
	}
	want := 1 + len(d.Addresses) + len(d.BankAccounts) + len(d.Contacts) + len(d.Employments)
	if len(items) != want {
		t.Fatalf("%d items, want %d", len(items), want)
	}
	profile := items[0]
	for k, id := range map[*persons.Kind]string{
		persons.AddressKind:     d.Addresses[0].ID,
		persons.BankAccountKind: d.BankAccounts[0].ID,
		persons.ContactKind:     d.Contacts[0].ID,
	} {
		if got := attrS(profile[k.PrimaryAttr]); got != id {
			t.Errorf("profile %s = %q, want %q", k.PrimaryAttr, got, id)
		}
	}
	if got := attrS(profile[persons.AttrEntity]); got != "Person" {
		t.Errorf("first item sk = %q, want the profile", got)
	}
}
