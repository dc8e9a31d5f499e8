package main

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsapigatewayv2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsbackup"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsbudgets"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsdynamodb"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsiam"
	"github.com/aws/aws-cdk-go/awscdk/v2/awslambda"
	"github.com/aws/aws-cdk-go/awscdk/v2/awssns"
	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"
	"github.com/cdklabs/cdk-nag-go/cdknag/v2"

	"github.com/personsapi/persons/pkg/api"
	"github.com/personsapi/persons/pkg/metrics"
	"github.com/personsapi/persons/pkg/persons"
)

// Cost and abuse guards: context keys.
const (
	// ctxMaxReadRequestUnits and ctxMaxWriteRequestUnits cap the on-demand table (and
	// GSI1) at that many request units per second: above it DynamoDB throttles (the
	// API answers 503 with Retry-After) instead of billing a runaway client.
	ctxMaxReadRequestUnits  = "maxReadRequestUnits"
	ctxMaxWriteRequestUnits = "maxWriteRequestUnits"
	// ctxReservedConcurrency reserves (and caps) that many concurrent executions per
	// API function. Off (0) by default: a reservation takes from the account's
	// unreserved pool, which must keep 100, and new accounts often have 10 in all.
	ctxReservedConcurrency = "reservedConcurrency"
)

// Defaults of the table's maximum on-demand throughput. Far above what the stage
// throttle (100 requests/s, burst 200) lets the API use, so they only cut off what
// bypasses it; the write cap leaves the seed (BatchWriteItem, ~10.5 items per person)
// about 200 persons per second.
const (
	defaultMaxReadRequestUnits  = 4000
	defaultMaxWriteRequestUnits = 2000
)

// Guards are the cost and abuse limits (zero values: the defaults, or off).
type Guards struct {
	MaxReadRequestUnits  int
	MaxWriteRequestUnits int
	ReservedConcurrency  int // per API function; 0 = none
}

// parseGuards reads the guards' context into g.
func parseGuards(lookup func(string) string, g *Guards) []error {
	var errs []error
	for _, f := range []struct {
		key string
		v   *int
	}{
		{ctxMaxReadRequestUnits, &g.MaxReadRequestUnits},
		{ctxMaxWriteRequestUnits, &g.MaxWriteRequestUnits},
		{ctxReservedConcurrency, &g.ReservedConcurrency},
	} {
		s := strings.TrimSpace(lookup(f.key))
		if s == "" {
			continue
		}
		n, err := strconv.Atoi(s)
		if err != nil || n < 1 {
			errs = append(errs, fmt.Errorf("%s=%q: want a whole number above 0", f.key, s))
			continue
		}
		*f.v = n
	}
	return errs
}

// maxThroughput is the table's cap: the context's, else the defaults.
func (g Guards) maxThroughput() (read, write int) {
	read, write = g.MaxReadRequestUnits, g.MaxWriteRequestUnits
	if read == 0 {
		read = defaultMaxReadRequestUnits
	}
	if write == 0 {
		write = defaultMaxWriteRequestUnits
	}
	return read, write
}

// addGuards caps the table's on-demand throughput (table and every GSI), reserves
// concurrency for the API functions when asked to, throttles writes below reads, and backs the table of a retained
// stage up daily with AWS Backup (kept 35 days; PITR stays on for the last 35 days to
// the second, the plan adds copies that survive a deleted table).
func addGuards(scope constructs.Construct, s *Stack) *awsbackup.BackupPlan {
	read, write := s.Config.Ops.Guards.maxThroughput()
	cfn := s.Table.Node().DefaultChild().(awsdynamodb.CfnTable)
	cfn.SetOnDemandThroughput(&awsdynamodb.CfnTable_OnDemandThroughputProperty{
		MaxReadRequestUnits: jsii.Number(read), MaxWriteRequestUnits: jsii.Number(write),
	})
	// The index has a cap of its own: the table's does not bound it.
	for i := range len(persons.Table.GSIs) {
		cfn.AddPropertyOverride(jsii.String(fmt.Sprintf("GlobalSecondaryIndexes.%d.OnDemandThroughput", i)), map[string]any{
			"MaxReadRequestUnits": read, "MaxWriteRequestUnits": write,
		})
	}
	if n := s.Config.Ops.Guards.ReservedConcurrency; n > 0 {
		for _, fn := range api.Functions() {
			s.Functions[string(fn)].Function.Node().DefaultChild().(awslambda.CfnFunction).SetReservedConcurrentExecutions(jsii.Number(n))
		}
	}
	throttleWrites(s)
	if s.Config.Throwaway() {
		return nil
	}
	c := constructs.NewConstruct(scope, jsii.String("Backup"))
	vault := awsbackup.NewBackupVault(c, jsii.String("Vault"), &awsbackup.BackupVaultProps{
		RemovalPolicy: awscdk.RemovalPolicy_RETAIN,
	})
	plan := awsbackup.BackupPlan_Daily35DayRetention(c, jsii.String("Plan"), vault)
	sel := plan.AddSelection(jsii.String("Table"), &awsbackup.BackupSelectionOptions{
		Resources: &[]awsbackup.BackupResource{awsbackup.BackupResource_FromDynamoDbTable(s.Table)},
	})
	cdknag.NagSuppressions_AddResourceSuppressions(sel, &[]*cdknag.NagPackSuppression{{
		Id: jsii.String("AwsSolutions-IAM4"),
		Reason: jsii.String("AWS Backup's service role uses AWSBackupServiceRolePolicyForBackup, the AWS managed policy made for it; " +
			"the selection limits what it backs up to this table."),
		AppliesTo: &[]interface{}{"Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AWSBackupServiceRolePolicyForBackup"},
	}}, jsii.Bool(true))
	return &plan
}

