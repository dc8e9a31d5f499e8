// Package seed fills the persons table with realistic fake data, fast: a deterministic
// generator (the same seed gives byte-identical persons, ids included), a batch writer
// (BatchWriteItem, bounded concurrency, UnprocessedItems retried with backoff) and a
// clearer (parallel keys-only Scan, batched deletes). The seed Lambda, the persons CLI and
// `make run` all use Run.
package seed

import (
	"encoding/binary"
	"math/rand/v2"
	"strings"
	"time"

	"github.com/brianvoe/gofakeit/v7"
	"github.com/google/uuid"

	"github.com/personsapi/persons/pkg/iban"
	"github.com/personsapi/persons/pkg/persons"
)

// refTime is the "now" of generated data: ages, employment histories and timestamps are
// relative to it rather than to the clock, so that a seed gives the same bytes on any day.
var refTime = time.Date(2026, time.January, 1, 0, 0, 0, 0, time.UTC)

// DefaultSeed is the seed used when none is given.
const DefaultSeed int64 = 1

// Generate returns count persons with all their related items for seed. Person i depends
// only on seed and i, so Generate(s, n) is a prefix of Generate(s, m) for n <= m.
func Generate(seed int64, count int) []persons.PersonDetails {
	out := make([]persons.PersonDetails, count)
	for i := range out {
		out[i] = Person(seed, i)
	}
	return out
}

// Person returns the i-th generated person of seed with its related items. The first
// address, bank account and contact (an email) are the primary ones; the first
// employment is the current one.
func Person(seed int64, i int) persons.PersonDetails {
	// One PCG stream per person: persons can be generated independently and in parallel.
	src := rand.NewPCG(uint64(seed), uint64(i))
	g := &gen{f: gofakeit.NewFaker(src, false), r: rand.New(src)}
	return g.person()
}

// gen draws one person from one random source, through gofakeit and directly.
type gen struct {
	f *gofakeit.Faker
	r *rand.Rand
}

// id returns a version 4 UUID drawn from the faker's random source (uuid.New would read
// crypto/rand and break determinism).
func (g *gen) id() string {
	var u uuid.UUID
	binary.BigEndian.PutUint64(u[:8], g.r.Uint64())
	binary.BigEndian.PutUint64(u[8:], g.r.Uint64())
	u[6] = u[6]&0x0f | 0x40 // version 4
	u[8] = u[8]&0x3f | 0x80 // RFC 4122 variant
	return u.String()
}

// between returns a random instant in [from, to), truncated to whole seconds.
func (g *gen) between(from, to time.Time) time.Time {
	secs := int64(to.Sub(from) / time.Second)
	return from.Add(time.Duration(g.r.Int64N(max(secs, 1))) * time.Second)
}

// day formats a date-time field at midnight UTC, in the form the store writes.
func day(t time.Time) string { return persons.Timestamp(t.UTC().Truncate(24 * time.Hour)) }

func ptr[T any](v T) *T { return &v }

func (g *gen) person() persons.PersonDetails {
	f := g.f
	p := persons.Person{ID: g.id(), FirstName: f.FirstName(), LastName: f.LastName(), Versioned: persons.Versioned{Version: 1}}
	// Ages 18 to 80 on refTime.
	dob := g.between(refTime.AddDate(-81, 0, 1), refTime.AddDate(-18, 0, 0))
	p.DateOfBirth = ptr(day(dob))
	if f.Float64() < 0.95 { // gender is optional: leave some out
		p.Gender = ptr(pick(f, persons.Genders, 46, 46, 4, 4))
	}
	created := g.between(refTime.AddDate(-2, 0, 0), refTime)
	p.CreatedAt = persons.Timestamp(created)
	p.UpdatedAt = persons.Timestamp(g.between(created, refTime))

	d := persons.PersonDetails{Person: p}
	for j := range f.IntRange(1, 3) {
		d.Addresses = append(d.Addresses, g.address(p.ID, j == 0))
	}
	for j := range f.IntRange(1, 2) {
		d.BankAccounts = append(d.BankAccounts, g.bankAccount(p.ID, j == 0))
	}
	for j := range f.IntRange(2, 5) {
		d.Contacts = append(d.Contacts, g.contact(p, j == 0))
	}
	for j := range f.IntRange(1, 4) {
		d.Employments = append(d.Employments, g.employment(p.ID, j == 0))
	}
	return d
}

// pick returns one of options with the given relative weights.
func pick(f *gofakeit.Faker, options []string, weights ...int) string {
	total := 0
	for _, w := range weights {
		total += w
	}
	n := f.IntN(total)
	for i, w := range weights {
		if n < w {
			return options[i]
		}
		n -= w
	}
	return options[len(options)-1]
}

