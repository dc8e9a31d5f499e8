package lambdaapp_test

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"strings"
	"testing"

	"github.com/aws/aws-lambda-go/events"

	"github.com/personsapi/persons/pkg/api"
	"github.com/personsapi/persons/pkg/ddbtest"
	"github.com/personsapi/persons/pkg/deploy"
	"github.com/personsapi/persons/pkg/lambdaapp"
	"github.com/personsapi/persons/pkg/persons"
	"github.com/personsapi/persons/pkg/rie"
)

const (
	testIBAN       = "DE89370400440532013000"
	testIBANMasked = "DE****************3000"
)

// claimSets are JWT authorizer claims as API Gateway puts them in the event, and the
// scopes each grants.
var claimSets = []struct {
	name   string
	claims map[string]string
	want   api.Scopes
}{
	{"no authorizer", noClaims, api.Scopes{}},
	{"claims without scope", map[string]string{"sub": "u1", "token_use": "access"}, api.Scopes{}},
	{"unknown scopes", map[string]string{"sub": "u1", "scope": "openid email persons/admin"}, api.Scopes{}},
	{"read", map[string]string{"sub": "u1", "scope": "persons/read"}, api.Scopes{Read: true}},
	{"write", map[string]string{"sub": "u1", "scope": "persons/write"}, api.Scopes{Write: true}},
	{"read write", map[string]string{"sub": "u1", "scope": "persons/read persons/write"}, api.Scopes{Read: true, Write: true}},
	{"read bank", map[string]string{"sub": "u1", "scope": "persons/bank persons/read"}, api.Scopes{Read: true, Bank: true}},
	{"all", fullClaims, api.Scopes{Read: true, Write: true, Bank: true}},
	// Okta's scp is an array claim, which API Gateway renders as "[a b]".
	{"scp array", map[string]string{"sub": "u1", "scp": "[persons/read persons/write]"}, api.Scopes{Read: true, Write: true}},
}

