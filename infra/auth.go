package main

import (
	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsapigatewayv2authorizers"
	"github.com/aws/aws-cdk-go/awscdk/v2/awscognito"
	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"
	"github.com/cdklabs/cdk-nag-go/cdknag/v2"
)

// Auth is the JWT authorizer every API route carries, and the Cognito user pool behind
// it when the deployer named no issuer of their own.
type Auth struct {
	Authorizer awsapigatewayv2authorizers.HttpJwtAuthorizer
	Issuer     *string
	Audience   []*string
	UserPool   awscognito.UserPool       // nil with an external issuer
	Client     awscognito.UserPoolClient // nil with an external issuer
}

// newAuth builds the authorizer for cfg.JWTIssuer/cfg.JWTAudience, or creates a user
// pool and an app client and trusts those. Either way it is a plain JWT authorizer:
// one code path, and Cognito's access tokens pass it (API Gateway matches the
// audience against their client_id claim).
func newAuth(scope constructs.Construct, id string, cfg Config) *Auth {
	c := constructs.NewConstruct(scope, jsii.String(id))
	a := &Auth{Issuer: jsii.String(cfg.JWTIssuer), Audience: *jsii.Strings(cfg.JWTAudience...)}
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
		a.Client = a.UserPool.AddClient(jsii.String("ApiClient"), &awscognito.UserPoolClientOptions{
			// A public client (CLI, browser): no secret, password (over TLS) or SRP sign-in.
			GenerateSecret:             jsii.Bool(false),
			AuthFlows:                  &awscognito.AuthFlow{UserPassword: jsii.Bool(true), UserSrp: jsii.Bool(true)},
			DisableOAuth:               jsii.Bool(true),
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
		a.Audience = []*string{a.Client.UserPoolClientId()}
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
