package main

import (
	"fmt"
	"maps"
	"os"
	"path/filepath"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsdynamodb"
	"github.com/aws/aws-cdk-go/awscdk/v2/awskms"
	"github.com/aws/aws-cdk-go/awscdk/v2/awslogs"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"

	"github.com/personsapi/persons/pkg/deploy"
	"github.com/personsapi/persons/pkg/persons"
)

// Stack is the persons service: the table, one Lambda function per API entity plus the
// seed function, the HTTP API in front of them and, unless an external issuer is given
// or auth is off, a Cognito user pool that issues the API's tokens.
type Stack struct {
	awscdk.Stack
	Config    Config
	Table     awsdynamodb.Table
	TableKey  awskms.IKey // the customer-managed key the table is encrypted with
	Functions map[string]*Function
	API       *HTTPAPI
	Auth      *Auth // nil with auth=none
	// ChangeFeed wires functions/changes to the table's stream.
	ChangeFeed *ChangeFeed
	Ops        *Ops // alarms, their topic and the dashboard (ops.go)
}

// NewStack builds the stack described by cfg. It fails before creating anything when a
// function's bootstrap binary is missing (run `make build`) or its access is undecided.
func NewStack(scope constructs.Construct, cfg Config) (*Stack, error) {
	names := functionNames()
	for _, fn := range names {
		if _, ok := functionAccess[fn]; !ok {
			return nil, fmt.Errorf("function %s has no entry in functionAccess: decide which DynamoDB actions it needs", fn)
		}
		if err := checkBootstrap(cfg.LambdaAssets, fn); err != nil {
			return nil, err
		}
	}
	s := &Stack{
		Stack: awscdk.NewStack(scope, jsii.String(cfg.StackName()), &awscdk.StackProps{
			Description: jsii.String(fmt.Sprintf("persons service (stage %s): DynamoDB table, Lambda functions, HTTP API", cfg.Stage)),
			Env:         cfg.env(),
		}),
		Config:    cfg,
		Functions: map[string]*Function{},
	}
	awscdk.Tags_Of(s.Stack).Add(jsii.String("service"), jsii.String("persons"), nil)
	awscdk.Tags_Of(s.Stack).Add(jsii.String("stage"), jsii.String(cfg.Stage), nil)

	s.TableKey = newTableKey(s.Stack, "TableKey", cfg)
	s.Table = newTable(s.Stack, "Table", persons.Table, s.TableKey, cfg.removalPolicy(), !cfg.Throwaway())
	cursorKeys := newCursorKeys(s.Stack, "CursorKeys", cfg)
	for _, fn := range names {
		var env map[string]*string
		if apiFunction(fn) {
			env = map[string]*string{
				deploy.EnvCursorKeys:       cursorKeys,
				deploy.EnvMetricsNamespace: jsii.String(cfg.MetricsNamespace()),
			}
			maps.Copy(env, scopeEnv(cfg))
		}
		s.Functions[fn] = newFunction(s.Stack, fn, FunctionOptions{
			AssetDir:       filepath.Join(cfg.LambdaAssets, fn),
			Table:          s.Table,
			TableKey:       s.TableKey,
			Access:         functionAccess[fn],
			RemovalPolicy:  cfg.removalPolicy(),
			LogRetention:   cfg.logRetention(),
			Env:            env,
			LogLevel:       cfg.Ops.AppLogLevel(),
			SystemLogLevel: cfg.Ops.SysLogLevel(),
			Tracing:        cfg.Ops.TracingMode(),
		})
		if apiFunction(fn) {
			s.Functions[fn].Alias = newLiveAlias(s.Functions[fn])
		}
	}
	s.ChangeFeed = newChangeFeed(s.Stack, s.Table, s.Functions[changesFunction], cfg.removalPolicy())
	if cfg.Auth {
		s.Auth = newAuth(s.Stack, "Auth", cfg)
	} else {
		awscdk.Annotations_Of(s.Stack).AddWarningV2(jsii.String("persons:auth-none"), jsii.String(authNoneWarning))
	}
	s.API = newHTTPAPI(s.Stack, "Api", HTTPAPIOptions{
		Functions:     s.Functions,
		Auth:          s.Auth,
		CORSOrigins:   cfg.CORSOrigins,
		RemovalPolicy: cfg.removalPolicy(),
		LogRetention:  cfg.logRetention(),
	})
	s.Ops = newOps(s.Stack, "Ops", s)

	output(s.Stack, deploy.OutputAPIURL, s.API.Stage.Url(), "Base URL of the HTTP API")
	output(s.Stack, deploy.OutputTableName, s.Table.TableName(), "DynamoDB table")
	output(s.Stack, deploy.OutputSeedFunctionName, s.Functions[seedFunction].Function.FunctionName(), "Lambda function that seeds the table (see the seed CLI)")
	output(s.Stack, deploy.OutputSeedFunctionARN, s.Functions[seedFunction].Function.FunctionArn(), "Seed function ARN: grant lambda:InvokeFunction on it to whoever may seed")
	if s.Auth != nil {
		output(s.Stack, deploy.OutputJWTIssuer, s.Auth.Issuer, "Issuer of the JWTs the API accepts")
		output(s.Stack, deploy.OutputJWTAudience, awscdk.Fn_Join(jsii.String(","), &s.Auth.Audience), "Audiences (client ids) the API accepts")
		if s.Auth.UserPool != nil {
			output(s.Stack, deploy.OutputUserPoolID, s.Auth.UserPool.UserPoolId(), "Cognito user pool of the API's users")
			output(s.Stack, deploy.OutputUserPoolClientID, s.Auth.Client.UserPoolClientId(), "Cognito public app client (authorization code with PKCE) for users")
			output(s.Stack, deploy.OutputServiceClientID, s.Auth.ServiceClient.UserPoolClientId(), "Cognito confidential app client (client credentials) for scripts and services")
			output(s.Stack, deploy.OutputOAuthURL, s.Auth.Domain.BaseUrl(nil), "Base URL of the pool's OAuth endpoints (/oauth2/token)")
		}
	}
	return s, nil
}

