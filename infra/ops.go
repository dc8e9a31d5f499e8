package main

import (
	"fmt"
	"maps"
	"slices"
	"strings"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsbackup"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsbudgets"
	"github.com/aws/aws-cdk-go/awscdk/v2/awscloudwatch"
	"github.com/aws/aws-cdk-go/awscdk/v2/awscloudwatchactions"
	"github.com/aws/aws-cdk-go/awscdk/v2/awscodedeploy"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsdynamodb"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsiam"
	"github.com/aws/aws-cdk-go/awscdk/v2/awslambda"
	"github.com/aws/aws-cdk-go/awscdk/v2/awssns"
	"github.com/aws/aws-cdk-go/awscdk/v2/awssnssubscriptions"
	"github.com/aws/aws-cdk-go/awscdk/v2/interfaces/interfacesawscloudwatch"
	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"
	"github.com/cdklabs/cdk-nag-go/cdknag/v2"

	"github.com/personsapi/persons/pkg/api"
	"github.com/personsapi/persons/pkg/metrics"
	"github.com/personsapi/persons/pkg/persons"
)

// alarmPeriod is the period of every alarm and of the dashboard's graphs: five
// minutes is CloudWatch's cheapest alarm resolution that still pages within minutes.
var alarmPeriod = awscdk.Duration_Minutes(jsii.Number(5))

// ddbOperations are the DynamoDB operations the service calls (functionAccess): the
// system-errors alarm sums SystemErrors over them (one metric per operation; an alarm's
// math takes at most 10).
var ddbOperations = []awsdynamodb.Operation{
	awsdynamodb.Operation_GET_ITEM, awsdynamodb.Operation_BATCH_GET_ITEM, awsdynamodb.Operation_QUERY,
	awsdynamodb.Operation_SCAN, awsdynamodb.Operation_PUT_ITEM, awsdynamodb.Operation_UPDATE_ITEM,
	awsdynamodb.Operation_DELETE_ITEM, awsdynamodb.Operation_BATCH_WRITE_ITEM, awsdynamodb.Operation_TRANSACT_WRITE_ITEMS,
}

// Ops is what an operator needs on a bad day: alarms that notify a topic, and a
// dashboard of the golden signals per function and route.
type Ops struct {
	Topic awssns.Topic
	// Alarms by construct id: <Fn>Errors, <Fn>Throttles, <Fn>DurationP99 per API
	// function, SeedErrors, ChangesErrors, ChangesIteratorAge, Api5xxRate,
	// ApiLatencyP99, TableThrottles, Gsi1Throttles, TableSystemErrors. (The change
	// feed's DLQ alarm is ChangeFeed.Alarm.)
	Alarms    map[string]awscloudwatch.Alarm
	Dashboard awscloudwatch.Dashboard
	// Deployments are the CodeDeploy deployment groups of the API functions' live
	// aliases, by function name (deployments.go).
	Deployments    map[string]awscodedeploy.LambdaDeploymentGroup
	DeploymentRole awsiam.Role
	// Backup is the table's AWS Backup plan; nil for throwaway stages (guards.go).
	Backup *awsbackup.BackupPlan
	// Budget is the stage's cost budget, nil unless budgetMonthlyUsd is set.
	Budget awsbudgets.CfnBudget
}

