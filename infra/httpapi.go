package main

import (
	"encoding/json"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsapigatewayv2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsapigatewayv2integrations"
	"github.com/aws/aws-cdk-go/awscdk/v2/awslogs"
	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"
	"github.com/cdklabs/cdk-nag-go/cdknag/v2"

	"github.com/personsapi/persons/pkg/api"
	"github.com/personsapi/persons/pkg/cors"
)

// Throttling of the $default stage, for all routes together: steady requests per
// second and the burst above it. Generous for the service's traffic, low enough that a
// runaway client cannot run up the Lambda and DynamoDB bill.
const (
	throttleRate  = 100
	throttleBurst = 200
)

// accessLogFormat is one JSON object per request in the access log group. The fields
// are HTTP API ($context) variables; the integration and authorizer errors make failed
// requests diagnosable without turning on execution logs.
var accessLogFormat = func() string {
	b, err := json.Marshal(map[string]string{
		"requestId":          "$context.requestId",
		"requestTime":        "$context.requestTimeEpoch",
		"ip":                 "$context.identity.sourceIp",
		"userAgent":          "$context.identity.userAgent",
		"method":             "$context.httpMethod",
		"path":               "$context.path",
		"routeKey":           "$context.routeKey",
		"status":             "$context.status",
		"protocol":           "$context.protocol",
		"responseLength":     "$context.responseLength",
		"responseLatency":    "$context.responseLatency",
		"integrationError":   "$context.integrationErrorMessage",
		"integrationLatency": "$context.integration.latency",
		"authorizerError":    "$context.authorizer.error",
		"sub":                "$context.authorizer.claims.sub",
	})
	if err != nil {
		panic(err)
	}
	return string(b)
}()

// HTTPAPIOptions configure the HTTP API.
type HTTPAPIOptions struct {
	Functions     map[string]*Function
	Auth          *Auth    // nil: no authorizer (auth=none)
	CORSOrigins   []string // none: no CORS configuration
	RemovalPolicy awscdk.RemovalPolicy
	LogRetention  awslogs.RetentionDays // of the access logs
}

// HTTPAPI is the API Gateway HTTP API with its $default stage and access log group.
type HTTPAPI struct {
	API       awsapigatewayv2.HttpApi
	Stage     awsapigatewayv2.HttpStage
	AccessLog awslogs.LogGroup
	Routes    map[api.Route]awsapigatewayv2.HttpRoute
}

// newHTTPAPI creates exactly the routes of api.Routes(), each integrated (payload 2.0)
// with the function that serves it, on a $default stage (the handlers see the paths
// as routed, with no stage prefix).
func newHTTPAPI(scope constructs.Construct, id string, o HTTPAPIOptions) *HTTPAPI {
	c := constructs.NewConstruct(scope, jsii.String(id))
	h := &HTTPAPI{Routes: map[api.Route]awsapigatewayv2.HttpRoute{}}
	props := &awsapigatewayv2.HttpApiProps{
		ApiName:            jsii.String(*awscdk.Stack_Of(scope).StackName() + "-api"),
		Description:        jsii.String("persons HTTP API"),
		CreateDefaultStage: jsii.Bool(false),
	}
	if len(o.CORSOrigins) > 0 {
		props.CorsPreflight = &awsapigatewayv2.CorsPreflightOptions{
			AllowOrigins:  jsii.Strings(o.CORSOrigins...),
			AllowMethods:  corsMethods(),
			AllowHeaders:  jsii.Strings(cors.AllowHeaders...),
			ExposeHeaders: jsii.Strings(cors.ExposeHeaders...),
			MaxAge:        awscdk.Duration_Seconds(jsii.Number(cors.MaxAgeSeconds)),
		}
	}
	h.API = awsapigatewayv2.NewHttpApi(c, jsii.String("HttpApi"), props)

	h.AccessLog = newLogGroup(c, "AccessLogs", o.LogRetention, o.RemovalPolicy)
	h.Stage = h.API.AddStage(jsii.String("DefaultStage"), &awsapigatewayv2.HttpStageOptions{
		StageName:  jsii.String("$default"),
		AutoDeploy: jsii.Bool(true),
		Throttle: &awsapigatewayv2.ThrottleSettings{
			RateLimit:  jsii.Number(throttleRate),
			BurstLimit: jsii.Number(throttleBurst),
		},
	})
	// The L1 escape hatch sets the access log: HttpStageOptions.AccessLogSettings is an
	// interface a Go struct would have to implement through jsii callbacks.
	h.Stage.Node().DefaultChild().(awsapigatewayv2.CfnStage).SetAccessLogSettings(&awsapigatewayv2.CfnStage_AccessLogSettingsProperty{
		DestinationArn: h.AccessLog.LogGroupArn(),
		Format:         jsii.String(accessLogFormat),
	})

	integrations := map[string]awsapigatewayv2integrations.HttpLambdaIntegration{}
	for _, r := range api.Routes() {
		fn := string(r.Function)
		in, ok := integrations[fn]
		if !ok {
			// One integration per function, shared by its routes; each route still gets
			// its own invoke permission scoped to that route.
			in = awsapigatewayv2integrations.NewHttpLambdaIntegration(jsii.String(constructID(fn)+"Integration"),
				o.Functions[fn].Target(), &awsapigatewayv2integrations.HttpLambdaIntegrationProps{
					PayloadFormatVersion: awsapigatewayv2.PayloadFormatVersion_VERSION_2_0(),
				})
			integrations[fn] = in
		}
		opts := &awsapigatewayv2.AddRoutesOptions{
			Path:        jsii.String(r.Path),
			Methods:     &[]awsapigatewayv2.HttpMethod{awsapigatewayv2.HttpMethod(r.Method)},
			Integration: in,
		}
		if o.Auth != nil {
			// API Gateway refuses a token without the method's scope (403) before the
			// function runs; the function checks the same (pkg/api).
			opts.Authorizer = o.Auth.Authorizer
			opts.AuthorizationScopes = jsii.Strings(routeScope(o.Auth.Scopes, r.Method))
		}
		h.Routes[r] = (*h.API.AddRoutes(opts))[0]
	}
	if o.Auth == nil {
		cdknag.NagSuppressions_AddResourceSuppressions(h.API, &[]*cdknag.NagPackSuppression{{
			Id: jsii.String("AwsSolutions-APIG4"),
			Reason: jsii.String("The deployer chose -c auth=none explicitly, for a short-lived demo; " +
				"synth warns about it. Every other configuration puts a JWT authorizer on every route."),
		}}, jsii.Bool(true))
	}
	return h
}

// corsMethods are the methods the API's routes use.
func corsMethods() *[]awsapigatewayv2.CorsHttpMethod {
	var ms []awsapigatewayv2.CorsHttpMethod
	for _, m := range api.Methods() {
		ms = append(ms, awsapigatewayv2.CorsHttpMethod(m))
	}
	return &ms
}
