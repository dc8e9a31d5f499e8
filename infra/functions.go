package main

import (
	"maps"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsdynamodb"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsiam"
	"github.com/aws/aws-cdk-go/awscdk/v2/awskms"
	"github.com/aws/aws-cdk-go/awscdk/v2/awslambda"
	"github.com/aws/aws-cdk-go/awscdk/v2/awslogs"
	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"
	"github.com/cdklabs/cdk-nag-go/cdknag/v2"

	"github.com/personsapi/persons/pkg/api"
	"github.com/personsapi/persons/pkg/deploy"
	"github.com/personsapi/persons/pkg/persons"
)

// seedFunction is functions/seed: it fills (or clears) the table with fake data and is
// invoked directly (the seed CLI), never through the HTTP API.
const seedFunction = "seed"

// apiFunction reports whether the function named name serves the HTTP API: all but the
// seed and the change feed's processor. API functions get the cursor keys, metrics,
// aliases with safe deployments and the request alarms.
func apiFunction(name string) bool { return name != seedFunction && name != changesFunction }

// functionNames lists every Lambda function of the stack: the API's, then seed.
func functionNames() []string {
	var names []string
	for _, fn := range api.Functions() {
		names = append(names, string(fn))
	}
	return append(names, seedFunction, changesFunction)
}

// Access is what one function may do with the table: exactly the DynamoDB actions of
// the store operations it calls. Transactions need no action of their own: each of
// their parts is authorized as the matching single-item action (Put -> PutItem,
// ConditionCheck -> ConditionCheckItem, ...).
type Access struct {
	TableActions []string
	// IndexQueries names the indexes the function queries; it gets dynamodb:Query on
	// those index ARNs only.
	IndexQueries []string
	// LeadingKeys, when set, limits TableActions to items whose partition key matches
	// one of these patterns (the dynamodb:LeadingKeys condition).
	LeadingKeys []string
}

// functionAccess is the least-privilege map. Keep it in step with pkg/persons: a call
// to a new DynamoDB operation there needs its action here, or it fails with
// AccessDeniedException in AWS (DynamoDB Local does not check IAM).
var functionAccess = func() map[string]Access {
	m := map[string]Access{
		// CreatePerson (Query for leftovers, BatchWriteItem to remove them, PutItem),
		// GetPerson (GetItem), GetPersonDetails (Query), ListPersons (Query on GSI1),
		// UpdatePerson (UpdateItem), DeletePerson (UpdateItem marks the PROFILE, Query,
		// BatchWriteItem of deletes, DeleteItem of the PROFILE).
		string(api.FunctionPersons): {
			TableActions: []string{"dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:UpdateItem", "dynamodb:DeleteItem", "dynamodb:Query", "dynamodb:BatchWriteItem"},
			IndexQueries: []string{persons.GSI1},
		},
		// pkg/seed writes and clears with BatchWriteItem and finds what to clear with a
		// parallel Scan of the table.
		seedFunction: {
			TableActions: []string{"dynamodb:BatchWriteItem", "dynamodb:Scan"},
		},
		// The change feed's processor writes log entries with BatchWriteItem, to the
		// log's partitions only.
		changesFunction: {
			TableActions: []string{"dynamodb:BatchWriteItem"},
			LeadingKeys:  changesLeadingKeys,
		},
	}
	// Related items: List (GetItem of the PROFILE, Query), Get (BatchGetItem of the item
	// and the PROFILE), Create/Replace/Update/Delete (PutItem, DeleteItem, or
	// TransactWriteItems with Put/Update/Delete; the Update counts creates on the PROFILE
	// and moves its primary pointer; a create at the cap recounts with a Query).
	related := Access{
		TableActions: []string{"dynamodb:GetItem", "dynamodb:BatchGetItem", "dynamodb:PutItem", "dynamodb:UpdateItem", "dynamodb:DeleteItem", "dynamodb:Query"},
	}
	for _, k := range persons.Kinds {
		m[string(api.FunctionFor(k))] = related
	}
	return m
}()

// Memory and timeouts. The API functions answer within API Gateway's 30 s integration
// limit; a few DynamoDB calls take milliseconds, so 10 s only cuts off a hung call. The
// seed writes thousands of items in one invocation.
const (
	apiMemoryMB    = 256
	apiTimeoutSec  = 10
	seedMemoryMB   = 512
	seedTimeoutMin = 5
)

