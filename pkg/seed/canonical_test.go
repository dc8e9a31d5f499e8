package seed

import (
	"encoding/json"
	"testing"
)

// The seed writes around the store (persons.Items), so what it generates must already be
// in the form the store writes: cleaning it changes nothing.
func TestGenerateIsInStoredForm(t *testing.T) {
	for _, d := range Generate(42, 200) {
		before, _ := json.Marshal(d)
		check := func(what string, err error) {
			if err != nil {
				t.Fatalf("person %s: %s: %v", d.ID, what, err)
			}
		}
		check("person", d.Person.Clean())
		for i := range d.Addresses {
			check("address", d.Addresses[i].Clean())
		}
		for i := range d.BankAccounts {
			check("bank account", d.BankAccounts[i].Clean())
		}
		for i := range d.Contacts {
			check("contact", d.Contacts[i].Clean())
		}
		for i := range d.Employments {
			check("employment", d.Employments[i].Clean())
		}
		if after, _ := json.Marshal(d); string(after) != string(before) {
			t.Fatalf("not in stored form:\n%s\ncleaned:\n%s", before, after)
		}
	}
}
