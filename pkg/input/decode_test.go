package input_test

import (
	"encoding/json"
	"errors"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/personsapi/persons/pkg/input"
	"github.com/personsapi/persons/pkg/persons"
)

// nested exercises what the flat entity types do not have: embedded structs, nested
// objects, arrays, maps, interfaces, ",string" and types that decode themselves.
type nested struct {
	persons.Person
	Home   persons.Address      `json:"home"`
	Prev   *persons.Address     `json:"prev,omitempty"`
	Jobs   []persons.Employment `json:"jobs"`
	Tags   map[string]int       `json:"tags"`
	Extra  any                  `json:"extra"`
	Count  int64                `json:"count,string"`
	When   time.Time            `json:"when"`
	Raw    json.RawMessage      `json:"raw"`
	Blob   []byte               `json:"blob"`
	Matrix [2][]float64         `json:"matrix"`
	Skip   string               `json:"-"`
	Plain  string               // no tag: JSON name "Plain"
	hidden string               //lint:ignore U1000 checks that unexported fields are unknown
	Sets   map[string][]int     `json:"sets"`
}

// decodeErrFields returns the field errors of an input.Decode error in order, failing the
// test if err is not a *input.ValidationError.
func decodeErrFields(t *testing.T, err error) []input.FieldError {
	t.Helper()
	fields, ok := input.FieldErrors(err)
	if err != nil && !ok {
		t.Fatalf("error %T %q is not a *input.ValidationError", err, err)
	}
	return fields
}

