package persons_test

import (
	"context"
	"encoding/json"
	"testing"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/personsapi/persons/pkg/ddbtest"
	"github.com/personsapi/persons/pkg/persons"
)

// An optional field a write clears must be an explicit null in the JSON of the result
// (clients merge refetched items over what they hold: an absent member would keep the old
// value there) and an absent attribute in the table (no NULL attributes).
func TestClearedOptionalsAreNullInJSONAndAbsentInTheTable(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	p := f.createPerson(t, "Ann", "Smith")
	bank := mustCreate(t, f.store.BankAccounts(), p.ID, newBankAccount(false))
	emp := newEmployment()
	emp.Department, emp.EndDate, emp.IsCurrent = ptr("R&D"), ptr("2024-01-01T00:00:00Z"), false
	job := mustCreate(t, f.store.Employments(), p.ID, emp)

	tests := []struct {
		name   string
		sk     string
		fields []string
		clear  func() (any, error)
	}{
		{"person", persons.ProfileSK, []string{"dateOfBirth", "gender"}, func() (any, error) {
			return f.store.UpdatePerson(ctx, p.ID, merge[persons.Person](`{"dateOfBirth":null,"gender":null}`), 0)
		}},
		{"bank account", "BANK#" + bank.ID, []string{"iban", "bic"}, func() (any, error) {
			v, err := f.store.BankAccounts().Update(ctx, p.ID, bank.ID, merge[persons.BankAccount](`{"iban":null,"bic":null}`), 0)
			return v.Item, err
		}},
		{"employment", "EMPLOYMENT#" + job.ID, []string{"department", "endDate", "salary"}, func() (any, error) {
			v, err := f.store.Employments().Update(ctx, p.ID, job.ID,
				merge[persons.Employment](`{"department":null,"endDate":null,"salary":null,"isCurrent":true}`), 0)
			return v.Item, err
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			stored := ddbtest.Items(t, f.db, f.table)[persons.PersonPK(p.ID)+" "+tt.sk]
			for _, field := range tt.fields {
				if stored[field] == nil {
					t.Fatalf("set up: %s not stored before the clear: %v", field, stored)
				}
			}
			v, err := tt.clear()
			if err != nil {
				t.Fatal(err)
			}
			var members map[string]json.RawMessage
			b, _ := json.Marshal(v)
			if err := json.Unmarshal(b, &members); err != nil {
				t.Fatal(err)
			}
			stored = ddbtest.Items(t, f.db, f.table)[persons.PersonPK(p.ID)+" "+tt.sk]
			for _, field := range tt.fields {
				if got, ok := members[field]; !ok || string(got) != "null" {
					t.Errorf("JSON %s: %s is %q, want an explicit null", b, field, got)
				}
				if av, ok := stored[field]; ok {
					t.Errorf("table: cleared %s is stored as %#v, want no attribute", field, av)
				}
			}
			for name, av := range stored {
				if _, null := av.(*types.AttributeValueMemberNULL); null {
					t.Errorf("table: NULL attribute %s", name)
				}
			}
		})
	}
}

// A create without the optional fields stores none of them, and its JSON names them all.
func TestUnsetOptionalsOnCreate(t *testing.T) {
	f := newFixture(t)
	p, err := f.store.CreatePerson(context.Background(), persons.Person{FirstName: "Ann", LastName: "Smith"})
	if err != nil {
		t.Fatal(err)
	}
	b, _ := json.Marshal(p)
	var members map[string]json.RawMessage
	if err := json.Unmarshal(b, &members); err != nil {
		t.Fatal(err)
	}
	stored := ddbtest.Items(t, f.db, f.table)[persons.PersonPK(p.ID)+" "+persons.ProfileSK]
	for _, field := range []string{"dateOfBirth", "gender"} {
		if string(members[field]) != "null" {
			t.Errorf("JSON %s: %s is not null", b, field)
		}
		if _, ok := stored[field]; ok {
			t.Errorf("table: unset %s is stored", field)
		}
	}
}
