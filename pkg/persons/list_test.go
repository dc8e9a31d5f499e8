package persons_test

import (
	"bytes"
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/google/uuid"
	"golang.org/x/text/cases"
	"golang.org/x/text/unicode/norm"

	"github.com/personsapi/persons/pkg/persons"
)

// listAll follows a persons list to its end and returns the persons in list order.
func listAll(t *testing.T, s *persons.Store, o persons.ListPersonsOptions) []persons.Person {
	t.Helper()
	var out []persons.Person
	for pages := 0; ; pages++ {
		if pages > 1000 {
			t.Fatal("the list does not end")
		}
		page, err := s.ListPersons(context.Background(), o)
		if err != nil {
			t.Fatalf("ListPersons(%+v): %v", o, err)
		}
		out = append(out, page.Items...)
		if page.NextCursor == "" {
			return out
		}
		o.Cursor, o.After = page.NextCursor, nil
	}
}

// documentedKey is the sort key of a person as the documentation tells a client to
// compute it, written independently of the store: trim, NFC, full case folding, joined
// by U+001F, compared by UTF-8 bytes.
func documentedKey(p persons.Person) []byte {
	fold := func(s string) string { return cases.Fold().String(norm.NFC.String(strings.TrimSpace(s))) }
	return []byte(fold(p.LastName) + "\x1f" + fold(p.FirstName) + "\x1f" + p.ID)
}

func names(ps []persons.Person) []string {
	out := make([]string, len(ps))
	for i, p := range ps {
		out[i] = p.LastName + "," + p.FirstName
	}
	return out
}

// The persons list is in the documented order, ascending and descending (its exact
// reverse), through pages, for names that differ only in case, accents, the form of an
// accent (composed or not) and full case folding (ß = ss).
func TestListPersonsOrder(t *testing.T) {
	f := newFixture(t)
	people := [][2]string{
		{"Müller", "Anna"}, {"MÜLLER", "anna"}, {"Mu\u0308ller", "Änne"}, {"muller", "Anna"}, {"Mueller", "Anna"},
		{"Strauß", "Jo"}, {"STRAUSS", "jo"}, {"Strauss", "Ïda"}, {"strauss", "Ida"},
		{"Ödegaard", "Ole"}, {"Odegaard", "ole"}, {"ODEGAARD", "Öle"}, {"De", "Zed"}, {"De Vries", "Amy"},
		{"Ångström", "A"}, {"ANGSTROM", "a"}, {"Σίσυφος", "Α"}, {"ΣΊΣΥΦΟΣ", "α"},
	}
	for _, n := range people {
		for range 2 { // equal names: the id breaks the tie
			f.createPerson(t, n[1], n[0])
		}
	}
	asc := listAll(t, f.store, persons.ListPersonsOptions{Limit: 5})
	desc := listAll(t, f.store, persons.ListPersonsOptions{Limit: 7, Descending: true})
	if len(asc) != 2*len(people) {
		t.Fatalf("listed %d persons, want %d", len(asc), 2*len(people))
	}
	want := slices.Clone(asc)
	slices.SortFunc(want, func(a, b persons.Person) int { return bytes.Compare(documentedKey(a), documentedKey(b)) })
	if !slices.EqualFunc(asc, want, func(a, b persons.Person) bool { return a.ID == b.ID }) {
		t.Errorf("ascending order is not the documented one:\ngot  %v\nwant %v", names(asc), names(want))
	}
	slices.Reverse(desc)
	if !slices.EqualFunc(asc, desc, func(a, b persons.Person) bool { return a.ID == b.ID }) {
		t.Errorf("descending is not the exact reverse of ascending:\nasc          %v\nreverse desc %v", names(asc), names(desc))
	}
}