// newOps adds the alarm topic, the alarms and the dashboard of s.
func newOps(scope constructs.Construct, id string, s *Stack) *Ops {
	c := constructs.NewConstruct(scope, jsii.String(id))
	cfg := s.Config
	th := cfg.Ops.Alarms()
	o := &Ops{Alarms: map[string]awscloudwatch.Alarm{}}

	o.Topic = awssns.NewTopic(c, jsii.String("AlarmTopic"), &awssns.TopicProps{
		DisplayName: jsii.String("persons " + cfg.Stage + " alarms"),
		EnforceSSL:  jsii.Bool(true),
	})
	cdknag.NagSuppressions_AddResourceSuppressions(o.Topic, &[]*cdknag.NagPackSuppression{{
		Id: jsii.String("AwsSolutions-SNS2"),
		Reason: jsii.String("The topic carries CloudWatch alarm notifications only (alarm names, metric values; no personal data). " +
			"CloudWatch cannot publish to a topic encrypted with the AWS managed key aws/sns, and a customer managed key for this data adds cost without protecting anything."),
	}}, jsii.Bool(true))
	if cfg.Ops.AlarmEmail != "" {
		sub := o.Topic.AddSubscription(awssnssubscriptions.NewEmailSubscription(jsii.String(cfg.Ops.AlarmEmail), nil))
		cdknag.NagSuppressions_AddResourceSuppressions(sub, &[]*cdknag.NagPackSuppression{{
			Id: jsii.String("Serverless-SNSRedrivePolicy"),
			Reason: jsii.String("An alarm e-mail that cannot be delivered is not lost information: the alarm stays in ALARM in CloudWatch and on the dashboard. " +
				"A dead-letter queue of undelivered alarm mails would need watching of its own, by the alarms it exists to deliver."),
		}}, jsii.Bool(true))
	}
	action := awscloudwatchactions.NewSnsAction(o.Topic)
	alarm := func(id, what string, m awscloudwatch.IMetric, threshold, periods, datapoints float64) {
		a := awscloudwatch.NewAlarm(c, jsii.String(id), &awscloudwatch.AlarmProps{
			Metric:             m,
			Threshold:          jsii.Number(threshold),
			EvaluationPeriods:  jsii.Number(periods),
			DatapointsToAlarm:  jsii.Number(datapoints),
			ComparisonOperator: awscloudwatch.ComparisonOperator_GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
			// No requests is no problem: an idle stage stays OK.
			TreatMissingData: awscloudwatch.TreatMissingData_NOT_BREACHING,
			AlarmDescription: jsii.String(fmt.Sprintf("persons %s: %s. What to do: README, Operating it, alarm %s.", cfg.Stage, what, id)),
		})
		a.AddAlarmAction(action)
		a.AddOkAction(action)
		o.Alarms[id] = a
	}
	if s.ChangeFeed != nil {
		s.ChangeFeed.Alarm.AddAlarmAction(action)
		s.ChangeFeed.Alarm.AddOkAction(action)
	}
	sum := &awscloudwatch.MetricOptions{Period: alarmPeriod, Statistic: jsii.String("Sum")}
	p99 := &awscloudwatch.MetricOptions{Period: alarmPeriod, Statistic: jsii.String("p99")}

	for _, name := range functionNames() {
		fn := s.Functions[name].Function
		switch name {
		case seedFunction:
			alarm("SeedErrors", "the seed function failed", fn.MetricErrors(sum), th.SeedErrors, 1, 1)
			continue
		case changesFunction:
			// Its failed batches are retried and end in the dead-letter queue, whose alarm
			// (ChangesDLQAlarm) notifies this topic too.
			alarm("ChangesErrors", "the change feed's processor failed on stream records (retried; the DLQ alarm fires when it gives up)",
				fn.MetricErrors(sum), th.FunctionErrors, 1, 1)
			alarm("ChangesIteratorAge", fmt.Sprintf("the change feed lags the table's stream by %g ms or more for 5 minutes "+
				"(clients see changes that late; records older than 24 h leave the stream unread)", th.ChangesIteratorAgeMs),
				iteratorAge(fn, ""), th.ChangesIteratorAgeMs, 5, 5)
			continue
		}
		cid := constructID(name)
		alarm(cid+"Errors", name+" function invocations failed (crash or timeout, not a 5xx answer)", fn.MetricErrors(sum), th.FunctionErrors, 1, 1)
		alarm(cid+"Throttles", name+" function invocations were throttled (concurrency limit)", fn.MetricThrottles(sum), th.FunctionThrottles, 1, 1)
		alarm(cid+"DurationP99", fmt.Sprintf("%s function p99 duration at %g%% of its %d s timeout", name, th.DurationP99Percent, apiTimeoutSec),
			fn.MetricDuration(p99), apiTimeoutSec*1000*th.DurationP99Percent/100, 3, 3)
	}

	httpAPI := s.API.API
	alarm("Api5xxRate", fmt.Sprintf("HTTP API 5xx answers at %g%% of requests", th.API5xxPercent),
		awscloudwatch.NewMathExpression(&awscloudwatch.MathExpressionProps{
			Expression: jsii.String("IF(requests > 0, 100 * errors / requests, 0)"),
			UsingMetrics: &map[string]awscloudwatch.IMetric{
				"errors":   httpAPI.MetricServerError(sum),
				"requests": httpAPI.MetricCount(sum),
			},
			Label:  jsii.String("5xx % of requests"),
			Period: alarmPeriod,
		}), th.API5xxPercent, 3, 2)
	alarm("ApiLatencyP99", fmt.Sprintf("HTTP API p99 latency at %g ms", th.APILatencyP99Ms), httpAPI.MetricLatency(p99), th.APILatencyP99Ms, 3, 3)

	alarm("TableThrottles", "DynamoDB throttled requests on the table (on-demand maximum throughput or partition limits)",
		throttleEvents(s.Table, ""), th.DDBThrottles, 1, 1)
	alarm("Gsi1Throttles", "DynamoDB throttled requests on "+persons.GSI1,
		throttleEvents(s.Table, persons.GSI1), th.DDBThrottles, 1, 1)
	alarm("TableSystemErrors", "DynamoDB answered with internal errors (500)",
		s.Table.MetricSystemErrorsForOperations(&awsdynamodb.SystemErrorsForOperationsMetricOptions{
			Period: alarmPeriod, Statistic: jsii.String("Sum"), Operations: &ddbOperations,
		}), th.DDBSystemErrors, 1, 1)

	o.Dashboard = newDashboard(c, s, o)
	o.Deployments, o.DeploymentRole = newDeploymentGroups(c, s, o)
	o.Backup = addGuards(scope, s)
	o.Budget = addBudget(c, s, o.Topic)

	// The Serverless pack asks every function for a dead-letter queue; Lambda only
	// uses one for asynchronous invocations, and nothing invokes these asynchronously.
	for _, name := range functionNames() {
		reason := "Invoked synchronously only (API Gateway's Lambda integration): a failed request is answered to the client and alarmed on (Errors); " +
			"Lambda sends nothing to a dead-letter queue for synchronous invocations."
		switch name {
		case seedFunction:
			reason = "Invoked synchronously only (the persons CLI, RequestResponse), which reports a failure to its caller; the SeedErrors alarm watches it. " +
				"Lambda sends nothing to a dead-letter queue for synchronous invocations."
		case changesFunction:
			reason = "Invoked by a DynamoDB stream event source mapping, whose on-failure destination is the ChangesDLQ queue (with its alarm); " +
				"a function dead-letter queue applies to asynchronous invocations only."
		}
		cdknag.NagSuppressions_AddResourceSuppressions(s.Functions[name].Function, &[]*cdknag.NagPackSuppression{{
			Id: jsii.String("Serverless-LambdaDLQ"), Reason: jsii.String(reason),
		}}, jsii.Bool(true))
	}
	return o
}