func TestDecodeErrors(t *testing.T) {
	tests := []struct {
		name   string
		into   func() any
		body   string
		want   []input.FieldError
		prefix bool // compare messages by prefix (syntax errors carry encoding/json's words)
	}{
		// Not one object.
		{name: "empty", into: newPerson, body: "", want: fe("body", "must be a JSON object")},
		{name: "whitespace", into: newPerson, body: " \n\t ", want: fe("body", "must be a JSON object")},
		{name: "null", into: newPerson, body: "null", want: fe("body", "must be a JSON object")},
		{name: "array", into: newPerson, body: `[{"firstName":"Ada"}]`, want: fe("body", "must be a JSON object")},
		{name: "string", into: newPerson, body: `"Ada"`, want: fe("body", "must be a JSON object")},
		{name: "number", into: newPerson, body: `42`, want: fe("body", "must be a JSON object")},
		{name: "boolean", into: newPerson, body: `true`, want: fe("body", "must be a JSON object")},
		{name: "byte order mark", into: newPerson, body: "\ufeff{}", want: fe("body", "must be a JSON object")},

		// Syntax.
		{name: "truncated", into: newPerson, body: `{"firstName":"Ada"`, want: fe("body", "invalid JSON: unexpected end of input")},
		{name: "truncated string", into: newPerson, body: `{"firstName":"Ad`, want: fe("body", "invalid JSON: unexpected end of input")},
		{name: "missing value", into: newPerson, body: `{"firstName":}`, want: fe("body", "invalid JSON at offset 14: invalid character '}'"), prefix: true},
		{name: "single quotes", into: newPerson, body: `{'firstName':'Ada'}`, want: fe("body", "invalid JSON at offset 2: "), prefix: true},
		{name: "trailing comma", into: newPerson, body: `{"firstName":"Ada",}`, want: fe("body", "invalid JSON at offset "), prefix: true},
		{name: "bad escape", into: newPerson, body: `{"firstName":"\x"}`, want: fe("body", "invalid JSON at offset "), prefix: true},
		{name: "control character in string", into: newPerson, body: "{\"firstName\":\"a\x01\"}", want: fe("body", "invalid JSON at offset "), prefix: true},
		{name: "syntax error in an unknown field", into: newPerson, body: `{"x":[1,}`, want: fe("body", "invalid JSON at offset "), prefix: true},
		{name: "too deep", into: newPerson, body: `{"x":` + strings.Repeat("[", 20000) + strings.Repeat("]", 20000) + `}`,
			want: fe("body", "invalid JSON at offset "), prefix: true},
		{name: "second object", into: newPerson, body: `{"firstName":"Ada"} {"lastName":"Byron"}`,
			want: fe("body", "invalid JSON: unexpected data after the object at offset 19")},
		{name: "trailing garbage", into: newPerson, body: `{}x`, want: fe("body", "invalid JSON: unexpected data after the object at offset 2")},
		{name: "trailing brace", into: newPerson, body: `{}}`, want: fe("body", "invalid JSON: unexpected data after the object at offset 2")},

		// Names.
		{name: "unknown field", into: newPerson, body: `{"firstName":"Ada","nickname":"Countess"}`, want: fe("nickname", "unknown field")},
		{name: "wrong case", into: newPerson, body: `{"FirstName":"Ada"}`, want: fe("FirstName", "unknown field")},
		{name: "all upper case", into: newAddress, body: `{"CITY":"London"}`, want: fe("CITY", "unknown field")},
		{name: "Go field name", into: newBankAccount, body: `{"AccountNumberLast4":"1234"}`, want: fe("AccountNumberLast4", "unknown field")},
		{name: "duplicate field", into: newPerson, body: `{"firstName":"Ada","firstName":"Eve"}`, want: fe("firstName", "duplicate field")},
		{name: "duplicate unknown field", into: newPerson, body: `{"x":1,"x":2}`, want: fe("x", "unknown field", "x", "duplicate field")},
		{name: "escaped name is still the name", into: newPerson, body: `{"first\u004eame":"Ada","firstName":"Eve"}`, want: fe("firstName", "duplicate field")},
		{name: "empty name", into: newContact, body: `{"":1}`, want: fe("", "unknown field")},

		// Types.
		{name: "number for string", into: newPerson, body: `{"firstName":1}`, want: fe("firstName", "must be a string")},
		{name: "object for string", into: newPerson, body: `{"lastName":{"a":1}}`, want: fe("lastName", "must be a string")},
		{name: "array for optional string", into: newPerson, body: `{"gender":["male"]}`, want: fe("gender", "must be a string")},
		{name: "boolean for string", into: newEmployment, body: `{"endDate":false}`, want: fe("endDate", "must be a string")},
		{name: "string for boolean", into: newAddress, body: `{"isPrimary":"true"}`, want: fe("isPrimary", "must be a boolean")},
		{name: "number for boolean", into: newContact, body: `{"isVerified":1}`, want: fe("isVerified", "must be a boolean")},
		{name: "string for number", into: newEmployment, body: `{"salary":"85000"}`, want: fe("salary", "must be a number")},
		{name: "string for integer", into: newPerson, body: `{"version":"2"}`, want: fe("version", "must be an integer")},
		{name: "fraction for integer", into: newPerson, body: `{"version":1.5}`, want: fe("version", "must be an integer in range")},
		{name: "integer overflow", into: newAddress, body: `{"version":9223372036854775808}`, want: fe("version", "must be an integer in range")},
		{name: "float overflow", into: newEmployment, body: `{"salary":1e400}`, want: fe("salary", "must be a number in range")},
		{name: "null for string", into: newPerson, body: `{"firstName":null}`, want: fe("firstName", "must not be null")},
		{name: "null for boolean", into: newContact, body: `{"isPrimary":null}`, want: fe("isPrimary", "must not be null")},
		{name: "null for number", into: newEmployment, body: `{"version":null}`, want: fe("version", "must not be null")},
		{name: "every name and type problem at once", into: newEmployment,
			body: `{"companyName":7,"position":"x","Position":"y","isCurrent":"no","salary":true,"salary":1,"bonus":5,"currency":null}`,
			want: fe("companyName", "must be a string", "Position", "unknown field", "isCurrent", "must be a boolean",
				"salary", "must be a number", "salary", "duplicate field", "bonus", "unknown field", "currency", "must not be null")},

		// Nested values: dotted paths.
		{name: "nested unknown field", into: newNested, body: `{"home":{"city":"London","town":"x"}}`, want: fe("home.town", "unknown field")},
		{name: "nested wrong type", into: newNested, body: `{"prev":{"isPrimary":"yes"}}`, want: fe("prev.isPrimary", "must be a boolean")},
		{name: "array element", into: newNested, body: `{"jobs":[{"position":"a"},{"position":2,"boss":"b"}]}`,
			want: fe("jobs.1.position", "must be a string", "jobs.1.boss", "unknown field")},
		{name: "array for object", into: newNested, body: `{"home":[]}`, want: fe("home", "must be an object")},
		{name: "object for array", into: newNested, body: `{"jobs":{}}`, want: fe("jobs", "must be an array")},
		{name: "map value", into: newNested, body: `{"tags":{"a":1,"b":"2"}}`, want: fe("tags.b", "must be an integer")},
		{name: "map duplicate key", into: newNested, body: `{"tags":{"a":1,"a":2}}`, want: fe("tags.a", "duplicate field")},
		{name: "array of arrays", into: newNested, body: `{"matrix":[[1],[2,"x"]]}`, want: fe("matrix.1.1", "must be a number")},
		{name: "map of arrays", into: newNested, body: `{"sets":{"a":[1,true]}}`, want: fe("sets.a.1", "must be an integer")},
		{name: "embedded fields are promoted", into: newNested, body: `{"firstName":1,"Person":{}}`,
			want: fe("firstName", "must be a string", "Person", "unknown field")},
		{name: "json:\"-\" and unexported fields are unknown", into: newNested, body: `{"Skip":"a","-":"b","hidden":"c"}`,
			want: fe("Skip", "unknown field", "-", "unknown field", "hidden", "unknown field")},
		{name: "untagged field by Go name only", into: newNested, body: `{"plain":"x"}`, want: fe("plain", "unknown field")},
		{name: "time.Time decodes itself", into: newNested, body: `{"when":"yesterday"}`, want: fe("body", "invalid value: "), prefix: true},
		{name: "string option", into: newNested, body: `{"count":"x"}`, want: fe("body", "invalid value: "), prefix: true},
		{name: "bytes", into: newNested, body: `{"blob":1}`, want: fe("blob", "must be a base64 string")},
		{name: "map for a map", into: func() any { return &map[string]bool{} }, body: `{"a":true,"b":1}`, want: fe("b", "must be a boolean")},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			v := tc.into()
			before := reflect.ValueOf(v).Elem().Interface()
			got := decodeErrFields(t, input.Decode([]byte(tc.body), v))
			match := len(got) == len(tc.want)
			for i := 0; match && i < len(got); i++ {
				match = got[i].Field == tc.want[i].Field &&
					(got[i].Message == tc.want[i].Message || tc.prefix && strings.HasPrefix(got[i].Message, tc.want[i].Message))
			}
			if !match {
				t.Errorf("Decode(%.60q) fields = %q,\nwant %q", tc.body, got, tc.want)
			}
			// Problems found before decoding (all but numbers out of range and values
			// that decode themselves) leave v alone.
			m := tc.want[0].Message
			decoded := strings.HasSuffix(m, "in range") || strings.HasPrefix(m, "invalid value")
			if after := reflect.ValueOf(v).Elem().Interface(); !decoded && !reflect.DeepEqual(before, after) {
				t.Errorf("v changed on error: %+v", after)
			}
		})
	}
}