// The selections of the persons list: last name exact or prefix, gender, date-of-birth
// range, in both orders, through pages; filtered pages are full pages.
func TestListPersonsSelections(t *testing.T) {
	f := newFixture(t)
	var all []persons.Person
	for i := range 60 {
		p := persons.Person{FirstName: fmt.Sprintf("P%02d", i), LastName: []string{"Smith", "SMITH", "Smithers", "Jones", "smith"}[i%5]}
		if i%3 != 0 {
			p.DateOfBirth = ptr(fmt.Sprintf("19%02d-06-15", 40+i))
		}
		if i%4 != 0 {
			p.Gender = ptr(persons.Genders[i%len(persons.Genders)])
		}
		created, err := f.store.CreatePerson(context.Background(), p)
		if err != nil {
			t.Fatal(err)
		}
		all = append(all, created)
	}
	keep := func(pred func(p persons.Person) bool) []persons.Person {
		var out []persons.Person
		for _, p := range all {
			if pred(p) {
				out = append(out, p)
			}
		}
		slices.SortFunc(out, func(a, b persons.Person) int { return bytes.Compare(documentedKey(a), documentedKey(b)) })
		return out
	}
	born := func(p persons.Person) string {
		if p.DateOfBirth == nil {
			return ""
		}
		return *p.DateOfBirth
	}
	gender := func(p persons.Person) string {
		if p.Gender == nil {
			return ""
		}
		return *p.Gender
	}
	tests := []struct {
		name string
		o    persons.ListPersonsOptions
		want []persons.Person
	}{
		{"last name, any case", persons.ListPersonsOptions{LastName: "sMiTh"},
			keep(func(p persons.Person) bool { return strings.EqualFold(p.LastName, "smith") })},
		{"last name within a prefix", persons.ListPersonsOptions{LastName: "smith", LastNamePrefix: "SMI"},
			keep(func(p persons.Person) bool { return strings.EqualFold(p.LastName, "smith") })},
		{"last name outside the prefix", persons.ListPersonsOptions{LastName: "smith", LastNamePrefix: "jo"}, nil},
		{"prefix", persons.ListPersonsOptions{LastNamePrefix: "smith"},
			keep(func(p persons.Person) bool { return strings.HasPrefix(strings.ToLower(p.LastName), "smith") })},
		{"gender", persons.ListPersonsOptions{Gender: "female"}, keep(func(p persons.Person) bool { return gender(p) == "female" })},
		{"born from", persons.ListPersonsOptions{BornFrom: "1970-06-15"}, keep(func(p persons.Person) bool { return born(p) >= "1970-06-15" })},
		{"born to, a date-time", persons.ListPersonsOptions{BornTo: "1960-06-15T02:00:00+02:00"},
			keep(func(p persons.Person) bool { return born(p) != "" && born(p) <= "1960-06-15T00:00:00.000Z" })},
		{"born range and gender and last name", persons.ListPersonsOptions{BornFrom: "1950-01-01", BornTo: "1990-01-01", Gender: "other", LastName: "smith"},
			keep(func(p persons.Person) bool {
				return born(p) >= "1950" && born(p) <= "1990" && gender(p) == "other" && strings.EqualFold(p.LastName, "smith")
			})},
		{"empty born range", persons.ListPersonsOptions{BornFrom: "1990-01-01", BornTo: "1950-01-01"}, nil},
	}
	for _, tt := range tests {
		for _, desc := range []bool{false, true} {
			t.Run(fmt.Sprintf("%s desc=%v", tt.name, desc), func(t *testing.T) {
				o := tt.o
				o.Descending, o.Limit = desc, 4
				got := listAll(t, f.store, o)
				want := slices.Clone(tt.want)
				if desc {
					slices.Reverse(want)
				}
				if !slices.EqualFunc(got, want, func(a, b persons.Person) bool { return a.ID == b.ID }) {
					t.Errorf("got %v\nwant %v", names(got), names(want))
				}
			})
		}
	}

	// A filtered page is full (it reads on until it is), not a short page.
	var page persons.Page[persons.Person]
	reqs := count(t, func(ctx context.Context) (err error) {
		page, err = f.store.ListPersons(ctx, persons.ListPersonsOptions{Gender: "female", Limit: 8})
		return err
	})
	if len(page.Items) != 8 || page.NextCursor == "" {
		t.Errorf("a filtered page of 8: %d items, cursor %q", len(page.Items), page.NextCursor)
	}
	t.Logf("a page of 8 persons of one gender in 4 (of 60 persons): %d requests", reqs)

	// Invalid selections name their parameter.
	for _, tt := range []struct {
		o     persons.ListPersonsOptions
		field string
	}{
		{persons.ListPersonsOptions{Gender: "robot"}, "gender"},
		{persons.ListPersonsOptions{BornFrom: "yesterday"}, "bornFrom"},
		{persons.ListPersonsOptions{BornTo: "1990-13-01"}, "bornTo"},
		{persons.ListPersonsOptions{After: &persons.PersonPosition{LastName: "A", FirstName: "B", ID: "x"}}, "afterId"},
		{persons.ListPersonsOptions{After: &persons.PersonPosition{LastName: "A", FirstName: "B", ID: uuid.NewString()}, Cursor: page.NextCursor}, "cursor"},
	} {
		_, err := f.store.ListPersons(context.Background(), tt.o)
		wantField(t, err, tt.field)
	}
}

