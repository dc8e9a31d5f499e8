package main

import (
	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awscloudwatch"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsdynamodb"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsiam"
	"github.com/aws/aws-cdk-go/awscdk/v2/awslambda"
	"github.com/aws/aws-cdk-go/awscdk/v2/awslambdaeventsources"
	"github.com/aws/aws-cdk-go/awscdk/v2/awssqs"
	"github.com/aws/jsii-runtime-go"
	"github.com/cdklabs/cdk-nag-go/cdknag/v2"

	"github.com/personsapi/persons/pkg/changes"
	"github.com/personsapi/persons/pkg/persons"
)

// changesFunction is functions/changes, the change feed's stream processor: the table's
// stream invokes it, never the HTTP API (GET /changes is the persons function's).
const changesFunction = "changes"

// The processor's event source mapping. A batch of 100 records is 4 BatchWriteItem
// calls; bisecting a failing batch isolates a poison record in log2(100) ≈ 7 retries,
// and 10 retries leave room for a throttled table before a batch goes to the
// dead-letter queue (which then only holds the failed batch's stream coordinates: the
// records stay readable in the stream for 24 hours).
const (
	changesBatchSize     = 100
	changesRetryAttempts = 10
	changesBatchWindowS  = 1
)

// ChangeFeed is the processor's wiring: its dead-letter queue, the event source mapping
// and the alarm on the queue.
type ChangeFeed struct {
	DLQ     awssqs.Queue
	Mapping awslambda.EventSourceMapping
	Alarm   awscloudwatch.Alarm
}

// newChangeFeed connects fn (functions/changes) to the table's stream.
func newChangeFeed(scope awscdk.Stack, table awsdynamodb.Table, fn *Function, removal awscdk.RemovalPolicy) *ChangeFeed {
	c := &ChangeFeed{}
	c.DLQ = awssqs.NewQueue(scope, jsii.String("ChangesDLQ"), &awssqs.QueueProps{
		Encryption:      awssqs.QueueEncryption_SQS_MANAGED,
		EnforceSSL:      jsii.Bool(true),
		RetentionPeriod: awscdk.Duration_Days(jsii.Number(14)),
		RemovalPolicy:   removal,
	})
	cdknag.NagSuppressions_AddResourceSuppressions(c.DLQ, &[]*cdknag.NagPackSuppression{{
		Id:     jsii.String("Serverless-SQSRedrivePolicy"),
		Reason: jsii.String("This queue is itself the dead-letter destination of the change feed's stream event source mapping: nothing consumes it, so there is nothing to redrive."),
	}, {
		Id:     jsii.String("AwsSolutions-SQS3"),
		Reason: jsii.String("This queue is itself the dead-letter destination of the change feed's stream event source mapping."),
	}}, jsii.Bool(true))
	// Stream reading, scoped to the table's stream. ListStreams has no resource-level
	// permissions in IAM (Service Authorization Reference), hence "*" for it alone.
	fn.Role.AddToPolicy(awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
		Actions:   jsii.Strings("dynamodb:DescribeStream", "dynamodb:GetRecords", "dynamodb:GetShardIterator"),
		Resources: jsii.Strings(*table.TableStreamArn()),
	}))
	fn.Role.AddToPolicy(awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
		Actions:   jsii.Strings("dynamodb:ListStreams"),
		Resources: jsii.Strings("*"),
	}))
	cdknag.NagSuppressions_AddResourceSuppressions(fn.Role, &[]*cdknag.NagPackSuppression{{
		Id:        jsii.String("AwsSolutions-IAM5"),
		Reason:    jsii.String("dynamodb:ListStreams supports no resource-level permissions; Lambda's stream event source mapping needs it. Every other action names the table's stream or the table."),
		AppliesTo: &[]any{"Resource::*"},
	}}, jsii.Bool(true))
	c.Mapping = awslambda.NewEventSourceMapping(scope, jsii.String("ChangesStreamMapping"), &awslambda.EventSourceMappingProps{
		Target:                  fn.Function,
		EventSourceArn:          table.TableStreamArn(),
		StartingPosition:        awslambda.StartingPosition_TRIM_HORIZON,
		BatchSize:               jsii.Number(changesBatchSize),
		MaxBatchingWindow:       awscdk.Duration_Seconds(jsii.Number(changesBatchWindowS)),
		BisectBatchOnError:      jsii.Bool(true),
		RetryAttempts:           jsii.Number(changesRetryAttempts),
		ReportBatchItemFailures: jsii.Bool(true),
		OnFailure:               awslambdaeventsources.NewSqsDlq(c.DLQ),
		// Only person partitions: the log's own entries (and their TTL deletions) come
		// back through the stream too; filtered here, they cost no invocation.
		Filters: &[]*map[string]any{awslambda.FilterCriteria_Filter(&map[string]any{
			"dynamodb": map[string]any{"Keys": map[string]any{persons.AttrPK: map[string]any{
				"S": awslambda.FilterRule_BeginsWith(jsii.String(persons.PersonPKPrefix)),
			}}},
		})},
	})
	c.Alarm = awscloudwatch.NewAlarm(scope, jsii.String("ChangesDLQAlarm"), &awscloudwatch.AlarmProps{
		AlarmDescription: jsii.String("The change feed's processor gave up on a batch of stream records: clients miss those changes until they reload. The message names the shard and sequence numbers (readable in the stream for 24 h). What to do: README, Operating it, alarm ChangesDLQ."),
		Metric: c.DLQ.MetricApproximateNumberOfMessagesVisible(&awscloudwatch.MetricOptions{
			Period: feedPeriod, Statistic: jsii.String("Maximum"),
		}),
		Threshold:          jsii.Number(1),
		EvaluationPeriods:  jsii.Number(1),
		ComparisonOperator: awscloudwatch.ComparisonOperator_GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
		TreatMissingData:   awscloudwatch.TreatMissingData_NOT_BREACHING,
	})
	return c
}

// changesLeadingKeys limits the processor's writes to the change log's partitions
// (dynamodb:LeadingKeys): it cannot change a person's item.
var changesLeadingKeys = []string{changes.PKPrefix + "*"}