// body decodes a response body, base64 or not.
func body(t *testing.T, res events.APIGatewayV2HTTPResponse) string {
	t.Helper()
	if !res.IsBase64Encoded {
		return res.Body
	}
	b, err := base64.StdEncoding.DecodeString(res.Body)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// routeRequest is a request for rt on a fresh person (and item, for item routes) that
// succeeds for a caller with the route's scope.
func routeRequest(t *testing.T, rt api.Route, store *persons.Store) request {
	ctx := context.Background()
	p, err := store.CreatePerson(ctx, persons.Person{FirstName: "Grace", LastName: "Hopper"})
	if err != nil {
		t.Fatal(err)
	}
	segment, _, _ := strings.Cut(strings.TrimPrefix(rt.Path, "/persons/{personId}/"), "/")
	r := request{route: rt.Pattern(), path: strings.ReplaceAll(rt.Path, "{personId}", p.ID), params: map[string]string{}}
	if strings.Contains(rt.Path, "{personId}") {
		r.params["personId"] = p.ID
	}
	if strings.Contains(rt.Path, "{id}") {
		// The item, created as a caller with every scope would.
		h, err := lambdaapp.Handler(ctx, api.FunctionFor(kindOf(segment)), slog.New(slog.NewJSONHandler(io.Discard, nil)))
		if err != nil {
			t.Fatal(err)
		}
		res := invokeAdapter(h)(t, event(t, request{route: "POST /persons/{personId}/" + segment, path: "/persons/" + p.ID + "/" + segment,
			params: map[string]string{"personId": p.ID}, headers: map[string]string{"content-type": "application/json"}, body: childBodies[segment]}, "fixture"))
		var item map[string]any
		if err := json.Unmarshal([]byte(body(t, res)), &item); err != nil || res.StatusCode != http.StatusCreated {
			t.Fatalf("fixture: %d %s", res.StatusCode, body(t, res))
		}
		r.params["id"] = item["id"].(string)
		r.path = strings.ReplaceAll(r.path, "{id}", item["id"].(string))
	}
	jsonCT := map[string]string{"content-type": "application/json"}
	switch {
	case rt.Pattern() == "POST /persons":
		r.headers, r.body = jsonCT, `{"firstName":"Ada","lastName":"Lovelace"}`
	case rt.Pattern() == "PATCH /persons/{personId}":
		r.headers, r.body = jsonCT, `{"firstName":"Augusta"}`
	case rt.Method == http.MethodPost || rt.Method == http.MethodPut:
		r.headers, r.body = jsonCT, childBodies[segment]
	case rt.Method == http.MethodPatch:
		r.headers, r.body = jsonCT, childPatches[segment]
	}
	return r
}

func kindOf(segment string) *persons.Kind {
	switch segment {
	case "addresses":
		return persons.KindOf[persons.Address]()
	case "bank-accounts":
		return persons.KindOf[persons.BankAccount]()
	case "contacts":
		return persons.KindOf[persons.ContactInfo]()
	case "employments":
		return persons.KindOf[persons.Employment]()
	}
	return nil
}

// Every claim set × every route of every function, as API Gateway v2 events through
// the Lambda adapter: a route without its scope is a 403 problem, with it the route
// works. Missing, empty or unknown claims grant nothing.
func TestScopesFromClaimsThroughAdapter(t *testing.T) {
	db, table := ddbtest.NewTable(t)
	for k, v := range localEnv(t, table) {
		t.Setenv(k, v)
	}
	store := persons.New(db, table)
	handlers := map[api.Function]invoker{}
	for _, fn := range api.Functions() {
		h, err := lambdaapp.Handler(context.Background(), fn, slog.New(slog.NewJSONHandler(io.Discard, nil)))
		if err != nil {
			t.Fatal(err)
		}
		handlers[fn] = invokeAdapter(h)
	}
	for _, cs := range claimSets {
		for _, rt := range api.Routes() {
			t.Run(cs.name+"/"+rt.Pattern(), func(t *testing.T) {
				r := routeRequest(t, rt, store)
				r.claims = cs.claims
				res := handlers[rt.Function](t, event(t, r, "req-1"))
				allowed := cs.want.Write
				if rt.Method == http.MethodGet {
					allowed = cs.want.Read
				}
				if allowed && res.StatusCode >= 300 || !allowed && res.StatusCode != http.StatusForbidden {
					t.Fatalf("allowed=%v: status %d; body %s", allowed, res.StatusCode, body(t, res))
				}
				if !allowed && header(res, "Content-Type") != api.ProblemContentType {
					t.Errorf("403 is not a problem: %s", header(res, "Content-Type"))
				}
			})
		}
	}
}

// bankAccountWithIBAN stores a person with a bank account holding testIBAN and returns
// the GET request of that account.
func bankAccountWithIBAN(t *testing.T, store *persons.Store) request {
	ctx := context.Background()
	p, err := store.CreatePerson(ctx, persons.Person{FirstName: "Grace", LastName: "Hopper"})
	if err != nil {
		t.Fatal(err)
	}
	iban := testIBAN
	a, err := persons.RelatedOf[persons.BankAccount](store).Create(ctx, p.ID, persons.BankAccount{
		BankName: "First", AccountType: "checking", AccountNumberLast4: "3000", IBAN: &iban})
	if err != nil {
		t.Fatal(err)
	}
	return request{route: "GET /persons/{personId}/bank-accounts/{id}", path: "/persons/" + p.ID + "/bank-accounts/" + a.Item.ID,
		params: map[string]string{"personId": p.ID, "id": a.Item.ID}}
}

// The IBAN a claim set sees through the adapter: in full with the bank scope, masked
// without; scope names of an external issuer (env) and the anonymous scopes of a stack
// without authorizer (env) apply.
func TestIBANByClaimsThroughAdapter(t *testing.T) {
	db, table := ddbtest.NewTable(t)
	for k, v := range localEnv(t, table) {
		t.Setenv(k, v)
	}
	store := persons.New(db, table)
	get := bankAccountWithIBAN(t, store)
	for _, tc := range []struct {
		name   string
		env    map[string]string
		claims map[string]string
		want   string // the iban seen; "" for a 403
	}{
		{"read", nil, map[string]string{"scope": "persons/read"}, testIBANMasked},
		{"read bank", nil, map[string]string{"scope": "persons/read persons/bank"}, testIBAN},
		{"no authorizer", nil, noClaims, ""},
		{"anonymous read write (auth=none)", map[string]string{deploy.EnvAnonymousScopes: "persons/read persons/write"}, noClaims, testIBANMasked},
		{"anonymous scopes ignored with claims", map[string]string{deploy.EnvAnonymousScopes: "persons/read persons/bank"}, map[string]string{"sub": "u"}, ""},
		{"external names", map[string]string{deploy.EnvScopeRead: "api://persons/Persons.Read", deploy.EnvScopeBank: "api://persons/Persons.Bank"},
			map[string]string{"scp": "api://persons/Persons.Read api://persons/Persons.Bank"}, testIBAN},
		{"external names, default ones no longer count", map[string]string{deploy.EnvScopeRead: "api://persons/Persons.Read"},
			map[string]string{"scope": "persons/read persons/bank"}, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			for k, v := range tc.env {
				t.Setenv(k, v)
			}
			h, err := lambdaapp.Handler(context.Background(), api.FunctionBankAccounts, slog.New(slog.NewJSONHandler(io.Discard, nil)))
			if err != nil {
				t.Fatal(err)
			}
			r := get
			r.claims = tc.claims
			res := invokeAdapter(h)(t, event(t, r, "req-2"))
			if tc.want == "" {
				if res.StatusCode != http.StatusForbidden {
					t.Fatalf("status %d, want 403; %s", res.StatusCode, body(t, res))
				}
				return
			}
			var a map[string]any
			if err := json.Unmarshal([]byte(body(t, res)), &a); err != nil || res.StatusCode != http.StatusOK {
				t.Fatalf("status %d: %s", res.StatusCode, body(t, res))
			}
			if a["iban"] != tc.want {
				t.Errorf("iban %v, want %s", a["iban"], tc.want)
			}
		})
	}
	t.Setenv(deploy.EnvScopeWrite, "persons/read")
	if _, err := lambdaapp.Handler(context.Background(), api.FunctionBankAccounts, slog.Default()); err == nil || !strings.Contains(err.Error(), deploy.EnvScopeWrite) {
		t.Errorf("two scopes of one name: %v", err)
	}
}

