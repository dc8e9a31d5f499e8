// Package deploy names what a deployment of the persons service is made of and
// configured with: the CloudFormation stack, the keys of its outputs and the environment
// variables its processes read. Each of these strings is written on one side (the CDK app
// in infra/, a Lambda's environment, a developer's shell) and read on another (the
// functions, `make run`, the persons CLI); a side that spelled one differently would only
// fail once deployed, so every side imports the name from here.
//
// The package has no dependencies: importing it pulls neither the CDK nor the HTTP stack
// into a function or a client.
package deploy

// DefaultStage is the stage a deployment gets when none is given: a protected one.
const DefaultStage = "prod"

// DefaultStackName is the name of the stack of DefaultStage.
const DefaultStackName = "Persons"

// StackName is the name of the stack of stage: "Persons" for DefaultStage (or ""),
// "Persons-<stage>" otherwise, so several stages can live in one account and region.
func StackName(stage string) string {
	if stage == "" || stage == DefaultStage {
		return DefaultStackName
	}
	return DefaultStackName + "-" + stage
}

// Output keys of the stack (aws cloudformation describe-stacks).
const (
	// OutputAPIURL is the base URL of the HTTP API ($default stage), ending in "/".
	OutputAPIURL = "ApiUrl"
	// OutputTableName is the name of the DynamoDB table.
	OutputTableName = "TableName"
	// OutputSeedFunctionName is the name of the seed Lambda function.
	OutputSeedFunctionName = "SeedFunctionName"

	// The auth outputs exist only when authentication is on (the default).

	// OutputJWTIssuer is the issuer URL the API's JWT authorizer trusts.
	OutputJWTIssuer = "JwtIssuer"
	// OutputJWTAudience is the audience (comma-separated) the API's JWT authorizer accepts.
	OutputJWTAudience = "JwtAudience"
	// OutputUserPoolID is the id of the Cognito user pool the stack created (only when
	// no external issuer was given).
	OutputUserPoolID = "UserPoolId"
	// OutputUserPoolClientID is the id of the app client of that user pool; tokens are
	// issued to it.
	OutputUserPoolClientID = "UserPoolClientId"
	// OutputServiceClientID is the pool's confidential app client (client credentials
	// flow, secret in describe-user-pool-client), for scripts and services.
	OutputServiceClientID = "ServiceClientId"
	// OutputOAuthURL is the base URL of the pool's OAuth endpoints (/oauth2/token,
	// /oauth2/authorize), where tokens with the API's scopes come from.
	OutputOAuthURL = "OAuthUrl"
	// OutputSeedFunctionARN is the ARN of the seed function, for the IAM policy of
	// whoever may invoke it (lambda:InvokeFunction).
	OutputSeedFunctionARN = "SeedFunctionArn"
)