// Strings decode to exactly the text sent: encoding/json turns invalid UTF-8 and
// unpaired surrogate escapes into U+FFFD, Decode names the field instead.
func TestDecodeStrings(t *testing.T) {
	const msg = `must be valid UTF-8 text: no invalid bytes or unpaired surrogate escapes (\ud800-\udfff)`
	for _, tc := range []struct {
		name string
		body string
		want string // the decoded firstName, or "" for msg on field
		fld  string
	}{
		{"raw 0xFF", "{\"firstName\":\"Ad\xffa\"}", "", "firstName"},
		{"raw 0xFE 0xFF", "{\"firstName\":\"\xfe\xff\"}", "", "firstName"},
		{"truncated sequence", "{\"lastName\":\"Ad\xc3\"}", "", "lastName"},
		{"overlong encoding", "{\"firstName\":\"\xc0\xaf\"}", "", "firstName"},
		{"encoded surrogate", "{\"firstName\":\"\xed\xa0\x80\"}", "", "firstName"},
		{"lone high surrogate", `{"firstName":"\ud800"}`, "", "firstName"},
		{"lone high surrogate, upper-case hex", `{"firstName":"a\uD83Db"}`, "", "firstName"},
		{"lone low surrogate", `{"firstName":"\udc00"}`, "", "firstName"},
		{"low before high", `{"firstName":"\ude00\ud83d"}`, "", "firstName"},
		{"high, then a letter escape", `{"firstName":"\ud800\u0041"}`, "", "firstName"},
		{"high, then an escaped character", `{"firstName":"\ud800\n"}`, "", "firstName"},
		{"two highs, then a low", `{"firstName":"\ud83d\ud83d\ude00"}`, "", "firstName"},
		{"in a nested value", `{"jobs":[{"position":"ok"},{"position":"\udfff"}]}`, "", "jobs.1.position"},
		{"in an optional field", `{"gender":"\ud800"}`, "", "gender"},
		{"pair", `{"firstName":"\ud83d\ude00"}`, "😀", ""},
		{"pair, upper-case hex", `{"firstName":"\uD83D\uDE00!"}`, "😀!", ""},
		{"escaped backslash before u", `{"firstName":"\\ud800"}`, `\ud800`, ""},
		{"U+FFFD as such", `{"firstName":"\ufffd�"}`, "\ufffd\ufffd", ""},
		{"4-byte UTF-8", `{"firstName":"𐐀"}`, "𐐀", ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var v nested
			err := input.Decode([]byte(tc.body), &v)
			if tc.fld != "" {
				if got := decodeErrFields(t, err); !slices.Equal(got, fe(tc.fld, msg)) {
					t.Errorf("Decode(%q) fields = %q, want %s: %s", tc.body, got, tc.fld, msg)
				}
				return
			}
			if err != nil || v.FirstName != tc.want {
				t.Errorf("Decode(%q): firstName %q, error %v; want %q", tc.body, v.FirstName, err, tc.want)
			}
		})
	}
}

