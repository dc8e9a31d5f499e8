package persons

import (
	"fmt"
	"net/mail"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/google/uuid"
	"golang.org/x/text/unicode/norm"

	"github.com/personsapi/persons/pkg/iban"
	"github.com/personsapi/persons/pkg/input"
)

// checks collects the failing fields of one value.
type checks struct{ input.Fields }

// Validation rules of the entity fields. Lengths count characters (runes), not bytes.
//
// Validate checks every field, including ids: the store fills generated ids and defaults
// (currency) in before it validates, so a value reaching the table always passes.
// Validate accepts every spelling a client may send; Clean turns a value into the one
// form the store writes and then validates it, so that equal values are stored equally:
//
//   - ids in lower case (a UUID's hex digits in either case name the same entity);
//   - free text in Unicode NFC (an "É" typed as one code point or as "E" and a combining
//     accent is one name, sorted and found by prefix alike);
//   - date-times in UTC with milliseconds, Timestamp's form; a date of birth may be a
//     plain date (what an HTML date input sends), stored as midnight UTC.

// Limits of DynamoDB that validation keeps values within.
const (
	maxSortKeyBytes = 1024 // a sort key, in UTF-8 bytes
	idLen           = 36   // a UUID in its hyphenated form; ValidID admits no other
)

// maxFoldedNameBytes bounds the case-folded form of a first or a last name, in UTF-8
// bytes: gsi1sk holds both, two separators and an id, and DynamoDB rejects a sort key
// over 1,024 bytes. Case folding can lengthen a name: 65 polytonic Greek letters fold to
// 5 or 6 bytes (ΐ, U+0390, is 2 bytes and folds to 3 code points of 6), so 100 characters
// could fold to 600. Every other character folds to at most 4 bytes, so only names made
// mostly of those letters (83 × ΐ) reach the bound. Rejecting them keeps the key exact,
// where a key cut to a byte budget would not: names equal in their first 493 folded
// bytes would sort by first name, and a longer last-name prefix would find nothing.
const maxFoldedNameBytes = (maxSortKeyBytes - 2*len(gsi1Sep) - idLen) / 2 // 493

// Salaries are amounts of money: positive, at most MaxSalary, in whole cents. The bounds
// keep them far inside what DynamoDB's numbers hold (38 significant digits, magnitudes
// 1e-130 to 1e126): a salary is written with at most 15 digits.
const MaxSalary = 1e12

// Business dates (date of birth, employment start and end) lie in the years MinYear to
// MaxYear, in UTC: enough for historical persons and far-future plans, while a year such
// as 0000 or 0202 (a typo) is rejected.
const (
	MinYear = 1800
	MaxYear = 2200
)

// ValidID reports whether s is a UUID in the canonical 36-character hyphenated form, in
// either case. uuid.Parse alone also accepts the braced, urn:uuid: and unhyphenated forms,
// which would give one entity several spellings in keys and URLs. The store keeps ids in
// lower case (see Clean).
func ValidID(s string) bool {
	if len(s) != idLen {
		return false
	}
	_, err := uuid.Parse(s)
	return err == nil
}

// canonicalID returns the lower-case spelling of the id s; anything that is not a UUID
// is returned as it is, for validation to reject.
func canonicalID(s string) string {
	if !ValidID(s) {
		return s
	}
	return strings.ToLower(s)
}

// Clean brings p into the form the store writes (see the rules above) and validates it.
func (p *Person) Clean() error {
	p.ID = canonicalID(p.ID)
	nfc(&p.FirstName, &p.LastName)
	if p.DateOfBirth != nil {
		canonicalTime(p.DateOfBirth, true)
	}
	return p.Validate()
}

// Clean brings a into the form the store writes (see Person.Clean) and validates it.
func (a *Address) Clean() error {
	a.ItemKey.clean()
	nfc(&a.Street, &a.City, &a.State, &a.PostalCode, &a.Country)
	return a.Validate()
}

// Clean brings b into the form the store writes (see Person.Clean) and validates it.
func (b *BankAccount) Clean() error {
	b.ItemKey.clean()
	nfc(&b.BankName)
	return b.Validate()
}

// Clean brings c into the form the store writes (see Person.Clean) and validates it.
func (c *ContactInfo) Clean() error {
	c.ItemKey.clean()
	nfc(&c.Value)
	return c.Validate()
}

// Clean brings e into the form the store writes (see Person.Clean) and validates it.
func (e *Employment) Clean() error {
	e.ItemKey.clean()
	nfc(&e.CompanyName, &e.Position)
	if e.Department != nil {
		nfc(e.Department)
	}
	canonicalTime(&e.StartDate, false)
	if e.EndDate != nil {
		canonicalTime(e.EndDate, false)
	}
	return e.Validate()
}