// After continues a list after a position given by values (the last person a client
// holds), in either order, whether or not a person is at that position, and agrees with
// the signed cursors.
func TestListPersonsAfter(t *testing.T) {
	f := newFixture(t)
	for _, n := range []string{"Adams", "Baker", "baker", "Clark", "Davis", "Evans"} {
		f.createPerson(t, "Ann", n)
	}
	for _, desc := range []bool{false, true} {
		all := listAll(t, f.store, persons.ListPersonsOptions{Descending: desc})
		for i, p := range all {
			at := &persons.PersonPosition{LastName: p.LastName, FirstName: p.FirstName, ID: p.ID}
			got := listAll(t, f.store, persons.ListPersonsOptions{Descending: desc, After: at, Limit: 2})
			if !slices.EqualFunc(got, all[i+1:], func(a, b persons.Person) bool { return a.ID == b.ID }) {
				t.Errorf("desc=%v after %s: %v, want %v", desc, p.LastName, names(got), names(all[i+1:]))
			}
		}
	}
	ids := func(ps []persons.Person) string {
		var b strings.Builder
		for _, p := range ps {
			b.WriteString(p.LastName + " ")
		}
		return b.String()
	}
	tests := []struct {
		name string
		o    persons.ListPersonsOptions
		want string
	}{
		{"a position between persons", persons.ListPersonsOptions{After: &persons.PersonPosition{LastName: "Bz", FirstName: "x", ID: uuid.NewString()}}, "Clark Davis Evans "},
		{"descending", persons.ListPersonsOptions{Descending: true, After: &persons.PersonPosition{LastName: "Bz", FirstName: "x", ID: uuid.NewString()}}, "Baker baker Adams "},
		{"before a prefix range", persons.ListPersonsOptions{LastNamePrefix: "d", After: &persons.PersonPosition{LastName: "A", FirstName: "x", ID: uuid.NewString()}}, "Davis "},
		{"after a prefix range", persons.ListPersonsOptions{LastNamePrefix: "d", After: &persons.PersonPosition{LastName: "E", FirstName: "x", ID: uuid.NewString()}}, ""},
		{"descending, after a prefix range", persons.ListPersonsOptions{LastNamePrefix: "d", Descending: true, After: &persons.PersonPosition{LastName: "E", FirstName: "x", ID: uuid.NewString()}}, "Davis "},
		{"descending, before a prefix range", persons.ListPersonsOptions{LastNamePrefix: "d", Descending: true, After: &persons.PersonPosition{LastName: "A", FirstName: "x", ID: uuid.NewString()}}, ""},
		{"upper-case id, names in another case", persons.ListPersonsOptions{After: &persons.PersonPosition{LastName: "CLARK", FirstName: "ann", ID: strings.ToUpper(uuid.Nil.String())}}, "Clark Davis Evans "},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			// Baker and baker are one name: their order is their ids'.
			if got := ids(listAll(t, f.store, tt.o)); !strings.EqualFold(got, tt.want) {
				t.Errorf("got %q, want %q", got, tt.want)
			}
		})
	}
}

