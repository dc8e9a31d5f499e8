package main

import (
	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsapigatewayv2authorizers"
	"github.com/aws/aws-cdk-go/awscdk/v2/awscognito"
	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"
	"github.com/cdklabs/cdk-nag-go/cdknag/v2"

	"github.com/personsapi/persons/pkg/api"
	"github.com/personsapi/persons/pkg/deploy"
)

// Auth is the JWT authorizer every API route carries, and the Cognito user pool behind
// it when the deployer named no issuer of their own.
type Auth struct {
	Authorizer awsapigatewayv2authorizers.HttpJwtAuthorizer
	Issuer     *string
	Audience   []*string
	UserPool   awscognito.UserPool       // nil with an external issuer
	Client     awscognito.UserPoolClient // nil with an external issuer
	// ServiceClient is the pool's confidential client for machines (client
	// credentials); Domain hosts the pool's OAuth endpoints. Both nil with an external
	// issuer.
	ServiceClient  awscognito.UserPoolClient
	Domain         awscognito.UserPoolDomain
	ResourceServer awscognito.UserPoolResourceServer
	// Scopes are the scope names the routes require and the functions look for.
	Scopes api.ScopeNames
}

// resourceServerID is the identifier of the pool's resource server: its scopes are
// "persons/<name>" in tokens, api.DefaultScopeNames.
const resourceServerID = "persons"

// routeScope is the scope a route's method needs: read for GET, write for the others.
// persons/bank guards fields, not routes: the functions mask IBANs without it.
func routeScope(n api.ScopeNames, method string) string {
	if method == "GET" || method == "HEAD" {
		return n.Read
	}
	return n.Write
}

// scopeEnv is what tells the API functions the scope names: always set, so the function
// and the authorizer cannot disagree about them.
func scopeEnv(cfg Config) map[string]*string {
	env := map[string]*string{
		deploy.EnvScopeRead:  jsii.String(cfg.Scopes.Read),
		deploy.EnvScopeWrite: jsii.String(cfg.Scopes.Write),
		deploy.EnvScopeBank:  jsii.String(cfg.Scopes.Bank),
	}
	if !cfg.Auth {
		// No authorizer: no request carries claims. The deployer chose an open API;
		// it reads and writes, but IBANs stay masked.
		env[deploy.EnvAnonymousScopes] = jsii.String(cfg.Scopes.Read + " " + cfg.Scopes.Write)
	}
	return env
}