// FunctionOptions configure one Lambda function.
type FunctionOptions struct {
	AssetDir      string // holds bootstrap
	Table         awsdynamodb.ITable
	TableKey      awskms.IKey // the table's key: the function gets tableKeyActions on it
	Access        Access
	RemovalPolicy awscdk.RemovalPolicy // of the log group
	LogRetention  awslogs.RetentionDays
	// Env adds to the function's environment (TABLE_NAME is always set).
	Env map[string]*string
	// LogLevel and SystemLogLevel are Lambda's application and system log levels of
	// the JSON log format (OpsConfig); "" leaves Lambda's default, INFO.
	LogLevel, SystemLogLevel string
	// Tracing is one of tracingModes (OpsConfig.TracingMode).
	Tracing string
}

// Function is a Go Lambda function with its own role and log group.
type Function struct {
	Function awslambda.Function
	Role     awsiam.Role
	LogGroup awslogs.LogGroup
	// Alias is the API functions' "live" alias (deployments.go), which the HTTP API
	// invokes and CodeDeploy shifts; nil for the seed function.
	Alias awslambda.Alias
}

// Target is what callers invoke: the live alias when there is one.
func (f *Function) Target() awslambda.IFunction {
	if f.Alias != nil {
		return f.Alias
	}
	return f.Function
}

// newFunction builds the Lambda function for functions/<name>: provided.al2023 on
// arm64, the bootstrap binary `make build` cross-compiled. Its role carries no managed
// policy: only log writes to its own log group and its table Access.
func newFunction(scope constructs.Construct, name string, o FunctionOptions) *Function {
	c := constructs.NewConstruct(scope, jsii.String(constructID(name)))
	f := &Function{LogGroup: newLogGroup(c, "Logs", o.LogRetention, o.RemovalPolicy)}
	f.Role = awsiam.NewRole(c, jsii.String("Role"), &awsiam.RoleProps{
		AssumedBy:   awsiam.NewServicePrincipal(jsii.String("lambda.amazonaws.com"), nil),
		Description: jsii.String("persons " + name + " function: logs and its DynamoDB actions only"),
	})
	// Instead of AWSLambdaBasicExecutionRole (logs:CreateLogGroup on *): the group
	// exists, the function only adds streams and events to it. The ARN attribute
	// already covers the group's streams (it ends in ":*").
	f.Role.AddToPolicy(awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
		Actions:   jsii.Strings("logs:CreateLogStream", "logs:PutLogEvents"),
		Resources: jsii.Strings(*f.LogGroup.LogGroupArn()),
	}))
	if len(o.Access.TableActions) > 0 {
		st := &awsiam.PolicyStatementProps{
			Actions:   jsii.Strings(o.Access.TableActions...),
			Resources: jsii.Strings(*o.Table.TableArn()),
		}
		if len(o.Access.LeadingKeys) > 0 {
			st.Conditions = &map[string]any{"ForAllValues:StringLike": map[string]any{"dynamodb:LeadingKeys": o.Access.LeadingKeys}}
		}
		f.Role.AddToPolicy(awsiam.NewPolicyStatement(st))
	}
	if o.TableKey != nil && len(o.Access.TableActions) > 0 {
		f.Role.AddToPolicy(awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
			Actions:   jsii.Strings(tableKeyActions...),
			Resources: jsii.Strings(*o.TableKey.KeyArn()),
		}))
	}
	if len(o.Access.IndexQueries) > 0 {
		var arns []string
		for _, idx := range o.Access.IndexQueries {
			arns = append(arns, *o.Table.TableArn()+"/index/"+idx)
		}
		f.Role.AddToPolicy(awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
			Actions:   jsii.Strings("dynamodb:Query"),
			Resources: jsii.Strings(arns...),
		}))
	}

	env := map[string]*string{deploy.EnvTableName: o.Table.TableName()}
	maps.Copy(env, o.Env)
	memory, timeout := float64(apiMemoryMB), awscdk.Duration_Seconds(jsii.Number(apiTimeoutSec))
	if name == seedFunction {
		memory, timeout = seedMemoryMB, awscdk.Duration_Minutes(jsii.Number(seedTimeoutMin))
	}
	tracing, adot := tracingFor(o.Tracing)
	if adot != nil {
		// The app starts its tracer exactly when the endpoint is set (pkg/tracing).
		env[deploy.EnvOTLPEndpoint] = jsii.String(deploy.OTLPCollectorEndpoint)
		env[deploy.EnvOTelServiceName] = jsii.String(name)
	}
	f.Function = awslambda.NewFunction(c, jsii.String("Function"), &awslambda.FunctionProps{
		Description:  jsii.String("persons " + name + " (functions/" + name + ")"),
		Runtime:      awslambda.Runtime_PROVIDED_AL2023(),
		Architecture: awslambda.Architecture_ARM_64(),
		Handler:      jsii.String("bootstrap"),
		Code:         awslambda.Code_FromAsset(jsii.String(o.AssetDir), nil),
		MemorySize:   jsii.Number(memory),
		Timeout:      timeout,
		Role:         f.Role,
		LogGroup:     f.LogGroup,
		Environment:  &env,
		// One JSON stream: Lambda's START/REPORT lines as JSON beside the app's slog
		// lines, which Lambda filters by their "level" below LogLevel, and which the
		// functions read back (AWS_LAMBDA_LOG_LEVEL) to skip building them.
		LoggingFormat:         awslambda.LoggingFormat_JSON,
		ApplicationLogLevelV2: awslambda.ApplicationLogLevel(orDefault(o.LogLevel, "INFO")),
		SystemLogLevelV2:      awslambda.SystemLogLevel(orDefault(o.SystemLogLevel, "INFO")),
		Tracing:               tracing,
		AdotInstrumentation:   adot,
	})
	if adot != nil {
		// The CDK always sets AWS_LAMBDA_EXEC_WRAPPER to the config's wrapper script, which
		// only managed runtimes run and the generic (collector-only) layer does not even
		// contain: on provided.al2023 the Go binary instruments itself, so the variable
		// would only mislead whoever reads the function's configuration.
		f.Function.Node().DefaultChild().(awslambda.CfnFunction).AddPropertyDeletionOverride(jsii.String("Environment.Variables.AWS_LAMBDA_EXEC_WRAPPER"))
	}
	if tracing == awslambda.Tracing_ACTIVE {
		cdknag.NagSuppressions_AddResourceSuppressions(f.Role, &[]*cdknag.NagPackSuppression{{
			Id: jsii.String("AwsSolutions-IAM5"),
			Reason: jsii.String("Lambda active tracing adds xray:PutTraceSegments and xray:PutTelemetryRecords, which support no resource-level permissions " +
				"(Service Authorization Reference), hence Resource *; they only send this function's trace data."),
			AppliesTo: &[]any{"Resource::*"},
		}}, jsii.Bool(true))
	} else {
		cdknag.NagSuppressions_AddResourceSuppressions(f.Function, &[]*cdknag.NagPackSuppression{{
			Id:     jsii.String("Serverless-LambdaTracing"),
			Reason: jsii.String("The operator turned tracing off for this stage (-c tracing=off); the default is tracing on (otel)."),
		}}, jsii.Bool(true))
	}
	return f
}