// A cursor continues only the list it came from: the same prefix, last name, order and
// filters.
func TestListPersonsCursorsAreBoundToTheList(t *testing.T) {
	f := newFixture(t)
	for i := range 6 {
		p := newPerson(fmt.Sprint("P", i), "Smith")
		f.createPerson(t, p.FirstName, p.LastName)
	}
	lists := []persons.ListPersonsOptions{
		{},
		{Descending: true},
		{LastNamePrefix: "sm"},
		{LastName: "smith"},
		{Gender: "female"},
		{Gender: "female", Descending: true},
		{BornFrom: "1900-01-01"},
		{BornTo: "2000-01-01"},
	}
	for i, from := range lists {
		from.Limit = 1
		page, err := f.store.ListPersons(context.Background(), from)
		if err != nil || page.NextCursor == "" {
			t.Fatalf("list %+v: %v, cursor %q", from, err, page.NextCursor)
		}
		for j, to := range lists {
			to.Cursor = page.NextCursor
			_, err := f.store.ListPersons(context.Background(), to)
			if i == j && err != nil {
				t.Errorf("the cursor of %+v on its own list: %v", from, err)
			}
			if i != j {
				wantErr(t, err, persons.ErrInvalidCursor)
			}
		}
	}
}

// A filter that matches little ends a page after maxReadsPerPage Queries with what it
// found and a cursor; following the cursors still finds every match, in order.
func TestFilteredPagesAreBounded(t *testing.T) {
	f := newFixture(t)
	persons.SetMaxReadsPerPage(t, 1)
	var want []string
	for i := range 40 {
		p := persons.Person{FirstName: "A", LastName: fmt.Sprintf("N%02d", i)}
		if i%13 == 12 {
			p.Gender = ptr("other")
			want = append(want, p.LastName)
		}
		if _, err := f.store.CreatePerson(context.Background(), p); err != nil {
			t.Fatal(err)
		}
	}
	short := 0
	o := persons.ListPersonsOptions{Gender: "other", Limit: 10}
	var got []string
	for {
		var page persons.Page[persons.Person]
		reqs := count(t, func(ctx context.Context) (err error) { page, err = f.store.ListPersons(ctx, o); return err })
		if reqs > 1 {
			t.Fatalf("a page took %d Queries, over the bound of 1", reqs)
		}
		for _, p := range page.Items {
			got = append(got, p.LastName)
		}
		if page.NextCursor == "" {
			break
		}
		if len(page.Items) < o.Limit {
			short++
		}
		o.Cursor = page.NextCursor
	}
	if !slices.Equal(got, want) || short == 0 {
		t.Errorf("got %v over pages (%d short ones), want %v", got, short, want)
	}
}

func TestReadLimit(t *testing.T) {
	tests := []struct {
		need, scanned, matched int
		want                   int32
	}{
		{51, 0, 0, 51},        // first Query: as if everything matched
		{11, 40, 40, 11},      // no filter
		{10, 100, 10, 125},    // one in ten matched: ten times as many, and a quarter more
		{10, 100, 0, 1250},    // none matched yet
		{1000, 1e6, 1, 10000}, // bounded
	}
	for _, tt := range tests {
		if got := persons.ReadLimit(tt.need, tt.scanned, tt.matched); got != tt.want {
			t.Errorf("readLimit(%d, %d, %d) = %d, want %d", tt.need, tt.scanned, tt.matched, got, tt.want)
		}
	}
}