// feedPeriod is the change feed's alarm and graph period: its lag matters by the
// minute (clients poll GET /changes), and the DLQ alarm (changes.go) uses it too.
var feedPeriod = awscdk.Duration_Minutes(jsii.Number(1))

// iteratorAge is the age of the last stream record fn's event source mapping read
// (AWS/Lambda IteratorAge, ms), its maximum per minute. No label for an alarm: a
// labelled metric makes the alarm a metric-math one.
func iteratorAge(fn awslambda.Function, label string) awscloudwatch.IMetric {
	o := &awscloudwatch.MetricOptions{Period: feedPeriod, Statistic: jsii.String("Maximum")}
	if label != "" {
		o.Label = jsii.String(label)
	}
	return fn.Metric(jsii.String("IteratorAge"), o)
}

// throttleEvents is the read plus write throttle events of the table, or of its index
// gsi: these carry the index dimension, unlike ThrottledRequests.
func throttleEvents(t awsdynamodb.Table, gsi string) awscloudwatch.IMetric {
	dims := map[string]*string{"TableName": t.TableName()}
	label := "table throttle events"
	if gsi != "" {
		dims["GlobalSecondaryIndexName"] = jsii.String(gsi)
		label = gsi + " throttle events"
	}
	m := func(name string) awscloudwatch.IMetric {
		return awscloudwatch.NewMetric(&awscloudwatch.MetricProps{
			Namespace: jsii.String("AWS/DynamoDB"), MetricName: jsii.String(name),
			DimensionsMap: &dims, Statistic: jsii.String("Sum"), Period: alarmPeriod,
		})
	}
	// Ids of their own, so that the table's and the index's sums share one graph.
	r, w := "reads", "writes"
	if gsi != "" {
		r, w = r+"_"+strings.ToLower(gsi), w+"_"+strings.ToLower(gsi)
	}
	return awscloudwatch.NewMathExpression(&awscloudwatch.MathExpressionProps{
		Expression:   jsii.String(r + " + " + w),
		UsingMetrics: &map[string]awscloudwatch.IMetric{r: m("ReadThrottleEvents"), w: m("WriteThrottleEvents")},
		Label:        jsii.String(label),
		Period:       alarmPeriod,
	})
}