// adotCollectorLayer is the AWS Distro for OpenTelemetry collector layer (the generic
// one: a collector extension without a language SDK, as the Go functions link their
// own). Pinned, not LATEST, so that a CDK upgrade does not change the functions'
// extension unnoticed; the newest version the CDK module offers.
func adotCollectorLayer() awslambda.AdotLayerVersion {
	return awslambda.AdotLayerVersion_FromGenericLayerVersion(awslambda.AdotLambdaLayerGenericVersion_V0_115_0())
}

// tracingFor maps a tracing mode to the function's Lambda tracing and ADOT
// configuration. otel: active tracing (Lambda's segments, the sampling decision the
// app follows, and the X-Ray write permissions) plus the collector layer, whose
// default configuration receives OTLP on deploy.OTLPCollectorEndpoint and exports to
// X-Ray; xray: active tracing only; off: neither.
func tracingFor(mode string) (awslambda.Tracing, *awslambda.AdotInstrumentationConfig) {
	switch orDefault(mode, tracingOTel) {
	case tracingOTel:
		return awslambda.Tracing_ACTIVE, &awslambda.AdotInstrumentationConfig{
			LayerVersion: adotCollectorLayer(),
			// Required by the CDK; ignored by provided.al2023 (and deleted above).
			ExecWrapper: awslambda.AdotLambdaExecWrapper_REGULAR_HANDLER,
		}
	case tracingXRay:
		return awslambda.Tracing_ACTIVE, nil
	}
	return awslambda.Tracing_DISABLED, nil
}

// constructID turns a function name into a construct id: "bankaccounts" -> "Bankaccounts".
func constructID(name string) string {
	if name == "" {
		return name
	}
	b := []byte(name)
	if b[0] >= 'a' && b[0] <= 'z' {
		b[0] -= 'a' - 'A'
	}
	return string(b) + "Fn"
}