// newAuth builds the authorizer for cfg.JWTIssuer/cfg.JWTAudience, or creates a user
// pool and an app client and trusts those. Either way it is a plain JWT authorizer:
// one code path, and Cognito's access tokens pass it (API Gateway matches the
// audience against their client_id claim).
func newAuth(scope constructs.Construct, id string, cfg Config) *Auth {
	c := constructs.NewConstruct(scope, jsii.String(id))
	a := &Auth{Issuer: jsii.String(cfg.JWTIssuer), Audience: *jsii.Strings(cfg.JWTAudience...), Scopes: cfg.Scopes}
	if cfg.JWTIssuer == "" {
		a.UserPool = awscognito.NewUserPool(c, jsii.String("UserPool"), &awscognito.UserPoolProps{
			// Users are created by an administrator (see the README), never by sign-up.
			SelfSignUpEnabled: jsii.Bool(false),
			SignInAliases:     &awscognito.SignInAliases{Email: jsii.Bool(true)},
			AccountRecovery:   awscognito.AccountRecovery_EMAIL_ONLY,
			PasswordPolicy: &awscognito.PasswordPolicy{
				MinLength:            jsii.Number(12),
				RequireLowercase:     jsii.Bool(true),
				RequireUppercase:     jsii.Bool(true),
				RequireDigits:        jsii.Bool(true),
				RequireSymbols:       jsii.Bool(true),
				TempPasswordValidity: awscdk.Duration_Days(jsii.Number(3)),
			},
			// Users may turn on TOTP; see the COG2 suppression for why it is not forced.
			Mfa:                awscognito.Mfa_OPTIONAL,
			MfaSecondFactor:    &awscognito.MfaSecondFactor{Otp: jsii.Bool(true), Sms: jsii.Bool(false)},
			FeaturePlan:        awscognito.FeaturePlan_ESSENTIALS,
			DeletionProtection: jsii.Bool(!cfg.Throwaway()),
			RemovalPolicy:      cfg.removalPolicy(),
		})
		// The API's scopes. Cognito puts resource-server scopes into access tokens
		// issued through its OAuth endpoints only (not USER_PASSWORD_AUTH/SRP sign-ins,
		// whose tokens carry aws.cognito.signin.user.admin and would be refused by every
		// route): hence a domain, and OAuth flows on both clients.
		var rsScopes []awscognito.ResourceServerScope
		for _, sc := range []struct{ name, desc string }{
			{"read", "read persons and their related items (IBANs masked)"},
			{"write", "create, change and delete persons and their related items"},
			{"bank", "see full IBANs and set or change them"},
		} {
			rsScopes = append(rsScopes, awscognito.NewResourceServerScope(&awscognito.ResourceServerScopeProps{
				ScopeName: jsii.String(sc.name), ScopeDescription: jsii.String(sc.desc)}))
		}
		a.ResourceServer = a.UserPool.AddResourceServer(jsii.String("ResourceServer"), &awscognito.UserPoolResourceServerOptions{
			Identifier:                 jsii.String(resourceServerID),
			UserPoolResourceServerName: jsii.String("persons API"),
			Scopes:                     &rsScopes,
		})
		var oauthScopes []awscognito.OAuthScope
		for _, sc := range rsScopes {
			oauthScopes = append(oauthScopes, awscognito.OAuthScope_ResourceServer(a.ResourceServer, sc))
		}
		// Users also get openid (the ID token names who signed in).
		userScopes := append([]awscognito.OAuthScope{awscognito.OAuthScope_OPENID()}, oauthScopes...)
		prefix := cfg.CognitoDomainPrefix
		if prefix == "" {
			// Cognito prefixes are unique per region across all accounts: the account id
			// makes this one unique, the stage lets stages share an account.
			prefix = "persons-" + cfg.Stage + "-" + *awscdk.Aws_ACCOUNT_ID()
		}
		a.Domain = a.UserPool.AddDomain(jsii.String("Domain"), &awscognito.UserPoolDomainOptions{
			CognitoDomain: &awscognito.CognitoDomainOptions{DomainPrefix: jsii.String(prefix)},
		})
		a.Client = a.UserPool.AddClient(jsii.String("ApiClient"), &awscognito.UserPoolClientOptions{
			// A public client (CLI, browser): no secret. The authorization code flow
			// (with PKCE) gives its users tokens with the API's scopes; password (over
			// TLS) and SRP sign-in stay for the user pool's own APIs.
			GenerateSecret: jsii.Bool(false),
			AuthFlows:      &awscognito.AuthFlow{UserPassword: jsii.Bool(true), UserSrp: jsii.Bool(true)},
			OAuth: &awscognito.OAuthSettings{
				Flows:        &awscognito.OAuthFlows{AuthorizationCodeGrant: jsii.Bool(true)},
				Scopes:       &userScopes,
				CallbackUrls: jsii.Strings(cfg.OAuthCallbackURLs...),
			},
			PreventUserExistenceErrors: jsii.Bool(true),
			EnableTokenRevocation:      jsii.Bool(true),
			AccessTokenValidity:        awscdk.Duration_Hours(jsii.Number(1)),
			IdTokenValidity:            awscdk.Duration_Hours(jsii.Number(1)),
			RefreshTokenValidity:       awscdk.Duration_Days(jsii.Number(30)),
		})
		// The iss claim of the pool's tokens, built as CDK's HttpUserPoolAuthorizer builds
		// it (the ProviderURL attribute is meant for identity pools, without a scheme).
		stack := awscdk.Stack_Of(scope)
		a.Issuer = jsii.String("https://cognito-idp." + *stack.Region() + "." + *stack.UrlSuffix() + "/" + *a.UserPool.UserPoolId())
		// A confidential client for scripts and services: client credentials, a secret
		// (in the Cognito console or describe-user-pool-client), tokens with the scopes
		// it asks for among these.
		a.ServiceClient = a.UserPool.AddClient(jsii.String("ServiceClient"), &awscognito.UserPoolClientOptions{
			GenerateSecret:             jsii.Bool(true),
			AuthFlows:                  &awscognito.AuthFlow{},
			OAuth:                      &awscognito.OAuthSettings{Flows: &awscognito.OAuthFlows{ClientCredentials: jsii.Bool(true)}, Scopes: &oauthScopes},
			PreventUserExistenceErrors: jsii.Bool(true),
			EnableTokenRevocation:      jsii.Bool(true),
			AccessTokenValidity:        awscdk.Duration_Hours(jsii.Number(1)),
		})
		a.ServiceClient.Node().AddDependency(a.ResourceServer)
		a.Client.Node().AddDependency(a.ResourceServer)
		a.Audience = []*string{a.Client.UserPoolClientId(), a.ServiceClient.UserPoolClientId()}
		cdknag.NagSuppressions_AddResourceSuppressions(a.UserPool, &[]*cdknag.NagPackSuppression{
			{
				Id: jsii.String("AwsSolutions-COG2"),
				Reason: jsii.String("MFA is OPTIONAL (TOTP), not REQUIRED: the pool's users are service operators and " +
					"scripts created by an administrator (self sign-up is off) that sign in non-interactively. " +
					"Deployments with human users should bring their own IdP via -c jwtIssuer/jwtAudience."),
			},
			{
				Id: jsii.String("AwsSolutions-COG8"),
				Reason: jsii.String("The Plus feature plan (threat protection) is a paid tier; the pool is the default " +
					"for demos and small deployments. Enable it (FeaturePlan PLUS) or use an external IdP in production."),
			},
		}, nil)
	}
	a.Authorizer = awsapigatewayv2authorizers.NewHttpJwtAuthorizer(jsii.String("JwtAuthorizer"), a.Issuer,
		&awsapigatewayv2authorizers.HttpJwtAuthorizerProps{
			JwtAudience:    &a.Audience,
			AuthorizerName: jsii.String("jwt"),
		})
	return a
}