func fe(fieldAndMessage ...string) []input.FieldError {
	var out []input.FieldError
	for i := 0; i < len(fieldAndMessage); i += 2 {
		out = append(out, input.FieldError{Field: fieldAndMessage[i], Message: fieldAndMessage[i+1]})
	}
	return out
}

func newPerson() any      { return new(persons.Person) }
func newAddress() any     { return new(persons.Address) }
func newBankAccount() any { return new(persons.BankAccount) }
func newContact() any     { return new(persons.ContactInfo) }
func newEmployment() any  { return new(persons.Employment) }
func newNested() any      { return new(nested) }

func TestDecodeValid(t *testing.T) {
	body := `
	{
		"id": "` + testPersonID + `", "firstName": "Ada", "lastName": "Lovelace",
		"dateOfBirth": "1815-12-10T00:00:00Z", "gender": "female",
		"createdAt": "2024-01-02T03:04:05.678Z", "updatedAt": "2024-01-02T03:04:05.678+01:00",
		"version": 3
	}
	`
	var got persons.Person
	if err := input.Decode([]byte(body), &got); err != nil {
		t.Fatal(err)
	}
	if want := validPerson(); !reflect.DeepEqual(got, want) {
		t.Errorf("got %+v\nwant %+v", got, want)
	}
	// Encoding and decoding again gives the same value, for every entity.
	for _, v := range []any{validPerson(), validAddress(), validBankAccount(), validContact(), validEmployment()} {
		data, err := json.Marshal(v)
		if err != nil {
			t.Fatal(err)
		}
		p := reflect.New(reflect.TypeOf(v))
		if err := input.Decode(data, p.Interface()); err != nil {
			t.Errorf("%T: %v", v, err)
		} else if !reflect.DeepEqual(p.Elem().Interface(), v) {
			t.Errorf("%T round trip: got %+v, want %+v", v, p.Elem().Interface(), v)
		}
	}
}

func TestDecodeNested(t *testing.T) {
	body := `{"firstName":"Ada","home":{"city":"London"},"prev":null,"jobs":[{"position":"a"},{"position":"b"}],
		"tags":{"x":1},"extra":{"anything":[1,"two",null]},"count":"42","when":"2020-01-02T03:04:05Z",
		"raw":{"kept":true},"blob":"aGk=","matrix":[[1.5],[]],"Plain":"p","sets":null}`
	var got nested
	if err := input.Decode([]byte(body), &got); err != nil {
		t.Fatal(err)
	}
	if got.FirstName != "Ada" || got.Home.City != "London" || got.Prev != nil || len(got.Jobs) != 2 ||
		got.Jobs[1].Position != "b" || got.Tags["x"] != 1 || got.Count != 42 || got.When.Year() != 2020 ||
		string(got.Raw) != `{"kept":true}` || string(got.Blob) != "hi" || got.Matrix[0][0] != 1.5 || got.Plain != "p" {
		t.Errorf("decoded %+v", got)
	}
}

