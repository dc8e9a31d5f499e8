package main

import (
	"errors"
	"fmt"
	"net/url"
	"regexp"
	"slices"
	"strings"

	"github.com/personsapi/persons/pkg/api"
	"github.com/personsapi/persons/pkg/cors"
	"github.com/personsapi/persons/pkg/deploy"
)

// Context keys the app reads (`cdk synth -c key=value`, or cdk.json's "context").
const (
	ctxStage        = "stage"
	ctxAuth         = "auth"
	ctxJWTIssuer    = "jwtIssuer"
	ctxJWTAudience  = "jwtAudience"
	ctxCORSOrigins  = "corsOrigins"
	ctxLambdaAssets = "lambdaAssets"
	// ctxCursorKeysVersion pins the version of the cursor-keys secret the functions get
	// (a rotation step); empty means the current one at the time of the deploy.
	ctxCursorKeysVersion = "cursorKeysVersion"
	// The scope names of an external issuer (jwtIssuer) for the API's read, write and
	// bank scopes; the stack's own Cognito pool always uses persons/read, persons/write
	// and persons/bank.
	ctxScopeRead  = "scopeRead"
	ctxScopeWrite = "scopeWrite"
	ctxScopeBank  = "scopeBank"
	// ctxOAuthCallbackURLs are the redirect URLs (comma-separated) of the Cognito app
	// client's authorization code flow; ctxCognitoDomainPrefix the prefix of the pool's
	// Cognito domain (its OAuth endpoints), by default persons-<stage>-<account id>.
	ctxOAuthCallbackURLs   = "oauthCallbackUrls"
	ctxCognitoDomainPrefix = "cognitoDomainPrefix"
	// ctxKMSKeyARN names a customer-managed KMS key of the operator's to encrypt the
	// table with; without it the stack creates one.
	ctxKMSKeyARN = "kmsKeyArn"
)

// defaultOAuthCallbackURL is where a local tool (the README's recipe) receives the
// authorization code.
const defaultOAuthCallbackURL = "http://localhost:8400/callback"

// defaultLambdaAssets is where `make build` puts bin/lambda/<function>/bootstrap,
// relative to the repository root (where the cdk CLI runs the app).
const defaultLambdaAssets = "bin/lambda"

// throwawayStages are the stages whose data may be lost: their table, user pool and log
// groups are destroyed with the stack and have no deletion protection. Any other stage
// (the default "prod", or "staging", ...) keeps them, so a typo never costs data.
var throwawayStages = []string{"dev", "test"}

// Config is everything the stack varies on, parsed from the CDK context.
type Config struct {
	Stage string
	// Auth is false only when the deployer asked for auth=none.
	Auth bool
	// JWTIssuer and JWTAudience name an external identity provider; when JWTIssuer is
	// empty (and Auth is on) the stack creates a Cognito user pool instead.
	JWTIssuer   string
	JWTAudience []string
	// CORSOrigins are the browser origins the API answers CORS preflights for; none
	// means no CORS configuration, so browsers on other origins are refused.
	CORSOrigins []string
	// LambdaAssets holds <function>/bootstrap for every function.
	LambdaAssets string
	// CursorKeysVersion is the version id of the cursor-keys secret to deploy, or "".
	CursorKeysVersion string
	// Scopes are the scope names in the callers' tokens: api.DefaultScopeNames, or an
	// external issuer's (scopeRead, scopeWrite, scopeBank).
	Scopes api.ScopeNames
	// OAuthCallbackURLs and CognitoDomainPrefix configure the stack's Cognito pool.
	OAuthCallbackURLs   []string
	CognitoDomainPrefix string
	// KMSKeyARN is the operator's key for the table, or "" for one the stack creates.
	KMSKeyARN string
	// Account and Region pin the stack's environment; "" leaves that part
	// environment-agnostic (stages.go).
	Account, Region string
	// LogRetentionDays is the retention of the functions' and the access logs, one of
	// logRetentions' keys (stages.go).
	LogRetentionDays int
	// Ops are the logging, alarm and dashboard settings (opsconfig.go).
	Ops OpsConfig
}

// Throwaway reports whether the stage's data may be destroyed with the stack.
func (c Config) Throwaway() bool { return slices.Contains(throwawayStages, c.Stage) }

// StackName is the CloudFormation stack name of the stage.
func (c Config) StackName() string { return deploy.StackName(c.Stage) }

var stageRE = regexp.MustCompile(`^[a-z][a-z0-9-]{0,19}$`)

// kmsKeyARNRE is a KMS key ARN: the table's SSE names a key, not an alias.
var kmsKeyARNRE = regexp.MustCompile(`^arn:aws[a-z-]*:kms:[a-z0-9-]+:\d{12}:key/[A-Za-z0-9-]+$`)