// Environment variables.
const (
	// EnvTableName names the DynamoDB table. The stack sets it on every function, which
	// refuses to start without it; `make run` and `persons seed --local` take it as the
	// default table.
	EnvTableName = "TABLE_NAME"
	// EnvCORSOrigins lists the browser origins the API functions and `make run` answer
	// CORS for, comma-separated (cors.ParseOrigins; an invalid one fails a function's
	// init). Optional: API Gateway can answer CORS itself.
	EnvCORSOrigins = "CORS_ORIGINS"
	// EnvCursorKeys holds the keys that sign list cursors (persons.ParseCursorKeys:
	// comma-separated base64, at least 32 bytes each, the signing key first). The API
	// functions need it: without it each instance would sign with a key of its own and a
	// cursor would fail on the next instance. The stack fills it from a Secrets Manager
	// secret; `make run` generates a key when it is unset.
	EnvCursorKeys = "PERSONS_CURSOR_KEYS"
	// EnvSeedFunction names the seed Lambda the persons CLI invokes when --function is
	// not given.
	EnvSeedFunction = "PERSONS_SEED_FUNCTION"
	// EnvPort is the port `make run` serves on.
	EnvPort = "PORT"
	// EnvRequestTimeout is the deadline of one API request, a Go duration ("8s",
	// "2500ms"): the API functions answer every request within it, with a 504 problem
	// if DynamoDB did not answer in time. It must stay below the functions' timeout
	// (10 s); unset means api.DefaultRequestTimeout (8 s), which `make run` uses too. An
	// invalid value fails a function's init (api.ParseRequestTimeout reads it).
	EnvRequestTimeout = "PERSONS_REQUEST_TIMEOUT"
	// EnvDynamoDBEndpoint is the AWS SDK's own variable for the DynamoDB endpoint: the
	// one switch that points every process (functions, `make run`, the CLI's --local)
	// at DynamoDB Local, so no code has a local branch.
	EnvDynamoDBEndpoint = "AWS_ENDPOINT_URL_DYNAMODB"

	// EnvScopeRead, EnvScopeWrite and EnvScopeBank name the OAuth scopes the API
	// functions look for in the caller's token (api.ScopeNamesFromEnv); unset means
	// persons/read, persons/write and persons/bank, the scopes of the stack's Cognito
	// resource server. The stack sets them from the context keys scopeRead, scopeWrite
	// and scopeBank for an external issuer whose scopes are named otherwise.
	EnvScopeRead  = "PERSONS_SCOPE_READ"
	EnvScopeWrite = "PERSONS_SCOPE_WRITE"
	EnvScopeBank  = "PERSONS_SCOPE_BANK"
	// EnvAnonymousScopes are the scopes (names, space-separated) of a request without
	// JWT claims. Unset (the default, and always with an authorizer) means none: a
	// request API Gateway did not authenticate may do nothing. Only the stack deployed
	// with -c auth=none sets it, to read and write without bank details.
	EnvAnonymousScopes = "PERSONS_ANONYMOUS_SCOPES"
	// EnvLocalScopes are the scopes (names, space-separated) of every request to
	// `make run`, which has no identity provider; unset means persons/read
	// persons/write, so a developer sees IBANs masked, as most callers will.
	EnvLocalScopes = "PERSONS_LOCAL_SCOPES"
	// EnvMetricsNamespace is the CloudWatch namespace of the API functions' metrics
	// (their access lines are Embedded Metric Format records, pkg/metrics). The stack
	// sets "Persons/<stage>"; unset means no metrics, plain access lines.
	EnvMetricsNamespace = "PERSONS_METRICS_NAMESPACE"
	// EnvLambdaLogLevel is set by Lambda to the function's application log level when
	// its log format is JSON (TRACE, DEBUG, INFO, WARN, ERROR, FATAL): the functions log
	// at that level, so DEBUG is a configuration change, not a code change.
	EnvLambdaLogLevel = "AWS_LAMBDA_LOG_LEVEL"
)

// Tracing (pkg/tracing). The names are OpenTelemetry's own, so the SDK's exporter reads
// the same variables the stack sets and an operator can tune it the documented way.
const (
	// EnvOTLPEndpoint is where the functions send their spans (OTLP over HTTP): the
	// stack sets OTLPCollectorEndpoint, the ADOT collector extension's receiver, when
	// the stage traces with OpenTelemetry. Unset means no tracing: no exporter, no
	// spans, nothing per request.
	EnvOTLPEndpoint = "OTEL_EXPORTER_OTLP_ENDPOINT"
	// EnvOTelServiceName names the function in its spans (service.name); unset means
	// the Lambda function's name.
	EnvOTelServiceName = "OTEL_SERVICE_NAME"
	// EnvOTelSDKDisabled ("true") turns tracing off without a redeploy of code.
	EnvOTelSDKDisabled = "OTEL_SDK_DISABLED"
	// EnvLambdaTraceHeader is the invocation's X-Ray trace header, which Lambda sets
	// for each invocation (and aws-lambda-go mirrors into the context).
	EnvLambdaTraceHeader = "_X_AMZN_TRACE_ID"
)

// OTLPCollectorEndpoint is the OTLP/HTTP receiver of the AWS Distro for OpenTelemetry
// collector, which runs as a Lambda extension (layer) beside the function and forwards
// the spans to X-Ray: loopback, so a span costs the function no network round trip.
const OTLPCollectorEndpoint = "http://localhost:4318"
