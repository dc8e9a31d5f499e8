package main

import (
	"reflect"
	"strings"
	"testing"

	"github.com/personsapi/persons/pkg/api"
)

func TestParseConfig(t *testing.T) {
	for _, tc := range []struct {
		name    string
		ctx     map[string]string
		want    Config
		wantErr []string // substrings of the error; nil: no error
	}{
		{
			name: "defaults: prod, auth on, no CORS",
			want: Config{Stage: "prod", Auth: true, LambdaAssets: "bin/lambda", Scopes: api.DefaultScopeNames, OAuthCallbackURLs: []string{defaultOAuthCallbackURL}, LogRetentionDays: 365, Ops: OpsConfig{Deployment: "canary"}},
		},
		{
			name: "dev, external issuer, CORS, assets",
			ctx: map[string]string{
				"stage": "dev", "auth": "jwt", "jwtIssuer": "https://idp.example.com", "jwtAudience": " a , b ,",
				"corsOrigins": "https://app.example.com/, http://localhost:5173", "lambdaAssets": "/tmp/x",
			},
			want: Config{
				Stage: "dev", Auth: true, JWTIssuer: "https://idp.example.com", JWTAudience: []string{"a", "b"},
				CORSOrigins: []string{"https://app.example.com", "http://localhost:5173"}, LambdaAssets: "/tmp/x",
				Scopes: api.DefaultScopeNames, OAuthCallbackURLs: []string{defaultOAuthCallbackURL},
				LogRetentionDays: 30, Ops: OpsConfig{Deployment: "all-at-once"},
			},
		},
		{
			name: "auth none",
			ctx:  map[string]string{"auth": "none", "corsOrigins": "*"},
			want: Config{Stage: "prod", Auth: false, CORSOrigins: []string{"*"}, LambdaAssets: "bin/lambda", Scopes: api.DefaultScopeNames, OAuthCallbackURLs: []string{defaultOAuthCallbackURL}, LogRetentionDays: 365, Ops: OpsConfig{Deployment: "canary"}},
		},
		{name: "bad stage", ctx: map[string]string{"stage": "Prod_1"}, wantErr: []string{"stage="}},
		{name: "bad deployment", ctx: map[string]string{"deployment": "blue-green"}, wantErr: []string{`deployment="blue-green": want canary, linear or all-at-once`}},
		{name: "bad auth", ctx: map[string]string{"auth": "off"}, wantErr: []string{"auth=\"off\""}},
		{name: "issuer without audience", ctx: map[string]string{"jwtIssuer": "https://idp.example.com"}, wantErr: []string{"jwtAudience is not"}},
		{name: "audience without issuer", ctx: map[string]string{"jwtAudience": "a"}, wantErr: []string{"jwtIssuer is not"}},
		{name: "http issuer", ctx: map[string]string{"jwtIssuer": "http://idp", "jwtAudience": "a"}, wantErr: []string{"https URL"}},
		{name: "issuer with auth none", ctx: map[string]string{"auth": "none", "jwtIssuer": "https://idp"}, wantErr: []string{"auth=none"}},
		{
			name:    "origins with paths, every error at once",
			ctx:     map[string]string{"stage": "-x", "corsOrigins": "https://a.example.com/app, example.com"},
			wantErr: []string{"stage=", `corsOrigins: "https://a.example.com/app", "example.com" are not origins`},
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := parseConfig(func(k string) string { return tc.ctx[k] })
			if tc.wantErr == nil {
				if err != nil || !reflect.DeepEqual(got, tc.want) {
					t.Errorf("got %+v, %v; want %+v", got, err, tc.want)
				}
				return
			}
			if err == nil {
				t.Fatalf("no error for %v", tc.ctx)
			}
			for _, w := range tc.wantErr {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q lacks %q", err, w)
				}
			}
		})
	}
}

func TestThrowaway(t *testing.T) {
	for stage, want := range map[string]bool{"dev": true, "test": true, "prod": false, "staging": false, "devel": false} {
		if got := (Config{Stage: stage}).Throwaway(); got != want {
			t.Errorf("stage %s: throwaway %v, want %v", stage, got, want)
		}
	}
}