const authNoneWarning = "auth=none: the HTTP API has NO authentication, anyone who knows the URL can read and change every person. Use it for short-lived demos only."

// env is the stack's environment: the stage's pins, or nil (environment-agnostic).
// An unpinned part of a partly pinned stage stays the deploy's.
func (c Config) env() *awscdk.Environment {
	if c.Account == "" && c.Region == "" {
		return nil
	}
	e := &awscdk.Environment{}
	if c.Account != "" {
		e.Account = jsii.String(c.Account)
	}
	if c.Region != "" {
		e.Region = jsii.String(c.Region)
	}
	return e
}

// logRetention is the stage's log retention; a Config not made by parseConfig gets
// the retained stages' default.
func (c Config) logRetention() awslogs.RetentionDays {
	if r, ok := logRetentions[c.LogRetentionDays]; ok {
		return r
	}
	return logRetentions[defaultLogRetentionRetained]
}

// removalPolicy is what happens to stateful resources when they leave the stack.
func (c Config) removalPolicy() awscdk.RemovalPolicy {
	if c.Throwaway() {
		return awscdk.RemovalPolicy_DESTROY
	}
	return awscdk.RemovalPolicy_RETAIN
}

// newTable builds the DynamoDB table from the library's definition, so the deployed
// table and the one tests and `make run` create cannot drift apart.
func newTable(scope constructs.Construct, id string, def persons.TableDef, key awskms.IKey, removal awscdk.RemovalPolicy, protect bool) awsdynamodb.Table {
	t := awsdynamodb.NewTable(scope, jsii.String(id), &awsdynamodb.TableProps{
		PartitionKey: stringKey(def.PartitionKey),
		SortKey:      stringKey(def.SortKey),
		BillingMode:  billingMode(def),
		PointInTimeRecoverySpecification: &awsdynamodb.PointInTimeRecoverySpecification{
			PointInTimeRecoveryEnabled: jsii.Bool(true),
		},
		DeletionProtection: jsii.Bool(protect),
		RemovalPolicy:      removal,
		// The change feed reads the stream; its log entries expire through the TTL.
		Stream:              streamViewType(def),
		TimeToLiveAttribute: jsii.String(def.TTLAttribute),
		Encryption:          awsdynamodb.TableEncryption_CUSTOMER_MANAGED,
		EncryptionKey:       key,
	})
	for _, g := range def.GSIs {
		t.AddGlobalSecondaryIndex(&awsdynamodb.GlobalSecondaryIndexProps{
			IndexName:      jsii.String(g.Name),
			PartitionKey:   stringKey(g.PartitionKey),
			SortKey:        stringKey(g.SortKey),
			ProjectionType: awsdynamodb.ProjectionType(g.Projection),
		})
	}
	return t
}

func stringKey(name string) *awsdynamodb.Attribute {
	return &awsdynamodb.Attribute{Name: jsii.String(name), Type: awsdynamodb.AttributeType_STRING}
}

// billingMode maps the SDK's billing mode onto the CDK's; the library only ever uses
// on-demand, and anything else must be decided here on purpose.
func billingMode(def persons.TableDef) awsdynamodb.BillingMode {
	if def.BillingMode != types.BillingModePayPerRequest {
		panic(fmt.Sprintf("infra: billing mode %q of persons.Table is not supported by the stack", def.BillingMode))
	}
	return awsdynamodb.BillingMode_PAY_PER_REQUEST
}

func output(scope constructs.Construct, key string, value *string, description string) {
	awscdk.NewCfnOutput(scope, jsii.String(key), &awscdk.CfnOutputProps{
		Value:       value,
		Description: jsii.String(description),
	})
}

// checkBootstrap fails with a hint when the function's binary is missing, instead of
// the asset stager's stack trace.
func checkBootstrap(dir, fn string) error {
	p := filepath.Join(dir, fn, "bootstrap")
	fi, err := os.Stat(p)
	if err != nil || !fi.Mode().IsRegular() {
		return fmt.Errorf("%s is missing: run `make build` (or point -c %s=DIR at a folder with <function>/bootstrap)", p, ctxLambdaAssets)
	}
	return nil
}

// newLogGroup is an explicit log group with a retention period, so logs neither
// pile up forever nor depend on Lambda creating the group on first use.
func newLogGroup(scope constructs.Construct, id string, retention awslogs.RetentionDays, removal awscdk.RemovalPolicy) awslogs.LogGroup {
	return awslogs.NewLogGroup(scope, jsii.String(id), &awslogs.LogGroupProps{
		Retention:     retention,
		RemovalPolicy: removal,
	})
}

// streamViewType maps the library's stream view type onto the CDK's.
func streamViewType(def persons.TableDef) awsdynamodb.StreamViewType {
	if def.StreamView != types.StreamViewTypeNewAndOldImages {
		panic(fmt.Sprintf("infra: stream view %q of persons.Table is not supported by the stack", def.StreamView))
	}
	return awsdynamodb.StreamViewType_NEW_AND_OLD_IMAGES
}
