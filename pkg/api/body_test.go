package api_test

import (
	"net/http"
	"testing"
)

// Bodies decode to exactly what the client sent: invalid UTF-8 and unpaired surrogate
// escapes, which encoding/json turns into U+FFFD, are a 400 naming the field.
func TestBodyEncoding(t *testing.T) {
	s := newServer(t)
	id := s.createPerson(t)
	for _, c := range []struct {
		name, first string
		want        want
	}{
		{"raw 0xFF", "Ad\xffa", bad("firstName")},
		{"raw truncated sequence", "Ad\xc3", bad("firstName")},
		{"encoded surrogate", "Ad\xed\xa0\x80a", bad("firstName")},
		{"lone high surrogate", `Ad\ud800a`, bad("firstName")},
		{"lone high surrogate at the end", `Ada\uD800`, bad("firstName")},
		{"lone low surrogate", `Ad\udc00a`, bad("firstName")},
		{"high surrogate and a non-surrogate escape", `Ad\ud800\u0041`, bad("firstName")},
		{"two high surrogates", `\ud83d\ud83dA`, bad("firstName")},
		{"surrogate pair", `Ada\ud83d\ude00`, stored(http.StatusCreated, "firstName", "Ada😀")},
		{"escaped backslash before u", `Ada\\ud800`, stored(http.StatusCreated, "firstName", `Ada\ud800`)},
		{"U+FFFD sent as such", "Ada\ufffd", stored(http.StatusCreated, "firstName", "Ada\ufffd")},
	} {
		t.Run(c.name, func(t *testing.T) {
			c.want.run(t, s, "POST", "/persons", `{"firstName":"`+c.first+`","lastName":"Lovelace"}`)
		})
	}
	t.Run("patch", func(t *testing.T) {
		bad("lastName").run(t, s, "PATCH", "/persons/"+id, "{\"lastName\":\"\xff\"}")
		bad("street").run(t, s, "POST", "/persons/"+id+"/addresses",
			`{"type":"home","street":"\udfff","city":"c","state":"s","postalCode":"1","country":"US"}`)
	})
}