func (k *ItemKey) clean() { k.ID, k.PersonID = canonicalID(k.ID), canonicalID(k.PersonID) }

// nfc puts the texts into Unicode normalization form C. Invalid UTF-8 is left for
// validation to reject.
func nfc(texts ...*string) {
	for _, s := range texts {
		if utf8.ValidString(*s) {
			*s = norm.NFC.String(*s)
		}
	}
}

// canonicalTime rewrites a valid date-time (or, with dateOnly, a date) as Timestamp
// writes it; anything else is left for validation to reject.
func canonicalTime(s *string, dateOnly bool) {
	if t, msg := parseTime(*s, dateOnly); msg == "" {
		*s = Timestamp(t)
	}
}

// Validate reports every invalid field of p at once as a *input.ValidationError.
// createdAt and updatedAt belong to the server: they are only checked when set.
func (p *Person) Validate() error {
	var fe checks
	fe.id("id", p.ID)
	fe.name("firstName", p.FirstName)
	fe.name("lastName", p.LastName)
	if p.DateOfBirth != nil {
		if t, ok := fe.businessDate("dateOfBirth", *p.DateOfBirth, true); ok && t.After(time.Now()) {
			fe.Add("dateOfBirth", "must not be in the future")
		}
	}
	if p.Gender != nil {
		fe.oneOf("gender", *p.Gender, Genders)
	}
	if p.CreatedAt != "" {
		fe.dateTime("createdAt", p.CreatedAt)
	}
	if p.UpdatedAt != "" {
		fe.dateTime("updatedAt", p.UpdatedAt)
	}
	return fe.Err()
}

// Validate reports every invalid field at once as a *input.ValidationError.
func (a *Address) Validate() error {
	var fe checks
	fe.id("id", a.ID)
	fe.id("personId", a.PersonID)
	fe.oneOf("type", a.Type, AddressTypes)
	fe.text("street", a.Street, 200)
	fe.text("city", a.City, 100)
	fe.text("state", a.State, 100)
	fe.text("postalCode", a.PostalCode, 20)
	fe.text("country", a.Country, 100)
	return fe.Err()
}

// Validate reports every invalid field at once as a *input.ValidationError.
func (b *BankAccount) Validate() error {
	var fe checks
	fe.id("id", b.ID)
	fe.id("personId", b.PersonID)
	fe.text("bankName", b.BankName, 100)
	fe.oneOf("accountType", b.AccountType, AccountTypes)
	if !isLast4(b.AccountNumberLast4) {
		fe.Add("accountNumberLast4", "must be exactly 4 digits")
	}
	if b.IBAN != nil {
		if msg := ibanProblem(*b.IBAN); msg != "" {
			fe.Add("iban", msg)
		}
	}
	if b.BIC != nil && !isBIC(*b.BIC) {
		fe.Add("bic", "must be a BIC of 8 or 11 upper-case letters and digits, e.g. DEUTDEFF or DEUTDEFF500")
	}
	return fe.Err()
}

// Validate reports every invalid field at once as a *input.ValidationError.
func (c *ContactInfo) Validate() error {
	var fe checks
	fe.id("id", c.ID)
	fe.id("personId", c.PersonID)
	typeOK := fe.oneOf("type", c.Type, ContactTypes)
	if fe.text("value", c.Value, 200) && typeOK && c.Type == "email" && !isEmail(c.Value) {
		fe.Add("value", "must be an email address such as name@example.com")
	}
	return fe.Err()
}

// Validate reports every invalid field at once as a *input.ValidationError.
// An empty currency is invalid: the store fills in DefaultCurrency before validating.
func (e *Employment) Validate() error {
	var fe checks
	fe.id("id", e.ID)
	fe.id("personId", e.PersonID)
	fe.text("companyName", e.CompanyName, 200)
	fe.text("position", e.Position, 100)
	if e.Department != nil {
		// Present but empty is rejected: a patch clears the department with null.
		fe.text("department", *e.Department, 100)
	}
	start, startOK := fe.businessDate("startDate", e.StartDate, false)
	if e.EndDate != nil {
		if end, ok := fe.businessDate("endDate", *e.EndDate, false); ok && startOK && end.Before(start) {
			fe.Add("endDate", "must not be before startDate")
		}
		// Reported on isCurrent so that it shows up together with any endDate problem.
		if e.IsCurrent {
			fe.Add("isCurrent", "must be false when endDate is set")
		}
	}
	if e.Salary != nil {
		switch x := *e.Salary; {
		case !(x > 0 && x <= MaxSalary): // NaN fails both
			fe.Add("salary", "must be a number greater than 0 and at most 1000000000000")
		case decimalPlaces(x) > 2:
			fe.Add("salary", "must have at most 2 decimal places")
		}
	}
	if !isCurrency(e.Currency) {
		fe.Add("currency", "must be a 3-letter upper-case currency code such as USD")
	}
	return fe.Err()
}