// parseConfig reads the configuration through lookup, which returns a context value
// or "" when it is unset, and reports every invalid value at once. loadConfig
// (stages.go) gives it the flat context over the stage's settings.
func parseConfig(lookup func(key string) string) (Config, error) {
	c := Config{
		Stage:        strings.TrimSpace(lookup(ctxStage)),
		Auth:         true,
		JWTIssuer:    strings.TrimSpace(lookup(ctxJWTIssuer)),
		JWTAudience:  splitList(lookup(ctxJWTAudience)),
		LambdaAssets: strings.TrimSpace(lookup(ctxLambdaAssets)),

		CursorKeysVersion:   strings.TrimSpace(lookup(ctxCursorKeysVersion)),
		OAuthCallbackURLs:   splitList(lookup(ctxOAuthCallbackURLs)),
		CognitoDomainPrefix: strings.TrimSpace(lookup(ctxCognitoDomainPrefix)),
		KMSKeyARN:           strings.TrimSpace(lookup(ctxKMSKeyARN)),
	}
	if len(c.OAuthCallbackURLs) == 0 {
		c.OAuthCallbackURLs = []string{defaultOAuthCallbackURL}
	}
	if c.Stage == "" {
		c.Stage = deploy.DefaultStage
	}
	if c.LambdaAssets == "" {
		c.LambdaAssets = defaultLambdaAssets
	}
	var errs []error
	if !stageRE.MatchString(c.Stage) {
		errs = append(errs, fmt.Errorf("%s=%q: want a lower-case letter, then up to 19 of a-z 0-9 -", ctxStage, c.Stage))
	}
	switch auth := strings.TrimSpace(lookup(ctxAuth)); auth {
	case "", "jwt":
	case "none":
		c.Auth = false
	default:
		errs = append(errs, fmt.Errorf("%s=%q: want jwt (the default) or none", ctxAuth, auth))
	}
	switch {
	case !c.Auth && (c.JWTIssuer != "" || len(c.JWTAudience) > 0):
		errs = append(errs, fmt.Errorf("%s/%s make no sense with %s=none", ctxJWTIssuer, ctxJWTAudience, ctxAuth))
	case c.JWTIssuer == "" && len(c.JWTAudience) > 0:
		errs = append(errs, fmt.Errorf("%s is set but %s is not", ctxJWTAudience, ctxJWTIssuer))
	case c.JWTIssuer != "":
		if u, err := url.Parse(c.JWTIssuer); err != nil || u.Scheme != "https" || u.Host == "" {
			errs = append(errs, fmt.Errorf("%s=%q: want an https URL", ctxJWTIssuer, c.JWTIssuer))
		}
		if len(c.JWTAudience) == 0 {
			// API Gateway's JWT authorizer requires at least one audience.
			errs = append(errs, fmt.Errorf("%s is set but %s is not: API Gateway needs the audience (client id) to accept", ctxJWTIssuer, ctxJWTAudience))
		}
	}
	scopeEnv := map[string]string{}
	for key, env := range map[string]string{ctxScopeRead: deploy.EnvScopeRead, ctxScopeWrite: deploy.EnvScopeWrite, ctxScopeBank: deploy.EnvScopeBank} {
		if v := strings.TrimSpace(lookup(key)); v != "" {
			if c.JWTIssuer == "" {
				errs = append(errs, fmt.Errorf("%s is for an external issuer (%s): the stack's Cognito pool names its scopes persons/read, persons/write and persons/bank", key, ctxJWTIssuer))
			}
			scopeEnv[env] = v
		}
	}
	names, err := api.ScopeNamesFromEnv(func(k string) string { return scopeEnv[k] }, deploy.EnvScopeRead, deploy.EnvScopeWrite, deploy.EnvScopeBank)
	if err != nil {
		errs = append(errs, fmt.Errorf("%s/%s/%s: %w", ctxScopeRead, ctxScopeWrite, ctxScopeBank, err))
	}
	c.Scopes = names
	if c.KMSKeyARN != "" && !kmsKeyARNRE.MatchString(c.KMSKeyARN) {
		errs = append(errs, fmt.Errorf("%s=%q: want a key ARN, arn:aws:kms:<region>:<account>:key/<id>", ctxKMSKeyARN, c.KMSKeyARN))
	}
	for _, u := range c.OAuthCallbackURLs {
		if pu, err := url.Parse(u); err != nil || pu.Host == "" || (pu.Scheme != "https" && pu.Hostname() != "localhost") {
			errs = append(errs, fmt.Errorf("%s: %q: want an https URL, or http on localhost", ctxOAuthCallbackURLs, u))
		}
	}
	origins, err := cors.ParseOrigins(lookup(ctxCORSOrigins))
	if err != nil {
		errs = append(errs, fmt.Errorf("%s: %w", ctxCORSOrigins, err))
	}
	c.CORSOrigins = origins
	errs = append(errs, parseTarget(lookup, &c)...)
	if c.Ops, err = parseOpsConfig(lookup); err != nil {
		errs = append(errs, err)
	}
	if c.Ops.Deployment, err = parseDeployment(lookup(ctxDeployment), c.Throwaway()); err != nil {
		errs = append(errs, err)
	}
	return c, errors.Join(errs...)
}

// splitList splits a comma-separated context value, dropping blanks.
func splitList(s string) []string {
	var out []string
	for _, f := range strings.Split(s, ",") {
		if f = strings.TrimSpace(f); f != "" {
			out = append(out, f)
		}
	}
	return out
}