// Under the Lambda emulator, the real function binary: an event without claims may do
// nothing; a token with persons/read reads the IBAN masked, one with persons/bank too
// in full.
func TestScopesUnderEmulator(t *testing.T) {
	if testing.Short() {
		t.Skip("builds a Lambda binary")
	}
	db, table := ddbtest.NewTable(t)
	store := persons.New(db, table)
	get := bankAccountWithIBAN(t, store)
	fnc := rie.Start(t, rie.Build(t, "./functions/bankaccounts"), localEnv(t, table))
	invoke := func(r request) (int, string) {
		var res events.APIGatewayV2HTTPResponse
		out := fnc.Invoke(t, event(t, r, "rie-1"))
		if err := json.Unmarshal(out, &res); err != nil || res.StatusCode == 0 {
			t.Fatalf("not an HTTP response: %s (%v)", out, err)
		}
		return res.StatusCode, body(t, res)
	}
	r := get
	r.claims = noClaims
	if status, b := invoke(r); status != http.StatusForbidden || strings.Contains(b, "0532013") {
		t.Errorf("no claims: %d %s", status, b)
	}
	post := request{route: "POST /persons/{personId}/bank-accounts", path: strings.TrimSuffix(get.path, "/"+get.params["id"]),
		params: map[string]string{"personId": get.params["personId"]}, headers: map[string]string{"content-type": "application/json"},
		body: childBodies["bank-accounts"], claims: noClaims}
	if status, b := invoke(post); status != http.StatusForbidden {
		t.Errorf("no claims, POST: %d %s", status, b)
	}
	r.claims = map[string]string{"scope": "persons/read"}
	if status, b := invoke(r); status != http.StatusOK || !strings.Contains(b, `"iban":"`+testIBANMasked+`"`) || strings.Contains(b, testIBAN) {
		t.Errorf("persons/read: %d %s", status, b)
	}
	r.claims = map[string]string{"scope": "persons/read persons/bank"}
	if status, b := invoke(r); status != http.StatusOK || !strings.Contains(b, `"iban":"`+testIBAN+`"`) {
		t.Errorf("persons/bank: %d %s", status, b)
	}
}