// id checks a required id.
func (fe *checks) id(field, s string) {
	switch {
	case s == "":
		fe.Add(field, "is required")
	case !ValidID(s):
		fe.Add(field, "must be a UUID such as 123e4567-e89b-12d3-a456-426614174000")
	}
}

// text checks a required free-text field of 1 to maxLen characters and reports whether it
// passed. Control characters are rejected because the GSI1 sort key joins names with
// U+001F, and nothing legitimate in a name or address needs them; format characters and
// line separators because they are invisible (or reorder what is shown), so that two
// values that look the same would differ; and values without a visible character because
// they look empty.
func (fe *checks) text(field, s string, maxLen int) bool {
	switch {
	case !utf8.ValidString(s):
		fe.Add(field, "must be valid UTF-8")
	case strings.ContainsFunc(s, unicode.IsControl):
		fe.Add(field, "must not contain control characters")
	case hasFormatChar(s):
		fe.Add(field, "must not contain invisible format characters (zero-width spaces, word joiners, bidi controls, soft hyphens, BOM) or line separators")
	case strings.TrimSpace(s) == "":
		fe.Add(field, "is required")
	case !strings.ContainsFunc(s, visible):
		fe.Add(field, "must contain a visible character")
	case utf8.RuneCountInString(s) > maxLen:
		fe.Add(field, fmt.Sprintf("must be at most %d characters", maxLen))
	default:
		return true
	}
	return false
}

// name checks a first or last name: a text of at most 100 characters with a letter, whose
// case-folded form fits gsi1sk (see maxFoldedNameBytes).
func (fe *checks) name(field, s string) {
	switch {
	case !fe.text(field, s, 100):
	case !strings.ContainsFunc(s, letter):
		fe.Add(field, "must contain a letter")
	case len(foldName(s)) > maxFoldedNameBytes:
		fe.Add(field, fmt.Sprintf("is too long: at most %d bytes of UTF-8 once case-folded", maxFoldedNameBytes))
	}
}

// blankGlyph reports whether r is a letter or symbol to Unicode that shows as blank space.
func blankGlyph(r rune) bool {
	switch r {
	case '\u115f', '\u1160', '\u3164', '\uffa0', // Hangul fillers (letters)
		'\u2800': // braille pattern blank (a symbol)
		return true
	}
	return false
}

// visible reports whether r shows as something: a letter, digit, punctuation or symbol.
// Marks (accents) show only on a base character; spaces and format characters not at all.
func visible(r rune) bool {
	return unicode.In(r, unicode.L, unicode.N, unicode.P, unicode.S) && !blankGlyph(r)
}

// letter reports whether r is a letter that shows.
func letter(r rune) bool { return unicode.IsLetter(r) && !blankGlyph(r) }

// hasFormatChar reports whether s holds a format character (Unicode category Cf: zero-
// width space, word joiner, BOM, soft hyphen, bidi controls, ...) or a line or paragraph
// separator. The zero-width non-joiner and joiner (U+200C, U+200D) are allowed between
// two visible characters or marks: Persian and Indic scripts need them inside words, and
// emoji sequences are joined with U+200D.
func hasFormatChar(s string) bool {
	joins := func(r rune) bool { return visible(r) || unicode.Is(unicode.M, r) }
	prev := rune(-1)
	for i, r := range s {
		switch {
		case r == '\u200c' || r == '\u200d':
			next, size := utf8.DecodeRuneInString(s[i+utf8.RuneLen(r):])
			if prev < 0 || size == 0 || !joins(prev) || !joins(next) {
				return true
			}
		case unicode.In(r, unicode.Cf, unicode.Zl, unicode.Zp):
			return true
		}
		prev = r
	}
	return false
}

// decimalPlaces returns the number of decimal places of x written as the shortest decimal
// that reads back as x: what encoding/json sends and what the store writes.
func decimalPlaces(x float64) int {
	_, frac, _ := strings.Cut(strconv.FormatFloat(x, 'f', -1, 64), ".")
	return len(frac)
}

// oneOf checks a required enumeration value and reports whether it passed.
func (fe *checks) oneOf(field, s string, allowed []string) bool {
	switch {
	case s == "":
		fe.Add(field, "is required")
	case !slices.Contains(allowed, s):
		fe.Add(field, "must be one of "+strings.Join(allowed, ", "))
	default:
		return true
	}
	return false
}

