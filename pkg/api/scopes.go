package api

import (
	"bytes"
	"context"
	"crypto/subtle"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"

	"github.com/personsapi/persons/pkg/iban"
	"github.com/personsapi/persons/pkg/input"
	"github.com/personsapi/persons/pkg/persons"
)

// Scopes is what a caller may do. The zero value may do nothing: a request whose
// scopes nobody established (no WithScopes) is served with it, so a wiring mistake
// denies rather than grants.
type Scopes struct {
	Read  bool // the GET routes
	Write bool // POST, PUT, PATCH, DELETE
	Bank  bool // full bank details: unmasked IBANs, setting and changing them
}

// ScopeNames are the OAuth scope strings of Scopes in the caller's token. The defaults
// are those of the stack's Cognito resource server ("persons" with the scopes read,
// write and bank); an external issuer may name them otherwise (deploy.EnvScopeRead…).
type ScopeNames struct{ Read, Write, Bank string }

// DefaultScopeNames are the scope names of the stack's own Cognito user pool.
var DefaultScopeNames = ScopeNames{Read: "persons/read", Write: "persons/write", Bank: "persons/bank"}

// ScopeNamesFromEnv reads the scope names from the environment (getenv is os.Getenv),
// each defaulting to DefaultScopeNames. A name with white space or a comma could never
// match one scope of a token: that is a configuration error, not a silent denial.
func ScopeNamesFromEnv(getenv func(string) string, readEnv, writeEnv, bankEnv string) (ScopeNames, error) {
	n := DefaultScopeNames
	for _, v := range []struct {
		env string
		dst *string
	}{{readEnv, &n.Read}, {writeEnv, &n.Write}, {bankEnv, &n.Bank}} {
		s := getenv(v.env)
		if s == "" {
			continue
		}
		if strings.ContainsAny(s, " \t\r\n,[]") {
			return n, fmt.Errorf("%s: a scope name has no spaces, commas or brackets: %q", v.env, s)
		}
		*v.dst = s
	}
	if n.Read == n.Write || n.Read == n.Bank || n.Write == n.Bank {
		return n, fmt.Errorf("%s, %s and %s must name three different scopes", readEnv, writeEnv, bankEnv)
	}
	return n, nil
}

// Parse reads a token's scope claim: scope names separated by spaces (OAuth's "scope",
// Cognito and most issuers) or commas, optionally in brackets (API Gateway renders an
// array claim such as Okta's "scp" as "[a b]"). Names it does not know grant nothing;
// an empty or garbled claim grants nothing.
func (n ScopeNames) Parse(claim string) Scopes {
	var s Scopes
	claim = strings.TrimSuffix(strings.TrimPrefix(strings.TrimSpace(claim), "["), "]")
	for _, f := range strings.FieldsFunc(claim, func(r rune) bool { return r == ',' || r == ' ' || r == '\t' || r == '\n' }) {
		switch f {
		case n.Read:
			s.Read = true
		case n.Write:
			s.Write = true
		case n.Bank:
			s.Bank = true
		}
	}
	return s
}

// Format is s as a scope claim: its names, space-separated.
func (n ScopeNames) Format(s Scopes) string {
	var out []string
	for _, v := range []struct {
		on   bool
		name string
	}{{s.Read, n.Read}, {s.Write, n.Write}, {s.Bank, n.Bank}} {
		if v.on {
			out = append(out, v.name)
		}
	}
	return strings.Join(out, " ")
}

type scopesKey struct{}

// WithScopes returns ctx carrying the caller's scopes. The Lambda functions set them from
// the JWT authorizer's claims, the local server from its -scopes flag.
func WithScopes(ctx context.Context, s Scopes) context.Context {
	return context.WithValue(ctx, scopesKey{}, s)
}

// ScopesFrom returns the scopes WithScopes put in ctx; none at all without.
func ScopesFrom(ctx context.Context) Scopes {
	s, _ := ctx.Value(scopesKey{}).(Scopes)
	return s
}

// WithFixedScopes serves every request of h with the scopes s: the local server (one
// developer, no identity provider) and tests.
func WithFixedScopes(h http.Handler, s Scopes) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h.ServeHTTP(w, r.WithContext(WithScopes(r.Context(), s)))
	})
}

// requireScope serves h only to a caller with the scope of the route's method: read for
// GET (and HEAD), write for the others. API Gateway checks the same before the Lambda
// runs; this holds when it did not (a misconfigured route, a direct invoke, make run).
func requireScope(method string, names ScopeNames, h handlerFunc) handlerFunc {
	return func(w http.ResponseWriter, r *http.Request) error {
		s := ScopesFrom(r.Context())
		need, ok := names.Write, s.Write
		if method == http.MethodGet || method == http.MethodHead {
			need, ok = names.Read, s.Read
		}
		if !ok {
			return errStatus(http.StatusForbidden, "this route needs the scope "+need)
		}
		return h(w, r)
	}
}

// maskingWriter holds a response back until the handler is done, then sends it with
// every IBAN masked (maskIBANs). It sits under every route of a caller without the bank
// scope, so no representation (an item, a list, include=all, a write's "changed", a
// conflict's "current", whatever a later route adds) can carry a full IBAN by oversight.
type maskingWriter struct {
	http.ResponseWriter
	buf    bytes.Buffer
	status int
}

func (m *maskingWriter) WriteHeader(code int) {
	if m.status == 0 {
		m.status = code
	}
}

func (m *maskingWriter) Write(b []byte) (int, error) {
	m.WriteHeader(http.StatusOK)
	return m.buf.Write(b)
}

