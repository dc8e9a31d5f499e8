package main

import (
	"encoding/json"
	"slices"
	"strings"
	"testing"

	"github.com/personsapi/persons/pkg/api"
	"github.com/personsapi/persons/pkg/deploy"
)

var externalScopes = map[string]string{
	ctxJWTIssuer:   "https://login.example.com/tenant/v2.0",
	ctxJWTAudience: "api://persons",
	ctxScopeRead:   "api://persons/Persons.Read",
	ctxScopeWrite:  "api://persons/Persons.Write",
	ctxScopeBank:   "api://persons/Persons.Bank",
}

// Every route requires the scope of its method in the authorizer: read for GET, write
// for the others, under the names of the issuer.
func TestRouteAuthorizationScopes(t *testing.T) {
	for name, tc := range map[string]struct {
		ctx         map[string]string
		read, write string
	}{
		"cognito":                 {defaults, "persons/read", "persons/write"},
		"external, default names": {externalIdP, "persons/read", "persons/write"},
		"external, own names":     {externalScopes, "api://persons/Persons.Read", "api://persons/Persons.Write"},
	} {
		t.Run(name, func(t *testing.T) {
			tpl := synth(t, tc.ctx, nil).tpl
			seen := 0
			for _, id := range tpl.ofType("AWS::ApiGatewayV2::Route") {
				p := tpl.Resources[id].Properties
				method, _, _ := strings.Cut(p["RouteKey"].(string), " ")
				want := tc.write
				if method == "GET" {
					want = tc.read
				}
				if !sameJSON(p["AuthorizationScopes"], []any{want}) {
					t.Errorf("%s: scopes %s, want [%s]", p["RouteKey"], js(p["AuthorizationScopes"]), want)
				}
				seen++
			}
			if seen != len(api.Routes()) {
				t.Errorf("%d routes", seen)
			}
			// The functions look for the same names.
			for _, id := range tpl.ofType("AWS::Lambda::Function") {
				env, _ := tpl.Resources[id].Properties["Environment"].(map[string]any)
				vars, _ := env["Variables"].(map[string]any)
				if vars[deploy.EnvCursorKeys] == nil {
					continue // the seed function serves no route
				}
				if vars[deploy.EnvScopeRead] != tc.read || vars[deploy.EnvScopeWrite] != tc.write || vars[deploy.EnvAnonymousScopes] != nil {
					t.Errorf("function %s: scope env %s", id, js(vars))
				}
			}
		})
	}
	// Without an authorizer the functions grant read and write (not bank) to everyone.
	tpl := synth(t, authNone, nil).tpl
	for _, id := range tpl.ofType("AWS::Lambda::Function") {
		vars, _ := tpl.Resources[id].Properties["Environment"].(map[string]any)["Variables"].(map[string]any)
		if vars[deploy.EnvCursorKeys] != nil && vars[deploy.EnvAnonymousScopes] != "persons/read persons/write" {
			t.Errorf("auth=none function %s: %s", id, js(vars))
		}
	}
}