func (g *gen) address(personID string, primary bool) persons.Address {
	f := g.f
	a := f.Address()
	typ := "home"
	if !primary {
		typ = f.RandomString(persons.AddressTypes)
	}
	return persons.Address{
		ItemKey: persons.ItemKey{ID: g.id(), PersonID: personID}, Type: typ,
		// gofakeit's streets, cities, states and zip codes are American; a random country
		// would not match them.
		Street: a.Street, City: a.City, State: a.State, PostalCode: a.Zip, Country: "United States",
		Primary: persons.Primary{IsPrimary: primary}, Versioned: persons.Versioned{Version: 1},
	}
}

// ibanFormat is the BBAN layout of a country with its real length: for some countries
// the BBAN starts with the 4-letter bank code (also the BIC's bank code), then digits.
type ibanFormat struct {
	country  string
	bankCode bool
	digits   int
}

var ibanFormats = []ibanFormat{
	{"DE", false, 18}, {"GB", true, 14}, {"NL", true, 10}, {"FR", false, 23}, {"ES", false, 20},
	{"BE", false, 12}, {"AT", false, 16}, {"IE", true, 14}, {"CH", false, 17}, {"PL", false, 24},
}

func (g *gen) bankAccount(personID string, primary bool) persons.BankAccount {
	f := g.f
	ff := ibanFormats[f.IntN(len(ibanFormats))]
	bank := strings.ToUpper(f.LetterN(4))
	bban := f.DigitN(uint(ff.digits))
	if ff.bankCode {
		bban = bank + bban
	}
	number := ff.country + iban.CheckDigits(ff.country, bban) + bban
	// BIC: bank code, country, location, and for some a branch code.
	bic := bank + ff.country + strings.ToUpper(f.LetterN(1)) + f.DigitN(1)
	if f.Bool() {
		bic += f.DigitN(3)
	}
	return persons.BankAccount{
		ItemKey:            persons.ItemKey{ID: g.id(), PersonID: personID},
		BankName:           f.BankName(),
		AccountType:        pick(f, persons.AccountTypes, 60, 30, 10),
		AccountNumberLast4: number[len(number)-4:],
		IBAN:               &number, BIC: &bic,
		Primary: persons.Primary{IsPrimary: primary}, Versioned: persons.Versioned{Version: 1},
	}
}

func (g *gen) contact(p persons.Person, primary bool) persons.ContactInfo {
	f := g.f
	typ := "email"
	if !primary {
		typ = f.RandomString(persons.ContactTypes)
	}
	var value string
	switch typ {
	case "email":
		value = g.email(p, primary)
	case "phone":
		value = f.Phone()
	case "mobile":
		value = f.PhoneFormatted()
	case "linkedin":
		value = "https://www.linkedin.com/in/" + strings.ToLower(f.Username())
	case "twitter":
		value = "@" + f.Username()
	}
	return persons.ContactInfo{
		ItemKey: persons.ItemKey{ID: g.id(), PersonID: p.ID}, Type: typ, Value: value,
		Primary: persons.Primary{IsPrimary: primary}, IsVerified: f.Float64() < 0.7, Versioned: persons.Versioned{Version: 1},
	}
}

// email returns an address made of the person's name (primary) or a random one.
func (g *gen) email(p persons.Person, primary bool) string {
	f := g.f
	local := asciiLower(p.FirstName) + "." + asciiLower(p.LastName)
	if !primary || len(local) < 3 {
		return f.Email()
	}
	if f.Bool() {
		local += f.DigitN(2)
	}
	return local + "@" + f.DomainName()
}

// asciiLower keeps the ASCII letters of s, in lower case, for use in an email address.
func asciiLower(s string) string {
	return strings.Map(func(r rune) rune {
		switch {
		case 'a' <= r && r <= 'z':
			return r
		case 'A' <= r && r <= 'Z':
			return r + 'a' - 'A'
		}
		return -1
	}, s)
}

var departments = []string{
	"Engineering", "Sales", "Marketing", "Finance", "Human Resources", "Operations",
	"Legal", "Customer Support", "Product", "Research",
}

var currencies = []string{"USD", "EUR", "GBP"}

func (g *gen) employment(personID string, current bool) persons.Employment {
	f := g.f
	e := persons.Employment{
		ItemKey:     persons.ItemKey{ID: g.id(), PersonID: personID},
		CompanyName: f.Company(), Position: f.JobTitle(),
		IsCurrent: current, Versioned: persons.Versioned{Version: 1},
	}
	if f.Float64() < 0.8 {
		e.Department = ptr(f.RandomString(departments))
	}
	if current {
		// The current job started within the last 5 years.
		e.StartDate = day(g.between(refTime.AddDate(-5, 0, 0), refTime))
	} else {
		// Past jobs started within the last 15 years and ended after they started.
		start := g.between(refTime.AddDate(-15, 0, 0), refTime.AddDate(0, 0, -60))
		until := start.AddDate(8, 0, 0)
		if until.After(refTime) {
			until = refTime
		}
		end := g.between(start.AddDate(0, 0, 30), until)
		e.StartDate, e.EndDate = day(start), ptr(day(end))
	}
	// 30,000 to 250,000 in steps of 500.
	e.Salary = ptr(float64(f.IntRange(60, 500)) * 500)
	e.Currency = f.RandomString(currencies)
	return e
}
