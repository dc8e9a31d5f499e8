package persons_test

import (
	"context"
	"errors"
	"fmt"
	"os"

	"github.com/google/uuid"

	"github.com/personsapi/persons/pkg/ddblocal"
	"github.com/personsapi/persons/pkg/input"
	"github.com/personsapi/persons/pkg/persons"
)

// exampleStore is a store on a new table of the test engine (TestMain starts it).
func exampleStore() *persons.Store {
	db := ddblocal.Client(os.Getenv(ddblocal.EndpointEnv))
	table := "example-" + uuid.NewString()
	if _, err := persons.CreateTable(context.Background(), db, table); err != nil {
		panic(err)
	}
	return persons.New(db, table)
}

// A person, a primary address, and the whole person read back with one request.
func Example() {
	ctx := context.Background()
	s := exampleStore()
	p, err := s.CreatePerson(ctx, persons.Person{FirstName: "Ada", LastName: "Lovelace"})
	if err != nil {
		panic(err)
	}
	_, err = s.Addresses().Create(ctx, p.ID, persons.Address{Type: "home", Street: "12 St James's Square",
		City: "London", State: "Greater London", PostalCode: "SW1Y 4JH", Country: "United Kingdom",
		Primary: persons.Primary{IsPrimary: true}})
	if err != nil {
		panic(err)
	}
	d, err := s.GetPersonDetails(ctx, p.ID)
	if err != nil {
		panic(err)
	}
	fmt.Println(d.FirstName, d.LastName, "version", d.Version)
	fmt.Println(len(d.Addresses), "address, primary:", d.Addresses[0].IsPrimary)
	// Output:
	// Ada Lovelace version 1
	// 1 address, primary: true
}

// Updates take a mutation of the stored value; the API applies a JSON merge patch there.
// An expected version that is not the stored one is ErrVersionMismatch.
func ExampleStore_UpdatePerson() {
	ctx := context.Background()
	s := exampleStore()
	p, err := s.CreatePerson(ctx, persons.Person{FirstName: "Ada", LastName: "Byron"})
	if err != nil {
		panic(err)
	}
	p, err = s.UpdatePerson(ctx, p.ID, func(p *persons.Person) error {
		return input.MergePatch([]byte(`{"lastName":"Lovelace"}`), p)
	}, p.Version)
	if err != nil {
		panic(err)
	}
	fmt.Println(p.LastName, "version", p.Version)

	_, err = s.UpdatePerson(ctx, p.ID, func(p *persons.Person) error { p.FirstName = "Augusta"; return nil }, 1)
	fmt.Println(errors.Is(err, persons.ErrVersionMismatch))
	// Output:
	// Lovelace version 2
	// true
}

// Making an item primary demotes the previous primary in the same transaction; the
// result reports the demoted item's new state in Changed.
func ExampleRelated_Update() {
	ctx := context.Background()
	s := exampleStore()
	p, err := s.CreatePerson(ctx, persons.Person{FirstName: "Ada", LastName: "Lovelace"})
	if err != nil {
		panic(err)
	}
	contacts := s.Contacts()
	created, err := contacts.Create(ctx, p.ID, persons.ContactInfo{Type: "email", Value: "ada@example.com", Primary: persons.Primary{IsPrimary: true}})
	if err != nil {
		panic(err)
	}
	first := created.Item
	created, err = contacts.Create(ctx, p.ID, persons.ContactInfo{Type: "phone", Value: "+44 20 7946 0000"})
	if err != nil {
		panic(err)
	}
	w, err := contacts.Update(ctx, p.ID, created.Item.ID, func(c *persons.ContactInfo) error {
		c.IsPrimary = true
		return nil
	}, 0)
	if err != nil {
		panic(err)
	}
	demoted := w.Changed[0]
	fmt.Println("changed:", demoted.ID == first.ID, "primary:", demoted.IsPrimary, "version", demoted.Version)
	first, err = contacts.Get(ctx, p.ID, first.ID)
	if err != nil {
		panic(err)
	}
	fmt.Println("stored: primary:", first.IsPrimary, "version", first.Version)
	// Output:
	// changed: true primary: false version 2
	// stored: primary: false version 2
}