// newDashboard shows the golden signals: for the HTTP API, per function and per route
// (the functions' EMF metrics, pkg/metrics), and for the table; and the alarms.
func newDashboard(c constructs.Construct, s *Stack, o *Ops) awscloudwatch.Dashboard {
	ns := jsii.String(s.Config.MetricsNamespace())
	d := awscloudwatch.NewDashboard(c, jsii.String("Dashboard"), &awscloudwatch.DashboardProps{
		DashboardName:   jsii.String(s.Config.StackName() + "-golden-signals"),
		DefaultInterval: awscdk.Duration_Hours(jsii.Number(3)),
	})
	graph := func(title string, left []awscloudwatch.IMetric, width float64) awscloudwatch.IWidget {
		return awscloudwatch.NewGraphWidget(&awscloudwatch.GraphWidgetProps{
			Title: jsii.String(title), Left: &left, Width: jsii.Number(width), Height: jsii.Number(6),
		})
	}
	opt := func(stat, label string) *awscloudwatch.MetricOptions {
		return &awscloudwatch.MetricOptions{Period: alarmPeriod, Statistic: jsii.String(stat), Label: jsii.String(label)}
	}
	row := func(ws ...awscloudwatch.IWidget) { d.AddWidgets(ws...) }

	// In the order of their ids: a map's order would change the dashboard on every synth.
	var alarms []interfacesawscloudwatch.IAlarmRef
	for _, id := range slices.Sorted(maps.Keys(o.Alarms)) {
		alarms = append(alarms, o.Alarms[id])
	}
	if s.ChangeFeed != nil {
		alarms = append(alarms, s.ChangeFeed.Alarm)
	}
	row(awscloudwatch.NewAlarmStatusWidget(&awscloudwatch.AlarmStatusWidgetProps{
		Title: jsii.String("Alarms"), Alarms: &alarms, Width: jsii.Number(24),
		SortBy: awscloudwatch.AlarmStatusWidgetSortBy_STATE_UPDATED_TIMESTAMP,
	}))

	h := s.API.API
	row(
		graph("API requests", []awscloudwatch.IMetric{h.MetricCount(opt("Sum", "requests"))}, 6),
		graph("API errors", []awscloudwatch.IMetric{h.MetricServerError(opt("Sum", "5xx")), h.MetricClientError(opt("Sum", "4xx"))}, 6),
		graph("API latency", []awscloudwatch.IMetric{h.MetricLatency(opt("p50", "p50")), h.MetricLatency(opt("p99", "p99"))}, 6),
		graph("API integration latency", []awscloudwatch.IMetric{h.MetricIntegrationLatency(opt("p50", "p50")), h.MetricIntegrationLatency(opt("p99", "p99"))}, 6),
	)
	for _, fn := range api.Functions() {
		f := s.Functions[string(fn)].Function
		name := string(fn)
		row(
			graph(name+": invocations", []awscloudwatch.IMetric{f.MetricInvocations(opt("Sum", "invocations"))}, 6),
			graph(name+": errors, throttles", []awscloudwatch.IMetric{f.MetricErrors(opt("Sum", "errors")), f.MetricThrottles(opt("Sum", "throttles"))}, 6),
			graph(name+": duration", []awscloudwatch.IMetric{f.MetricDuration(opt("p50", "p50")), f.MetricDuration(opt("p99", "p99"))}, 6),
			graph(name+": concurrency", []awscloudwatch.IMetric{f.Metric(jsii.String("ConcurrentExecutions"), opt("Maximum", "max"))}, 6),
		)
	}
	// Per route, from the access lines (EMF).
	routeMetric := func(r api.Route, name, stat string) awscloudwatch.IMetric {
		return awscloudwatch.NewMetric(&awscloudwatch.MetricProps{
			Namespace: ns, MetricName: jsii.String(name),
			DimensionsMap: &map[string]*string{metrics.RouteDimension: jsii.String(r.Pattern())},
			Statistic:     jsii.String(stat), Period: alarmPeriod, Label: jsii.String(r.Pattern()),
		})
	}
	perRoute := func(name, stat string) []awscloudwatch.IMetric {
		var ms []awscloudwatch.IMetric
		for _, r := range api.Routes() {
			ms = append(ms, routeMetric(r, name, stat))
		}
		return ms
	}
	row(
		graph("Requests per route", perRoute(metrics.Requests, "Sum"), 12),
		graph("5xx per route", perRoute(metrics.Status5xx, "Sum"), 12),
	)
	row(
		graph("Latency p50 per route (ms)", perRoute(metrics.DurationMS, "p50"), 8),
		graph("Latency p99 per route (ms)", perRoute(metrics.DurationMS, "p99"), 8),
		graph("DynamoDB requests per request, per route", perRoute(metrics.DDBRequests, "Average"), 8),
	)
	write := func(name string) awscloudwatch.IMetric {
		return awscloudwatch.NewMetric(&awscloudwatch.MetricProps{
			Namespace: ns, MetricName: jsii.String(name), Statistic: jsii.String("Sum"), Period: alarmPeriod, Label: jsii.String(name),
		})
	}
	t := s.Table
	row(
		graph("Writes: conflicts, retries, replays", []awscloudwatch.IMetric{
			write(metrics.Conflicts), write(metrics.PreconditionFailed), write(metrics.Retries), write(metrics.Replays),
		}, 6),
		graph("DynamoDB consumed capacity", []awscloudwatch.IMetric{
			t.MetricConsumedReadCapacityUnits(opt("Sum", "RCU")), t.MetricConsumedWriteCapacityUnits(opt("Sum", "WCU")),
		}, 6),
		graph("DynamoDB throttles", []awscloudwatch.IMetric{throttleEvents(t, ""), throttleEvents(t, persons.GSI1)}, 6),
		graph("DynamoDB system errors", []awscloudwatch.IMetric{
			t.MetricSystemErrorsForOperations(&awsdynamodb.SystemErrorsForOperationsMetricOptions{
				Period: alarmPeriod, Statistic: jsii.String("Sum"), Operations: &ddbOperations,
			}),
		}, 6),
	)
	if feed := s.ChangeFeed; feed != nil {
		fn := s.Functions[changesFunction].Function
		row(
			graph("Change feed: iterator age (ms)", []awscloudwatch.IMetric{iteratorAge(fn, "max")}, 8),
			graph("Change feed: dead-letter queue depth", []awscloudwatch.IMetric{
				feed.DLQ.MetricApproximateNumberOfMessagesVisible(&awscloudwatch.MetricOptions{
					Period: feedPeriod, Statistic: jsii.String("Maximum"), Label: jsii.String("messages"),
				}),
			}, 8),
			graph("Change feed: processor invocations, errors", []awscloudwatch.IMetric{
				fn.MetricInvocations(opt("Sum", "invocations")), fn.MetricErrors(opt("Sum", "errors")),
			}, 8),
		)
	}
	return d
}
