package persons

import (
	"encoding/json"
	"errors"
	"reflect"
	"strings"
	"testing"

	"github.com/personsapi/persons/pkg/input"
)

type validator interface {
	Validate() error
	Clean() error
}

// entityTypes returns new zero values of the five entity types.
func entityTypes() []validator {
	return []validator{new(Person), new(Address), new(BankAccount), new(ContactInfo), new(Employment)}
}

// FuzzDecodeAndValidate decodes arbitrary bytes into each entity type and validates the
// result. It checks that nothing panics, that every error is a *input.ValidationError with
// named, explained fields, that whatever decodes survives an encode/decode round trip
// unchanged (so a stored value reads back as written and validates the same), and that
// Clean is idempotent: a cleaned value is in its stored form already.
func FuzzDecodeAndValidate(f *testing.F) {
	for _, v := range []any{validPerson(), validAddress(), validBankAccount(), validContact(), validEmployment()} {
		data, err := json.Marshal(v)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(data)
	}
	for _, s := range []string{
		``, ` `, `null`, `[]`, `"x"`, `0`, `{}`, `{} `, `{}{}`, `{} x`, `{`, `}`, `{"`, `{"a"`, `{"a":`,
		`{"firstName":"Ada","lastName":"Lovelace"}`,
		`{"firstName":null,"dateOfBirth":null,"gender":null}`,
		`{"FirstName":"a","firstName":"b","firstName":"c"}`,
		`{"firstName":1,"lastName":true,"version":"1","isPrimary":"no","salary":"1"}`,
		`{"version":1.5}`, `{"version":-9223372036854775809}`, `{"salary":1e400}`, `{"salary":-0}`,
		`{"salary":5e-324}`, `{"salary":0.0}`, `{"currency":"usd"}`,
		`{"dateOfBirth":"2999-01-01T00:00:00Z"}`, `{"dateOfBirth":"1990-02-29T00:00:00Z"}`,
		`{"startDate":"2020-01-01T00:00:00Z","endDate":"2019-12-31T23:59:59Z","isCurrent":true}`,
		`{"lastName":"de\u001fVries","firstName":"\u0000"}`, `{"firstName":"\ud800"}`,
		"{\"firstName\":\"\xff\xfe\"}", `{"firstName":"` + strings.Repeat("字", 101) + `"}`,
		`{"iban":"GB82WEST12345698765432","bic":"NWBKGB2L"}`, `{"iban":"GB82WEST12345698765431","bic":"nwbkgb2l"}`,
		`{"type":"email","value":"Ada <ada@example.com>"}`, `{"type":"email","value":"ada@example.com"}`,
		`{"id":"` + strings.ToUpper(testPersonID) + `","personId":"{` + testPersonID + `}"}`,
		`{"x":` + strings.Repeat("[", 100) + strings.Repeat("]", 100) + `}`,
		`{"accountNumberLast4":1234}`, `{"department":{},"endDate":[]}`, "\ufeff{}", "{\"\u2028\":1}",
		`{"id":"` + strings.ToUpper(testPersonID) + `","firstName":"E\u0301mile","lastName":"\u0958","dateOfBirth":"1990-05-17"}`,
		`{"firstName":"` + strings.Repeat("ΐ", 83) + `","lastName":"a\u200bb"}`, `{"firstName":"\u3164","lastName":"\u2800"}`,
		`{"dateOfBirth":"1990-05-17T00:00:00+24:00"}`, `{"dateOfBirth":"0000-01-01"}`, `{"startDate":"2019-03-01T09:00:00.123456789+01:00"}`,
		`{"salary":1e126}`, `{"salary":1e-131}`, `{"salary":1e12}`, `{"salary":123.456}`, `{"salary":0.07}`,
		`{"companyName":"\u0645\u200c\u062e","position":"\u200c"}`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		for i, v := range entityTypes() {
			if err := input.Decode(data, v); err != nil {
				checkValidationError(t, "DecodeJSON", v, err)
				continue
			}
			if err := v.Validate(); err != nil {
				checkValidationError(t, "Validate", v, err)
			}
			out, err := json.Marshal(v)
			if err != nil {
				t.Fatalf("Marshal(%T): %v", v, err)
			}
			again := entityTypes()[i]
			if err := input.Decode(out, again); err != nil {
				t.Fatalf("%T: decoding its own encoding %s: %v", v, out, err)
			}
			if !reflect.DeepEqual(v, again) {
				t.Fatalf("%T round trip: %+v became %+v", v, v, again)
			}
			if err := again.Clean(); err != nil {
				checkValidationError(t, "Clean", again, err)
				continue
			}
			cleaned, _ := json.Marshal(again)
			if err := again.Clean(); err != nil {
				t.Fatalf("%T: cleaning %s again: %v", again, cleaned, err)
			}
			if twice, _ := json.Marshal(again); string(twice) != string(cleaned) {
				t.Fatalf("%T: Clean is not idempotent: %s became %s", again, cleaned, twice)
			}
		}
	})
}

func checkValidationError(t *testing.T, op string, v any, err error) {
	t.Helper()
	var ve *input.ValidationError
	if !errors.As(err, &ve) {
		t.Fatalf("%s(%T) error %T %q is not a *input.ValidationError", op, v, err, err)
	}
	if len(ve.Fields) == 0 {
		t.Fatalf("%s(%T): input.ValidationError without fields", op, v)
	}
	for _, f := range ve.Fields {
		if f.Message == "" {
			t.Fatalf("%s(%T): field %q without a message", op, v, f.Field)
		}
	}
}