// The stack's Cognito pool has a resource server with the three scopes; the public
// client (authorization code) and the service client (client credentials) may ask for
// them, through the pool's domain; the authorizer accepts both clients.
func TestCognitoScopes(t *testing.T) {
	v := synth(t, defaults, nil)
	tpl := v.tpl
	rsID := only(t, tpl.ofType("AWS::Cognito::UserPoolResourceServer"), "resource servers")
	rs := tpl.Resources[rsID].Properties
	if rs["Identifier"] != "persons" {
		t.Errorf("resource server identifier %v", rs["Identifier"])
	}
	var names []string
	for _, sc := range list(rs["Scopes"]) {
		names = append(names, sc.(map[string]any)["ScopeName"].(string))
	}
	if slices.Sort(names); !slices.Equal(names, []string{"bank", "read", "write"}) {
		t.Errorf("resource server scopes %v", names)
	}
	only(t, tpl.ofType("AWS::Cognito::UserPoolDomain"), "user pool domains")
	clients := tpl.ofType("AWS::Cognito::UserPoolClient")
	if len(clients) != 2 {
		t.Fatalf("clients %v, want the public and the service client", clients)
	}
	scopeRef := func(s string) string { return js(map[string]any{"Fn::Join": []any{"", []any{ref(rsID), "/" + s}}}) }
	for _, id := range clients {
		p := tpl.Resources[id].Properties
		got := js(p["AllowedOAuthScopes"])
		for _, s := range []string{"read", "write", "bank"} {
			if !strings.Contains(got, scopeRef(s)) {
				t.Errorf("client %s: scopes %s lack persons/%s", id, got, s)
			}
		}
		flows := list(p["AllowedOAuthFlows"])
		switch p["GenerateSecret"] {
		case true:
			if !sameJSON(flows, []any{"client_credentials"}) {
				t.Errorf("service client %s flows %v", id, flows)
			}
		default:
			if !sameJSON(flows, []any{"code"}) || !strings.Contains(js(p["CallbackURLs"]), defaultOAuthCallbackURL) {
				t.Errorf("public client %s flows %v callbacks %v", id, flows, p["CallbackURLs"])
			}
		}
	}
	authz := tpl.Resources[only(t, tpl.ofType("AWS::ApiGatewayV2::Authorizer"), "authorizers")].Properties
	aud := list(authz["JwtConfiguration"].(map[string]any)["Audience"])
	if len(aud) != 2 || !sameJSON(aud[0], ref(clients[0])) && !sameJSON(aud[0], ref(clients[1])) {
		t.Errorf("audience %s, want both clients", js(aud))
	}
	if len(v.nagErrors) != 0 {
		t.Errorf("cdk-nag: %v", v.nagErrors)
	}
	if len(synth(t, externalScopes, nil).nagErrors) != 0 {
		t.Error("cdk-nag errors with an external issuer's scopes")
	}
}

func TestScopeConfig(t *testing.T) {
	lookup := func(m map[string]string) func(string) string { return func(k string) string { return m[k] } }
	c, err := parseConfig(lookup(externalScopes))
	if err != nil || c.Scopes != (api.ScopeNames{Read: "api://persons/Persons.Read", Write: "api://persons/Persons.Write", Bank: "api://persons/Persons.Bank"}) {
		t.Errorf("external scopes: %+v %v", c.Scopes, err)
	}
	c, err = parseConfig(lookup(nil))
	if err != nil || c.Scopes != api.DefaultScopeNames {
		t.Errorf("defaults: %+v %v", c.Scopes, err)
	}
	for name, bad := range map[string]map[string]string{
		"scope without issuer": {ctxScopeRead: "x/read"},
		"space in a name":      {ctxJWTIssuer: "https://i.example.com", ctxJWTAudience: "a", ctxScopeBank: "bank all"},
		"two of one name":      {ctxJWTIssuer: "https://i.example.com", ctxJWTAudience: "a", ctxScopeWrite: "persons/read"},
		"http callback":        {ctxOAuthCallbackURLs: "http://app.example.com/cb"},
		"kms alias":            {ctxKMSKeyARN: "alias/persons"},
	} {
		if _, err := parseConfig(lookup(bad)); err == nil {
			t.Errorf("%s: no error", name)
		}
	}
}

// API Gateway's access log line stays free of personal data: only the variables below
// (no body, query string, header or claim other than the token's opaque sub). A new
// field has to be added here, on purpose.
func TestGatewayAccessLogFields(t *testing.T) {
	allowed := []string{"$context.requestId", "$context.requestTimeEpoch", "$context.identity.sourceIp",
		"$context.identity.userAgent", "$context.httpMethod", "$context.path", "$context.routeKey", "$context.status",
		"$context.protocol", "$context.responseLength", "$context.responseLatency", "$context.integrationErrorMessage",
		"$context.integration.latency", "$context.authorizer.error", "$context.authorizer.claims.sub"}
	var f map[string]string
	if err := json.Unmarshal([]byte(accessLogFormat), &f); err != nil {
		t.Fatal(err)
	}
	for k, v := range f {
		if !slices.Contains(allowed, v) {
			t.Errorf("access log field %s = %s is not on the list of fields without personal data", k, v)
		}
	}
	tpl := synth(t, defaults, nil).tpl
	stage := tpl.Resources[only(t, tpl.ofType("AWS::ApiGatewayV2::Stage"), "stages")].Properties
	if got := stage["AccessLogSettings"].(map[string]any)["Format"]; got != accessLogFormat {
		t.Errorf("stage access log format %v", got)
	}
}