// dateTime checks a required RFC 3339 date-time and returns it when valid.
func (fe *checks) dateTime(field, s string) (time.Time, bool) {
	t, msg := parseTime(s, false)
	if msg != "" {
		fe.Add(field, msg)
		return time.Time{}, false
	}
	return t, true
}

// businessDate checks a required date-time (or, with dateOnly, also a plain date) of a
// business date: one in the years MinYear to MaxYear, UTC.
func (fe *checks) businessDate(field, s string, dateOnly bool) (time.Time, bool) {
	t, msg := parseTime(s, dateOnly)
	if msg == "" && (t.UTC().Year() < MinYear || t.UTC().Year() > MaxYear) {
		msg = fmt.Sprintf("must be in the years %d to %d (UTC)", MinYear, MaxYear)
	}
	if msg != "" {
		fe.Add(field, msg)
		return time.Time{}, false
	}
	return t, true
}

// dateTimeRE is RFC 3339's date-time (section 5.6), with upper-case T and Z. time.Parse
// alone is laxer: it accepts offsets of +24:00 and +00:60 (as +01:00) and a comma before
// the fraction.
var dateTimeRE = regexp.MustCompile(`^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d{1,9})?(?:Z|[+-](\d{2}):(\d{2}))$`)

// parseTime parses an RFC 3339 date-time or, with dateOnly, also a plain date
// (2006-01-02, midnight UTC). It returns why s is neither, or "".
func parseTime(s string, dateOnly bool) (time.Time, string) {
	msg := "must be an RFC 3339 date-time such as 2006-01-02T15:04:05Z"
	if dateOnly {
		msg = "must be a date such as 2006-01-02 or an RFC 3339 date-time such as 2006-01-02T15:04:05Z"
	}
	if s == "" {
		return time.Time{}, "is required"
	}
	if dateOnly && len(s) == len(time.DateOnly) {
		t, err := time.Parse(time.DateOnly, s)
		if err != nil {
			return time.Time{}, msg
		}
		return t, ""
	}
	m := dateTimeRE.FindStringSubmatch(s)
	if m == nil {
		return time.Time{}, msg
	}
	if m[1] != "" && (m[1] > "23" || m[2] > "59") {
		return time.Time{}, "must have a time zone offset between -23:59 and +23:59"
	}
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		return time.Time{}, msg
	}
	return t, ""
}

func isLast4(s string) bool {
	return len(s) == 4 && strings.Trim(s, "0123456789") == ""
}

func isUpper(c byte) bool { return 'A' <= c && c <= 'Z' }
func isDigit(c byte) bool { return '0' <= c && c <= '9' }

// isUpperAlnum reports whether s holds only upper-case ASCII letters and digits.
func isUpperAlnum(s string) bool {
	for i := range len(s) {
		if !isUpper(s[i]) && !isDigit(s[i]) {
			return false
		}
	}
	return true
}

func isCurrency(s string) bool {
	return len(s) == 3 && isUpper(s[0]) && isUpper(s[1]) && isUpper(s[2])
}

// isBIC reports whether s has the ISO 9362 shape: 4 letters (bank), 2 letters (country),
// 2 letters or digits (location) and an optional 3 letters or digits (branch).
func isBIC(s string) bool {
	if len(s) != 8 && len(s) != 11 {
		return false
	}
	for i := range 6 {
		if !isUpper(s[i]) {
			return false
		}
	}
	return isUpperAlnum(s[6:])
}

// ibanProblem returns why s is not an IBAN in electronic format (ISO 13616: no spaces, upper
// case), or "" when it is one. Country-specific lengths are not checked; the mod-97 check
// (ISO 7064) catches typos and transpositions.
func ibanProblem(s string) string {
	if n := utf8.RuneCountInString(s); n < 15 || n > 34 {
		return "must be 15–34 characters"
	}
	if !isUpper(s[0]) || !isUpper(s[1]) || !isDigit(s[2]) || !isDigit(s[3]) || !isUpperAlnum(s[4:]) {
		return "must be a 2-letter country code, 2 check digits and the account identifier, in upper-case letters and digits without spaces"
	}
	if !iban.ValidCheckDigits(s) {
		return "has invalid check digits"
	}
	return ""
}

// isEmail reports whether s is a bare email address: net/mail accepts it and it is not
// written with a display name, angle brackets or comments.
func isEmail(s string) bool {
	a, err := mail.ParseAddress(s)
	return err == nil && a.Name == "" && a.Address == s
}