// ctxBudget is a monthly cost budget in USD for the stage's resources (optional): AWS
// Budgets notifies the alarm topic at 80 % of actual and 100 % of forecast spend. It
// filters on the stack's `stage` tag, which must be activated as a cost allocation tag
// in the Billing console first (until then the budget sees no cost).
const ctxBudget = "budgetMonthlyUsd"

// parseBudget reads ctxBudget: 0 when unset.
func parseBudget(lookup func(string) string) (float64, error) {
	s := strings.TrimSpace(lookup(ctxBudget))
	if s == "" {
		return 0, nil
	}
	n, err := strconv.ParseFloat(s, 64)
	if err != nil || n <= 0 {
		return 0, fmt.Errorf("%s=%q: want an amount in USD above 0", ctxBudget, s)
	}
	return n, nil
}

// addBudget adds the stage's cost budget, when one is configured, and lets AWS Budgets
// publish to the alarm topic (from this account only).
func addBudget(c constructs.Construct, s *Stack, topic awssns.Topic) awsbudgets.CfnBudget {
	amount := s.Config.Ops.BudgetMonthlyUSD
	if amount == 0 {
		return nil
	}
	topic.AddToResourcePolicy(awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
		Sid:        jsii.String("BudgetsPublish"),
		Principals: &[]awsiam.IPrincipal{awsiam.NewServicePrincipal(jsii.String("budgets.amazonaws.com"), nil)},
		Actions:    jsii.Strings("sns:Publish"),
		Resources:  jsii.Strings(*topic.TopicArn()),
		Conditions: &map[string]any{"StringEquals": map[string]any{"aws:SourceAccount": awscdk.Stack_Of(c).Account()}},
	}))
	notify := func(kind string, percent float64) *awsbudgets.CfnBudget_NotificationWithSubscribersProperty {
		return &awsbudgets.CfnBudget_NotificationWithSubscribersProperty{
			Notification: &awsbudgets.CfnBudget_NotificationProperty{
				NotificationType: jsii.String(kind), ComparisonOperator: jsii.String("GREATER_THAN"),
				Threshold: jsii.Number(percent), ThresholdType: jsii.String("PERCENTAGE"),
			},
			Subscribers: &[]*awsbudgets.CfnBudget_SubscriberProperty{{SubscriptionType: jsii.String("SNS"), Address: topic.TopicArn()}},
		}
	}
	return awsbudgets.NewCfnBudget(c, jsii.String("Budget"), &awsbudgets.CfnBudgetProps{
		Budget: &awsbudgets.CfnBudget_BudgetDataProperty{
			BudgetName:  jsii.String(s.Config.StackName() + "-monthly"),
			BudgetType:  jsii.String("COST"),
			TimeUnit:    jsii.String("MONTHLY"),
			BudgetLimit: &awsbudgets.CfnBudget_SpendProperty{Amount: jsii.Number(amount), Unit: jsii.String("USD")},
			FilterExpression: &awsbudgets.CfnBudget_ExpressionProperty{
				Tags: &awsbudgets.CfnBudget_TagValuesProperty{Key: jsii.String("stage"), Values: jsii.Strings(s.Config.Stage)},
			},
		},
		NotificationsWithSubscribers: &[]*awsbudgets.CfnBudget_NotificationWithSubscribersProperty{
			notify("ACTUAL", 80), notify("FORECASTED", 100),
		},
	})
}

// Writes get a stage throttle of their own, below the stage's for all routes: a write
// costs DynamoDB more (transactions bill 2 WCU per KB and item) and a runaway writer
// should leave room for reads.
const (
	writeThrottleRate  = 50
	writeThrottleBurst = 100
)

// throttleWrites sets the $default stage's route settings of every write route. The
// stage depends on the routes: API Gateway refuses settings for a route key it does
// not know yet.
func throttleWrites(s *Stack) {
	settings := map[string]any{}
	for r, route := range s.API.Routes {
		if !metrics.IsWrite(r.Method) {
			continue
		}
		settings[r.Method+" "+r.Path] = map[string]any{
			"ThrottlingRateLimit": writeThrottleRate, "ThrottlingBurstLimit": writeThrottleBurst,
		}
		s.API.Stage.Node().AddDependency(route)
	}
	s.API.Stage.Node().DefaultChild().(awsapigatewayv2.CfnStage).SetRouteSettings(settings)
}
