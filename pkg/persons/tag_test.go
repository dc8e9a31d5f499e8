package persons_test

import (
	"testing"

	"github.com/personsapi/persons/pkg/persons"
)

// Tag changes with any item's version, with an item more or less, and only then: not
// with the order of the items, nor with fields of an item whose version stays.
func TestPersonDetailsTag(t *testing.T) {
	base := func() persons.PersonDetails {
		d := persons.PersonDetails{Person: newPerson("Ann", "Smith")}
		d.Version = 3
		for i, id := range []string{"a1", "a2"} {
			a := newAddress(i == 0)
			a.ID, a.Version = id, 1
			d.Addresses = append(d.Addresses, a)
		}
		c := newContact(true)
		c.ID, c.Version = "c1", 2
		d.Contacts = append(d.Contacts, c)
		return d
	}
	tag := base()
	want := tag.Tag()
	if len(want) != 22 {
		t.Fatalf("Tag %q: want 22 characters", want)
	}
	tests := []struct {
		name    string
		change  func(d *persons.PersonDetails)
		changes bool
	}{
		{"person version", func(d *persons.PersonDetails) { d.Version++ }, true},
		{"an item's version", func(d *persons.PersonDetails) { d.Addresses[1].Version++ }, true},
		{"an item more", func(d *persons.PersonDetails) {
			e := newEmployment()
			e.ID, e.Version = "e1", 1
			d.Employments = append(d.Employments, e)
		}, true},
		{"an item less", func(d *persons.PersonDetails) { d.Addresses = d.Addresses[:1] }, true},
		{"the same id under another kind", func(d *persons.PersonDetails) {
			b := newBankAccount(false)
			b.ID, b.Version = "c1", 2
			d.BankAccounts, d.Contacts = []persons.BankAccount{b}, nil
		}, true},
		{"the items' order", func(d *persons.PersonDetails) { d.Addresses[0], d.Addresses[1] = d.Addresses[1], d.Addresses[0] }, false},
		{"nothing", func(*persons.PersonDetails) {}, false},
	}
	for _, tt := range tests {
		d := base()
		tt.change(&d)
		if got := d.Tag(); (got != want) != tt.changes {
			t.Errorf("%s: Tag %s (was %s), want changed = %v", tt.name, got, want, tt.changes)
		}
	}
}
