package api

import (
	"encoding/json"
	"testing"
)

func TestParseScopes(t *testing.T) {
	n := DefaultScopeNames
	for _, tc := range []struct {
		claim string
		want  Scopes
	}{
		{"", Scopes{}},
		{"persons/read", Scopes{Read: true}},
		{"persons/read persons/write", Scopes{Read: true, Write: true}},
		{"openid persons/bank  persons/read", Scopes{Read: true, Bank: true}},
		{"[persons/read persons/write persons/bank]", Scopes{Read: true, Write: true, Bank: true}}, // an array claim as API Gateway renders it
		{"persons/read,persons/write", Scopes{Read: true, Write: true}},
		{"persons/readx persons/Write persons /bank", Scopes{}}, // near misses grant nothing
		{"\x00\xff{garbage", Scopes{}},
	} {
		if got := n.Parse(tc.claim); got != tc.want {
			t.Errorf("Parse(%q) = %+v, want %+v", tc.claim, got, tc.want)
		}
	}
	if got := n.Format(Scopes{Read: true, Bank: true}); got != "persons/read persons/bank" {
		t.Errorf("Format = %q", got)
	}
}

func TestScopeNamesFromEnv(t *testing.T) {
	env := func(m map[string]string) func(string) string { return func(k string) string { return m[k] } }
	n, err := ScopeNamesFromEnv(env(nil), "R", "W", "B")
	if err != nil || n != DefaultScopeNames {
		t.Errorf("defaults: %+v %v", n, err)
	}
	n, err = ScopeNamesFromEnv(env(map[string]string{"R": "api://p/Read", "B": "bank.full"}), "R", "W", "B")
	if err != nil || n != (ScopeNames{"api://p/Read", "persons/write", "bank.full"}) {
		t.Errorf("custom: %+v %v", n, err)
	}
	for _, bad := range []map[string]string{{"R": "a b"}, {"W": "a,b"}, {"R": "persons/write"}} {
		if _, err := ScopeNamesFromEnv(env(bad), "R", "W", "B"); err == nil {
			t.Errorf("%v: no error", bad)
		}
	}
}

func TestMaskIBANs(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{`{"iban":"DE89370400440532013000","bic":"X"}`, `{"iban":"DE****************3000","bic":"X"}`},
		{`{"iban":null}`, `{"iban":null}`},
		{`[{"iban":"GB82WEST12345698765432"},{"iban":"NO9386011117947"}]`, `[{"iban":"GB****************5432"},{"iban":"NO*********7947"}]`},
		// Text that looks like the member inside a string value is escaped, so untouched.
		{`{"lastName":"\"iban\":\"DE89370400440532013000"}`, `{"lastName":"\"iban\":\"DE89370400440532013000"}`},
		// A stored value that is no IBAN is hidden entirely, escapes included.
		{`{"iban":"a\"b\\c\u00e9-12345"}`, `{"iban":"*******************"}`},
		{`{"iban":"short"}`, `{"iban":"*****"}`},
		{`{"NewImage":{"iban":{"S":"DE89370400440532013000"},"bic":{"S":"X"}}}`, `{"NewImage":{"iban":{"S":"DE****************3000"},"bic":{"S":"X"}}}`},
		{`{"iban":"unterminated`, `{"iban":"un******ated`}, // never encoding/json output; no panic
	} {
		got := string(maskIBANs([]byte(tc.in)))
		if got != tc.want {
			t.Errorf("maskIBANs(%s) = %s, want %s", tc.in, got, tc.want)
		}
		if len(got) != len(tc.in) {
			t.Errorf("maskIBANs(%s): length changed", tc.in)
		}
		if json.Valid([]byte(tc.in)) && !json.Valid([]byte(got)) {
			t.Errorf("maskIBANs(%s) = %s is not JSON", tc.in, got)
		}
	}
}