// finish sends the held response. Masking keeps the length: a Content-Length set by
// the handler stays right.
func (m *maskingWriter) finish() {
	if m.status == 0 {
		return
	}
	m.ResponseWriter.WriteHeader(m.status)
	if m.buf.Len() > 0 {
		_, _ = m.ResponseWriter.Write(maskIBANs(m.buf.Bytes()))
	}
}

// ibanMember is how encoding/json writes the member "iban" with a string value. In
// its output a `"` directly after a letter always ends a string, and the one before
// `iban` can only start one (a closing quote is followed by : , } or ]), so the
// sequence occurs exactly where an object has a member named iban: a name or any other
// string value holding the text "iban":" is written with escaped quotes.
var ibanMember = []byte(`"iban":"`)

// ibanAttribute is the same member in DynamoDB's JSON (a stream record's image, should a
// route ever pass one on): {"iban":{"S":"DE…"}}.
var ibanAttribute = []byte(`"iban":{"S":"`)

// maskIBANs masks, in place, the value of every "iban" member of the JSON document b
// (encoding/json's compact output) with iban.Mask. A value with escapes or characters
// outside A–Z, 0–9 (never a valid IBAN) is masked entirely, so the result stays valid
// JSON without decoding it.
func maskIBANs(b []byte) []byte {
	return maskMembers(maskMembers(b, ibanMember), ibanAttribute)
}

// maskMembers masks the string after every occurrence of prefix in b (maskIBANs).
func maskMembers(b, prefix []byte) []byte {
	for i := 0; ; {
		j := bytes.Index(b[i:], prefix)
		if j < 0 {
			return b
		}
		start := i + j + len(prefix)
		end := start
		plain := true
		for end < len(b) && b[end] != '"' {
			if b[end] == '\\' {
				plain = false
				end++ // the escaped character, which may be a quote
			} else if c := b[end]; !('A' <= c && c <= 'Z' || '0' <= c && c <= '9' || 'a' <= c && c <= 'z') {
				plain = false
			}
			end++
		}
		if end > len(b) {
			end = len(b)
		}
		if plain {
			copy(b[start:end], iban.Mask(string(b[start:end])))
		} else {
			for k := start; k < end; k++ {
				b[k] = iban.MaskRune
			}
		}
		i = end
	}
}

// errBankScope is the 403 of a caller without the bank scope who sends an IBAN other
// than the masked one it read. It names the field and never the stored value, and it
// is the same whatever the stored value is, so it cannot be used to test a guess.
func errBankScope(names ScopeNames) error {
	return &statusError{status: http.StatusForbidden, detail: "setting or changing an IBAN needs the scope " + names.Bank,
		fields: []input.FieldError{{Field: "iban", Message: "send the value as read (masked) or leave it out; changing it needs the scope " + names.Bank}}}
}

// keepsIBAN reports whether sent, the IBAN a caller without the bank scope sent for an
// item whose stored IBAN is stored, leaves it as it is: both absent, or sent is exactly
// the masked stored value (the front end PUTs what it read). Sending the full stored
// IBAN does not count: accepting it would tell the caller its guess was right.
func keepsIBAN(sent, stored *string) bool {
	switch {
	case sent == nil || stored == nil:
		return sent == nil && stored == nil
	default:
		// Constant time, although the masked value is no secret to this caller: the
		// comparison then needs no argument about what its timing reveals.
		return subtle.ConstantTimeCompare([]byte(*sent), []byte(iban.Mask(*stored))) == 1
	}
}

// bankGuard enforces the bank scope on the writes of one request: what a caller
// without it may send as a bank account's IBAN. For callers with it, and for the other
// kinds, every method is a no-op.
type bankGuard struct {
	on    bool // the request writes a bank account without the bank scope
	names ScopeNames
}

func newBankGuard[T any](r *http.Request, names ScopeNames) bankGuard {
	_, isBank := any(new(T)).(*persons.BankAccount)
	return bankGuard{on: isBank && !ScopesFrom(r.Context()).Bank, names: names}
}

// create checks a new item: it may carry no IBAN.
func (g bankGuard) create(v any) error {
	if b, ok := v.(*persons.BankAccount); ok && g.on && b.IBAN != nil {
		return errBankScope(g.names)
	}
	return nil
}

// replace checks the new item v against the stored cur and puts the stored IBAN back
// in v when v carries the masked one.
func (g bankGuard) replace(v, cur any) error {
	b, ok := v.(*persons.BankAccount)
	if !ok || !g.on {
		return nil
	}
	stored := cur.(*persons.BankAccount).IBAN
	if !keepsIBAN(b.IBAN, stored) {
		return errBankScope(g.names)
	}
	b.IBAN = stored
	return nil
}

// patch checks a merge patch against the stored cur before it is applied: a caller
// without the bank scope may leave "iban" out or send the masked value (the front end
// sends what it read), nothing else. It returns the patch to apply, without the masked
// "iban" member, which keeps the stored IBAN. A body that is not a JSON object is left
// to the merge patch to reject.
func (g bankGuard) patch(patch []byte, cur any) ([]byte, error) {
	b, ok := cur.(*persons.BankAccount)
	if !ok || !g.on {
		return patch, nil
	}
	var members map[string]json.RawMessage
	if json.Unmarshal(patch, &members) != nil {
		return patch, nil
	}
	raw, present := members["iban"]
	if !present {
		return patch, nil
	}
	var sent *string
	if json.Unmarshal(raw, &sent) != nil || !keepsIBAN(sent, b.IBAN) {
		return nil, errBankScope(g.names)
	}
	// A duplicate "iban" member counts by its last value, as in encoding/json; the
	// rewritten patch has none, so the stored IBAN stays whatever the others said.
	delete(members, "iban")
	out, err := json.Marshal(members)
	if err != nil {
		return nil, fmt.Errorf("patch without iban: %w", err)
	}
	return out, nil
}
