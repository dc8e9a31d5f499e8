package api_test

import (
	"net/http"
	"testing"
)

// Every free-text field is NFC-normalized, and rejects control and format characters and
// values without a visible character; names need a letter.
func TestTextRules(t *testing.T) {
	s := newServer(t)
	id := s.createPerson(t)
	invisible := map[string]string{
		"zero-width space":       "\u200b",
		"word joiner":            "\u2060",
		"BOM":                    "\ufeff",
		"soft hyphen":            "\u00ad",
		"LRM":                    "\u200e",
		"bidi override U+202A":   "\u202a",
		"bidi override U+202E":   "\u202e",
		"bidi isolate U+2066":    "\u2066",
		"bidi isolate U+2069":    "\u2069",
		"Hangul filler":          "\u3164",
		"braille blank":          "\u2800",
		"lone combining mark":    "\u0301",
		"NUL":                    "\x00",
		"line separator U+2028":  "\u2028",
		"paragraph sep. U+2029":  "\u2029",
		"no-break space":         "\u00a0",
		"Hangul fillers and ZWJ": "\u3164\u200d\u3164",
	}
	person := personBody("")
	delete(person, "id")
	fields := []struct {
		path  string
		body  map[string]any
		field string
	}{
		{"/persons", person, "firstName"},
		{"/persons", person, "lastName"},
		{"/persons/" + id + "/addresses", kindCases[0].body, "street"},
		{"/persons/" + id + "/bank-accounts", kindCases[1].body, "bankName"},
		{"/persons/" + id + "/contacts", with(kindCases[2].body, "type", "phone"), "value"},
		{"/persons/" + id + "/employments", employmentBody, "companyName"},
		{"/persons/" + id + "/employments", employmentBody, "department"},
	}
	for _, f := range fields {
		for name, v := range invisible {
			body := with(f.body, f.field, v)
			t.Run(f.field+" only "+name, func(t *testing.T) { bad(f.field).run(t, s, "POST", f.path, body) })
		}
		for _, name := range []string{"zero-width space", "word joiner", "BOM", "soft hyphen", "LRM", "bidi override U+202E", "bidi isolate U+2066", "NUL"} {
			body := with(f.body, f.field, "Ab"+invisible[name]+"c")
			t.Run(f.field+" with "+name, func(t *testing.T) { bad(f.field).run(t, s, "POST", f.path, body) })
		}
	}
	for _, c := range []struct {
		name  string
		first string
		want  want
	}{
		{"digits only", "1234", bad("firstName")},
		{"punctuation only", "-.-", bad("firstName")},
		{"emoji only", "🙂", bad("firstName")},
		{"letter with digits", "Louis14", stored(http.StatusCreated, "firstName", "Louis14")},
		{"ZWNJ between letters (Persian)", "علی\u200cرضا", stored(http.StatusCreated, "firstName", "علی\u200cرضا")},
		{"ZWNJ at the end", "علی\u200c", bad("firstName")},
	} {
		t.Run("firstName "+c.name, func(t *testing.T) {
			c.want.run(t, s, "POST", "/persons", with(person, "firstName", c.first))
		})
	}
}
