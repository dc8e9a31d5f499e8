// Command infra is the AWS CDK app of the persons service. The cdk CLI runs it from the
// repository root (cdk.json: "go run ./infra"); `make synth` and `make deploy` wrap that.
//
// Context values (-c key=value):
//
//	stage         deployment name (default prod); dev and test are throwaway: their table,
//	              user pool and logs are destroyed with the stack, with no deletion protection
//	auth          jwt (default) or none: no authorizer at all, for demos only (synth warns)
//	jwtIssuer     https issuer URL of an external IdP, with jwtAudience (comma-separated);
//	              without them the stack creates a Cognito user pool and app client
//	corsOrigins   comma-separated browser origins allowed by CORS (default: none)
//	lambdaAssets  folder holding <function>/bootstrap (default bin/lambda, see `make build`)
//
// Stages (stages.go; README "Stages"):
//
//	stages            a JSON object (cdk.json's context, or -c stages='{...}') keyed by
//	                  stage name; each value an object of the flat context's keys
//	                  (stageKeys, all but stage). The selected stage's object is read
//	                  under the flat context: -c key=value wins over it.
//	account, region   pin the stage's stack to an account (12 digits) and region; synth
//	                  fails when CDK_DEFAULT_ACCOUNT/CDK_DEFAULT_REGION differ. Unset: the
//	                  stack is environment-agnostic
//	logRetentionDays  the functions' and the access logs' retention, one of CloudWatch
//	                  Logs' periods (default 30 for dev and test, 365 else)
//
// Operations (ops.go, opsconfig.go; README "Operating it"):
//
//	logLevel        the functions' application log level: TRACE, DEBUG or INFO (default)
//	systemLogLevel  Lambda's START/REPORT lines: DEBUG, INFO (default) or WARN
//	alarmEmail      an address subscribed to the alarm topic
//	alarm*          alarm thresholds (opsconfig.go: alarmFunctionErrors 1,
//	                alarmFunctionThrottles 1, alarmDurationP99Percent 80 (of the timeout),
//	                alarmApi5xxPercent 1, alarmApiLatencyP99Ms 2000, alarmDdbThrottles 1,
//	                alarmDdbSystemErrors 1, alarmSeedErrors 1, alarmChangesIteratorAgeMs 60000)
//	deployment      canary, linear or all-at-once (deployments.go; default canary, and
//	                all-at-once for dev and test)
//	maxReadRequestUnits, maxWriteRequestUnits, reservedConcurrency, budgetMonthlyUsd
//	                cost and abuse guards (guards.go)
//	tracing         otel (default, every stage): Lambda active tracing plus the ADOT
//	                collector layer, and OTEL_EXPORTER_OTLP_ENDPOINT / OTEL_SERVICE_NAME
//	                on every function, which then sends OpenTelemetry spans to X-Ray;
//	                xray: active tracing only (Lambda's segments, no layer); off: none
//
// AwsSolutions checks from cdk-nag run on every synth; an unsuppressed finding of error
// level fails it.
package main

import (
	"fmt"
	"os"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/jsii-runtime-go"
	"github.com/cdklabs/cdk-nag-go/cdknag/v2"
)

func main() {
	defer jsii.Close()
	app := awscdk.NewApp(nil)
	s, err := build(app, CLIEnv{Account: os.Getenv("CDK_DEFAULT_ACCOUNT"), Region: os.Getenv("CDK_DEFAULT_REGION")})
	if err != nil {
		fmt.Fprintln(os.Stderr, "infra:", err)
		jsii.Close()
		os.Exit(2)
	}
	if !s.Config.Auth {
		fmt.Fprintln(os.Stderr, "WARNING:", authNoneWarning)
	}
	app.Synth(nil)
}

// build adds the stack the app's context describes, and the cdk-nag checks, to app;
// cli is where the CLI would deploy (checked against a stage's pinned account/region).
func build(app awscdk.App, cli CLIEnv) (*Stack, error) {
	cfg, err := loadConfig(func(key string) any { return app.Node().TryGetContext(jsii.String(key)) }, cli)
	if err != nil {
		return nil, fmt.Errorf("context: %w", err)
	}
	s, err := NewStack(app, cfg)
	if err != nil {
		return nil, err
	}
	awscdk.Aspects_Of(app).Add(cdknag.NewAwsSolutionsChecks(&cdknag.NagPackProps{Verbose: jsii.Bool(true)}), nil)
	awscdk.Aspects_Of(app).Add(cdknag.NewServerlessChecks(&cdknag.NagPackProps{Verbose: jsii.Bool(true)}), nil)
	return s, nil
}