// TestDecodeMerge checks the JSON merge patch semantics the store relies on: decoding
// a partial object onto a stored value replaces the present fields only, and null clears
// optional (pointer) fields.
func TestDecodeMerge(t *testing.T) {
	t.Run("person", func(t *testing.T) {
		p := validPerson()
		if err := input.Decode([]byte(`{"lastName":"Byron","gender":null}`), &p); err != nil {
			t.Fatal(err)
		}
		want := validPerson()
		want.LastName, want.Gender = "Byron", nil
		if !reflect.DeepEqual(p, want) {
			t.Errorf("got %+v\nwant %+v", p, want)
		}
	})
	t.Run("employment", func(t *testing.T) {
		e := validEmployment()
		if err := input.Decode([]byte(`{"endDate":null,"isCurrent":true,"salary":90000,"department":null}`), &e); err != nil {
			t.Fatal(err)
		}
		want := validEmployment()
		want.EndDate, want.IsCurrent, want.Salary, want.Department = nil, true, ptr(90000.0), nil
		if !reflect.DeepEqual(e, want) {
			t.Errorf("got %+v\nwant %+v", e, want)
		}
		if err := e.Validate(); err != nil {
			t.Errorf("patched employment: %v", err)
		}
	})
	t.Run("pointer fields are decoded in place", func(t *testing.T) {
		orig := validBankAccount()
		b := orig // shallow copy: b.BIC and orig.BIC point to the same string
		if err := input.Decode([]byte(`{"bic":"DEUTDEFF"}`), &b); err != nil {
			t.Fatal(err)
		}
		if *b.BIC != "DEUTDEFF" || *b.IBAN != *validBankAccount().IBAN {
			t.Errorf("got %+v", b)
		}
		// encoding/json writes through a non-nil pointer instead of allocating, so a patch
		// must be decoded onto a deep copy (the store unmarshals a fresh one from the item).
		if *orig.BIC != "DEUTDEFF" {
			t.Errorf("the shallow copy's source was not changed: update the input.Decode doc comment")
		}
	})
	t.Run("empty patch", func(t *testing.T) {
		c := validContact()
		if err := input.Decode([]byte(`{}`), &c); err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(c, validContact()) {
			t.Errorf("got %+v", c)
		}
	})
	t.Run("rejected patch leaves the value alone", func(t *testing.T) {
		a := validAddress()
		err := input.Decode([]byte(`{"city":"Paris","zip":"75001"}`), &a)
		if got := decodeErrFields(t, err); !slices.Equal(got, fe("zip", "unknown field")) {
			t.Errorf("fields = %v", got)
		}
		if a.City != validAddress().City {
			t.Errorf("city changed to %q", a.City)
		}
	})
}

func TestDecodeBadTarget(t *testing.T) {
	var p persons.Person
	for _, v := range []any{nil, p, (*persons.Person)(nil)} {
		err := input.Decode([]byte(`{}`), v)
		var ve *input.ValidationError
		if err == nil || errors.As(err, &ve) {
			t.Errorf("Decode into %T: err = %v, want a plain error (a programming error, not bad input)", v, err)
		}
	}
}

// BenchmarkDecode compares input.Decode (syntax pass, name and type check, decode)
// with plain encoding/json on a typical request body.
func BenchmarkDecode(b *testing.B) {
	body, err := json.Marshal(validEmployment())
	if err != nil {
		b.Fatal(err)
	}
	b.Run("Decode", func(b *testing.B) {
		for b.Loop() {
			var e persons.Employment
			if err := input.Decode(body, &e); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("json.Unmarshal", func(b *testing.B) {
		for b.Loop() {
			var e persons.Employment
			if err := json.Unmarshal(body, &e); err != nil {
				b.Fatal(err)
			}
		}
	})
}
