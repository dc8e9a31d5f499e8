package main

import (
	"fmt"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awslambda"
	"github.com/aws/jsii-runtime-go"

	"github.com/personsapi/persons/pkg/api"
	"github.com/personsapi/persons/pkg/deploy"
	"github.com/personsapi/persons/pkg/metrics"
	"github.com/personsapi/persons/pkg/persons"
)

var (
	opsTuned = map[string]string{
		ctxStage: "staging", ctxLogLevel: "debug", ctxSystemLogLevel: "WARN", ctxAlarmEmail: "oncall@example.com",
		ctxAlarmAPILatencyP99: "1500", ctxAlarmDurationP99: "50", ctxAlarmAPI5xx: "2.5", ctxAlarmFunctionErrors: "3",
		ctxBudget: "50", ctxAlarmChangesIteratorAge: "120000",
	}
)

// alarmProps is the alarm id's properties in the template.
func alarmProps(t *testing.T, v *synthesized, id string) map[string]any {
	t.Helper()
	a, ok := v.stack.Ops.Alarms[id]
	if !ok {
		t.Fatalf("no alarm %s among %d", id, len(v.stack.Ops.Alarms))
	}
	r, ok := v.tpl.Resources[v.stack.logicalID(a.Node().DefaultChild())]
	if !ok || r.Type != "AWS::CloudWatch::Alarm" {
		t.Fatalf("alarm %s not in the template", id)
	}
	return r.Properties
}

// The functions log one JSON stream at the configured levels, and the API functions
// write their metrics into the stage's namespace.
func TestLoggingConfig(t *testing.T) {
	for _, tc := range []struct {
		name         string
		ctx          map[string]string
		app, sys, ns string
	}{
		{"default", defaults, "INFO", "INFO", "Persons/prod"},
		{"dev", devStage, "INFO", "INFO", "Persons/dev"},
		{"tuned", opsTuned, "DEBUG", "WARN", "Persons/staging"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			v := synth(t, tc.ctx, nil)
			for _, name := range functionNames() {
				p := v.tpl.Resources[v.stack.logicalID(v.stack.Functions[name].Function.Node().DefaultChild())].Properties
				lc, _ := p["LoggingConfig"].(map[string]any)
				if lc["LogFormat"] != "JSON" || lc["ApplicationLogLevel"] != tc.app || lc["SystemLogLevel"] != tc.sys {
					t.Errorf("%s: logging config %s, want JSON, %s, %s", name, js(lc), tc.app, tc.sys)
				}
				vars := p["Environment"].(map[string]any)["Variables"].(map[string]any)
				if ns, set := vars[deploy.EnvMetricsNamespace]; !apiFunction(name) && set || apiFunction(name) && ns != tc.ns {
					t.Errorf("%s: %s = %v, want %q (none for seed)", name, deploy.EnvMetricsNamespace, ns, tc.ns)
				}
			}
		})
	}
}

// One topic; every alarm notifies it on ALARM and OK, is idle-safe, and watches the
// metric with the threshold the issue asks for: per API function errors, throttles and
// p99 duration against the timeout; the seed's errors; the HTTP API's 5xx rate and p99
// latency; DynamoDB throttles on the table and GSI1 and its system errors.
func TestAlarms(t *testing.T) {
	for _, tc := range []struct {
		name string
		ctx  map[string]string
		th   Thresholds
	}{
		{"default", defaults, defaultThresholds},
		{"dev", devStage, defaultThresholds},
		{"tuned", opsTuned, func() Thresholds {
			th := defaultThresholds
			th.APILatencyP99Ms, th.DurationP99Percent, th.API5xxPercent, th.FunctionErrors = 1500, 50, 2.5, 3
			th.ChangesIteratorAgeMs = 120000
			return th
		}()},
	} {
		t.Run(tc.name, func(t *testing.T) {
			v := synth(t, tc.ctx, nil)
			topic := only(t, v.tpl.ofType("AWS::SNS::Topic"), "topics")
			alarms := v.tpl.ofType("AWS::CloudWatch::Alarm")
			// Per API function 3, seed 1, change feed processor 2 (errors, iterator age), HTTP
			// API 2, DynamoDB 3; plus the change feed's dead-letter queue alarm (changes.go).
			if want := 3*len(api.Functions()) + 1 + 2 + 2 + 3; len(alarms) != want+1 || len(v.stack.Ops.Alarms) != want {
				t.Fatalf("%d alarms (%d built), want %d", len(alarms), len(v.stack.Ops.Alarms), want)
			}
			for _, id := range alarms {
				p := v.tpl.Resources[id].Properties
				if !sameJSON(p["AlarmActions"], []any{ref(topic)}) || !sameJSON(p["OKActions"], []any{ref(topic)}) {
					t.Errorf("alarm %s: actions %s / %s, want the topic", id, js(p["AlarmActions"]), js(p["OKActions"]))
				}
				if p["TreatMissingData"] != "notBreaching" || p["ComparisonOperator"] != "GreaterThanOrEqualToThreshold" {
					t.Errorf("alarm %s: missing data %v, comparison %v", id, p["TreatMissingData"], p["ComparisonOperator"])
				}
				if d, _ := p["AlarmDescription"].(string); !strings.Contains(d, "Operating it") {
					t.Errorf("alarm %s: description %q does not point to the runbook", id, d)
				}
			}
			type want struct {
				metric, namespace, stat string
				dims                    map[string]any // name -> value (a token)
				threshold, periods      float64
				period                  float64 // s; 0: 300
			}
			single := func(id string, w want) {
				t.Helper()
				if w.period == 0 {
					w.period = 300
				}
				p := alarmProps(t, v, id)
				dims := map[string]any{}
				for _, d := range list(p["Dimensions"]) {
					m := d.(map[string]any)
					dims[m["Name"].(string)] = m["Value"]
				}
				stat := p["Statistic"]
				if stat == nil {
					stat = p["ExtendedStatistic"]
				}
				if p["MetricName"] != w.metric || p["Namespace"] != w.namespace || stat != w.stat || p["Period"] != w.period ||
					!sameJSON(dims, w.dims) || p["Threshold"] != w.threshold || p["EvaluationPeriods"] != w.periods || p["DatapointsToAlarm"] == nil {
					t.Errorf("alarm %s: %s %s %v dims %s period %v threshold %v periods %v; want %+v",
						id, p["Namespace"], p["MetricName"], stat, js(dims), p["Period"], p["Threshold"], p["EvaluationPeriods"], w)
				}
			}
			for _, fn := range api.Functions() {
				cid := constructID(string(fn))
				fnDims := map[string]any{"FunctionName": ref(v.stack.logicalID(v.stack.Functions[string(fn)].Function.Node().DefaultChild()))}
				single(cid+"Errors", want{"Errors", "AWS/Lambda", "Sum", fnDims, tc.th.FunctionErrors, 1, 0})
				single(cid+"Throttles", want{"Throttles", "AWS/Lambda", "Sum", fnDims, tc.th.FunctionThrottles, 1, 0})
				single(cid+"DurationP99", want{"Duration", "AWS/Lambda", "p99", fnDims, apiTimeoutSec * 1000 * tc.th.DurationP99Percent / 100, 3, 0})
			}
			seedDims := map[string]any{"FunctionName": ref(v.stack.logicalID(v.stack.Functions[seedFunction].Function.Node().DefaultChild()))}
			single("SeedErrors", want{"Errors", "AWS/Lambda", "Sum", seedDims, tc.th.SeedErrors, 1, 0})
			// The change feed's lag: the processor's IteratorAge, maximum per minute, 5 of 5.
			changesDims := map[string]any{"FunctionName": ref(v.stack.logicalID(v.stack.Functions[changesFunction].Function.Node().DefaultChild()))}
			single("ChangesIteratorAge", want{"IteratorAge", "AWS/Lambda", "Maximum", changesDims, tc.th.ChangesIteratorAgeMs, 5, 60})
			if p := alarmProps(t, v, "ChangesIteratorAge"); p["DatapointsToAlarm"] != 5.0 || !strings.Contains(fmt.Sprint(p["AlarmDescription"]), "change feed lags") {
				t.Errorf("ChangesIteratorAge: %v of 5 datapoints, description %q", p["DatapointsToAlarm"], p["AlarmDescription"])
			}
			apiDims := map[string]any{"ApiId": ref(v.stack.logicalID(v.stack.API.API.Node().DefaultChild()))}
			single("ApiLatencyP99", want{"Latency", "AWS/ApiGateway", "p99", apiDims, tc.th.APILatencyP99Ms, 3, 0})

			// Math alarms: the expression and the metrics it reads.
			math := func(id, expr string, threshold float64, metricsWanted ...string) {
				t.Helper()
				p := alarmProps(t, v, id)
				body := js(p["Metrics"])
				if p["Threshold"] != threshold || !strings.Contains(body, expr) {
					t.Errorf("alarm %s: threshold %v, metrics %s; want %v and %q", id, p["Threshold"], body, threshold, expr)
				}
				for _, m := range metricsWanted {
					if !strings.Contains(body, m) {
						t.Errorf("alarm %s does not read %s: %s", id, m, body)
					}
				}
			}
			math("Api5xxRate", "100 * errors / requests", tc.th.API5xxPercent, `"5xx"`, `"Count"`, `"AWS/ApiGateway"`)
			math("TableThrottles", "reads + writes", tc.th.DDBThrottles, "ReadThrottleEvents", "WriteThrottleEvents")
			math("Gsi1Throttles", "reads_"+strings.ToLower(persons.GSI1)+" + writes_"+strings.ToLower(persons.GSI1), tc.th.DDBThrottles, "ReadThrottleEvents", "WriteThrottleEvents", `"GlobalSecondaryIndexName","Value":"`+persons.GSI1+`"`)
			if js(alarmProps(t, v, "TableThrottles")["Metrics"]) == "" || strings.Contains(js(alarmProps(t, v, "TableThrottles")["Metrics"]), "GlobalSecondaryIndexName") {
				t.Error("the table's throttle alarm reads an index's metrics")
			}
			var ops []string
			for _, o := range ddbOperations {
				ops = append(ops, fmt.Sprintf(`"Value":"%s"`, ddbOperationName(string(o))))
			}
			math("TableSystemErrors", "", tc.th.DDBSystemErrors, append([]string{"SystemErrors"}, ops...)...)

			subs := v.tpl.ofType("AWS::SNS::Subscription")
			if email := tc.ctx[ctxAlarmEmail]; email != "" {
				s := v.tpl.Resources[only(t, subs, "subscriptions")].Properties
				if s["Protocol"] != "email" || s["Endpoint"] != email || !sameJSON(s["TopicArn"], ref(topic)) {
					t.Errorf("subscription %s", js(s))
				}
			} else if len(subs) != 0 {
				t.Errorf("subscriptions %v without %s", subs, ctxAlarmEmail)
			}
		})
	}
}

// ddbOperationName is the DynamoDB API name of a CDK operation: GET_ITEM -> GetItem.
func ddbOperationName(op string) string {
	var b strings.Builder
	for _, w := range strings.Split(op, "_") {
		b.WriteString(w[:1] + strings.ToLower(w[1:]))
	}
	return b.String()
}

// The dashboard shows every alarm, each API function, and every route's EMF metrics
// in the stage's namespace.
func TestDashboard(t *testing.T) {
	for name, ctx := range map[string]map[string]string{"default": defaults, "dev": devStage} {
		t.Run(name, func(t *testing.T) {
			v := synth(t, ctx, nil)
			d := v.tpl.Resources[only(t, v.tpl.ofType("AWS::CloudWatch::Dashboard"), "dashboards")].Properties
			body := js(d["DashboardBody"])
			if d["DashboardName"] != v.stack.Config.StackName()+"-golden-signals" {
				t.Errorf("dashboard name %v", d["DashboardName"])
			}
			for id, a := range v.stack.Ops.Alarms {
				if !strings.Contains(body, v.stack.logicalID(a.Node().DefaultChild())) {
					t.Errorf("alarm %s not on the dashboard", id)
				}
			}
			for _, fn := range api.Functions() {
				if !strings.Contains(body, string(fn)+": duration") {
					t.Errorf("no duration graph of %s", fn)
				}
			}
			ns := v.stack.Config.MetricsNamespace()
			for _, r := range api.Routes() {
				for _, m := range []string{metrics.Requests, metrics.DurationMS, metrics.DDBRequests, metrics.Status5xx} {
					want := fmt.Sprintf(`[\"%s\",\"%s\",\"%s\",\"%s\"`, ns, m, metrics.RouteDimension, r.Pattern())
					if !strings.Contains(body, want) {
						t.Errorf("no %s of route %s on the dashboard (%s)", m, r.Pattern(), want)
						return
					}
				}
			}
			if !strings.Contains(body, v.stack.logicalID(v.stack.ChangeFeed.Alarm.Node().DefaultChild())) {
				t.Error("the change feed's DLQ alarm is not on the dashboard")
			}
			for _, w := range []string{`\"IteratorAge\"`, `\"ApproximateNumberOfMessagesVisible\"`, "Change feed: iterator age", `\"p50\"`, `\"p99\"`, metrics.Retries, metrics.Replays, metrics.Conflicts, metrics.PreconditionFailed, "ConsumedReadCapacityUnits", "ThrottleEvents"} {
				if !strings.Contains(body, w) {
					t.Errorf("dashboard lacks %s", w)
				}
			}
		})
	}
}

func TestParseOpsConfig(t *testing.T) {
	for _, tc := range []struct {
		name    string
		ctx     map[string]string
		want    OpsConfig
		wantErr []string
	}{
		{name: "defaults"},
		{
			name: "set",
			ctx:  map[string]string{ctxLogLevel: "trace", ctxSystemLogLevel: "debug", ctxAlarmEmail: "a@example.com", ctxAlarmDDBThrottles: "10", ctxTracing: " XRay "},
			want: OpsConfig{LogLevel: "TRACE", SystemLogLevel: "DEBUG", AlarmEmail: "a@example.com", Thresholds: Thresholds{DDBThrottles: 10}, Tracing: tracingXRay},
		},
		{name: "warn drops metrics", ctx: map[string]string{ctxLogLevel: "WARN"}, wantErr: []string{"logLevel=WARN would drop the access lines"}},
		{
			name: "every error at once",
			ctx: map[string]string{ctxLogLevel: "LOUD", ctxSystemLogLevel: "TRACE", ctxAlarmEmail: "Ops <ops@example.com>",
				ctxAlarmAPI5xx: "101", ctxAlarmFunctionErrors: "0", ctxAlarmSeedErrors: "x", ctxMaxReadRequestUnits: "0", ctxReservedConcurrency: "1.5", ctxBudget: "-5", ctxTracing: "zipkin", ctxAlarmChangesIteratorAge: "-1"},
			wantErr: []string{`logLevel="LOUD"`, `systemLogLevel="TRACE"`, "alarmEmail=", "alarmApi5xxPercent=\"101\": want at most 100",
				`alarmFunctionErrors="0": want a number above 0`, `alarmSeedErrors="x"`,
				`maxReadRequestUnits="0": want a whole number above 0`, `reservedConcurrency="1.5"`, `budgetMonthlyUsd="-5"`, `tracing="zipkin": want one of otel, xray, off`, `alarmChangesIteratorAgeMs="-1": want a number above 0`},
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := parseOpsConfig(func(k string) string { return tc.ctx[k] })
			if tc.wantErr == nil {
				if err != nil || !reflect.DeepEqual(got, tc.want) {
					t.Errorf("got %+v, %v; want %+v", got, err, tc.want)
				}
				return
			}
			for _, w := range tc.wantErr {
				if err == nil || !strings.Contains(err.Error(), w) {
					t.Errorf("error %v lacks %q", err, w)
				}
			}
		})
	}
	if got := (OpsConfig{}).TracingMode(); got != tracingOTel {
		t.Errorf("default tracing %q, want %q", got, tracingOTel)
	}
	// Zero thresholds are the defaults; set ones win.
	if got := (OpsConfig{Thresholds: Thresholds{DDBThrottles: 10}}).Alarms(); got.DDBThrottles != 10 || got.APILatencyP99Ms != defaultThresholds.APILatencyP99Ms {
		t.Errorf("Alarms() = %+v", got)
	}
}

// The Serverless pack runs too: a function without the stack's suppressions (a new one
// with a DLQ-less asynchronous use in mind) is reported.
func TestServerlessNagIsWired(t *testing.T) {
	v := synth(t, defaults, func(s *Stack) {
		awslambda.NewFunction(s.Stack, jsii.String("Unreviewed"), &awslambda.FunctionProps{
			Runtime: awslambda.Runtime_PROVIDED_AL2023(), Handler: jsii.String("bootstrap"),
			Code: awslambda.Code_FromAsset(jsii.String(filepath.Join(assetDir, seedFunction)), nil),
		})
	})
	if !slices.ContainsFunc(v.nagErrors, func(e string) bool {
		return strings.Contains(e, "Serverless-LambdaDLQ") && strings.Contains(e, "Unreviewed")
	}) {
		t.Errorf("a function without a DLQ passed the Serverless pack: errors %v", v.nagErrors)
	}
}

// Each API function is published as a version behind its live alias, which the
// integration invokes; a CodeDeploy group per function shifts the alias in the stage's
// style and rolls back on failure, on stop and on the function's alarms and the API's
// 5xx rate.
func TestDeployments(t *testing.T) {
	for _, tc := range []struct {
		name   string
		ctx    map[string]string
		config string
	}{
		{"default", defaults, "CodeDeployDefault.LambdaCanary10Percent5Minutes"},
		{"dev", devStage, "CodeDeployDefault.LambdaAllAtOnce"},
		{"dev linear", map[string]string{ctxStage: "dev", ctxDeployment: "linear"}, "CodeDeployDefault.LambdaLinear10PercentEvery1Minute"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			v := synth(t, tc.ctx, nil)
			tpl := v.tpl
			groups := tpl.ofType("AWS::CodeDeploy::DeploymentGroup")
			if len(groups) != len(api.Functions()) || len(tpl.ofType("AWS::Lambda::Alias")) != len(api.Functions()) ||
				len(tpl.ofType("AWS::Lambda::Version")) != len(api.Functions()) {
				t.Fatalf("%d deployment groups, %d aliases, %d versions; want one per API function",
					len(groups), len(tpl.ofType("AWS::Lambda::Alias")), len(tpl.ofType("AWS::Lambda::Version")))
			}
			roleID := v.stack.logicalID(v.stack.Ops.DeploymentRole.Node().DefaultChild())
			role := tpl.Resources[roleID].Properties
			if !strings.Contains(js(role["ManagedPolicyArns"]), "service-role/AWSCodeDeployRoleForLambdaLimited") || len(list(role["ManagedPolicyArns"])) != 1 ||
				!strings.Contains(js(role["AssumeRolePolicyDocument"]), "codedeploy.amazonaws.com") {
				t.Errorf("deployment role %s", js(role))
			}
			for _, fn := range api.Functions() {
				f := v.stack.Functions[string(fn)]
				fnID := v.stack.logicalID(f.Function.Node().DefaultChild())
				aliasID := v.stack.logicalID(f.Alias.Node().DefaultChild())
				alias := tpl.Resources[aliasID]
				verID := fmt.Sprint(alias.Properties["FunctionVersion"].(map[string]any)["Fn::GetAtt"].([]any)[0])
				if alias.Properties["Name"] != liveAlias || !sameJSON(alias.Properties["FunctionName"], ref(fnID)) ||
					!sameJSON(tpl.Resources[verID].Properties["FunctionName"], ref(fnID)) {
					t.Errorf("%s: alias %s (version %s)", fn, js(alias.Properties), verID)
				}
				// CodeDeploy moves the alias: CloudFormation must not move it back.
				if up := f.Alias.Node().DefaultChild().(awscdk.CfnResource).CfnOptions().UpdatePolicy(); up == nil || up.CodeDeployLambdaAliasUpdate == nil ||
					!strings.Contains(js(v.stack.Stack.Resolve(up.CodeDeployLambdaAliasUpdate.DeploymentGroupName)), v.stack.logicalID(v.stack.Ops.Deployments[string(fn)].Node().DefaultChild())) {
					t.Errorf("%s: alias without the CodeDeploy update policy of its group: %s", fn, js(up))
				}
				g := tpl.Resources[v.stack.logicalID(v.stack.Ops.Deployments[string(fn)].Node().DefaultChild())].Properties
				var alarmIDs []string
				for _, a := range list(g["AlarmConfiguration"].(map[string]any)["Alarms"]) {
					alarmIDs = append(alarmIDs, js(a))
				}
				cid := constructID(string(fn))
				for _, id := range []string{cid + "Errors", cid + "Throttles", cid + "DurationP99", "Api5xxRate"} {
					if !strings.Contains(strings.Join(alarmIDs, " "), v.stack.logicalID(v.stack.Ops.Alarms[id].Node().DefaultChild())) {
						t.Errorf("%s: deployment group does not roll back on %s: %v", fn, id, alarmIDs)
					}
				}
				rb := js(g["AutoRollbackConfiguration"])
				if !strings.Contains(rb, `"Enabled":true`) || !strings.Contains(rb, "DEPLOYMENT_FAILURE") || !strings.Contains(rb, "DEPLOYMENT_STOP_ON_ALARM") {
					t.Errorf("%s: rollback %s", fn, rb)
				}
				if g["DeploymentConfigName"] != tc.config || !sameJSON(g["ServiceRoleArn"], arnOf(roleID)) {
					t.Errorf("%s: config %v role %v; want %s", fn, g["DeploymentConfigName"], js(g["ServiceRoleArn"]), tc.config)
				}
			}
		})
	}
}

// withoutThroughputCap drops the stack's OnDemandThroughput (guards.go) from the
// template's GSIs, which the library's table definition does not have.
func withoutThroughputCap(gsis any) any {
	var out []any
	for _, g := range list(gsis) {
		m := map[string]any{}
		for k, v := range g.(map[string]any) {
			if k != "OnDemandThroughput" {
				m[k] = v
			}
		}
		out = append(out, m)
	}
	return out
}

// The table and GSI1 are capped at the maximum on-demand throughput; the API functions
// reserve concurrency only when asked to; retained stages back the table up daily.
func TestGuards(t *testing.T) {
	for _, tc := range []struct {
		name              string
		ctx               map[string]string
		read, write, conc float64
		backup            bool
	}{
		{"default", defaults, defaultMaxReadRequestUnits, defaultMaxWriteRequestUnits, 0, true},
		{"dev", devStage, defaultMaxReadRequestUnits, defaultMaxWriteRequestUnits, 0, false},
		{"set", map[string]string{ctxStage: "staging", ctxMaxReadRequestUnits: "800", ctxMaxWriteRequestUnits: "300", ctxReservedConcurrency: "20"}, 800, 300, 20, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			v := synth(t, tc.ctx, nil)
			tpl := v.tpl
			tableID := only(t, tpl.ofType("AWS::DynamoDB::Table"), "tables")
			table := tpl.Resources[tableID].Properties
			want := map[string]any{"MaxReadRequestUnits": tc.read, "MaxWriteRequestUnits": tc.write}
			if !sameJSON(table["OnDemandThroughput"], want) {
				t.Errorf("table throughput cap %s, want %s", js(table["OnDemandThroughput"]), js(want))
			}
			for _, g := range list(table["GlobalSecondaryIndexes"]) {
				if !sameJSON(g.(map[string]any)["OnDemandThroughput"], want) {
					t.Errorf("GSI throughput cap %s, want %s", js(g), js(want))
				}
			}
			for _, name := range functionNames() {
				p := tpl.Resources[v.stack.logicalID(v.stack.Functions[name].Function.Node().DefaultChild())].Properties
				got, _ := p["ReservedConcurrentExecutions"].(float64)
				if want := tc.conc; !apiFunction(name) && got != 0 || apiFunction(name) && got != want {
					t.Errorf("%s: reserved concurrency %v, want %v (none for seed)", name, got, want)
				}
			}
			plans, sels := tpl.ofType("AWS::Backup::BackupPlan"), tpl.ofType("AWS::Backup::BackupSelection")
			if !tc.backup {
				if len(plans)+len(sels)+len(tpl.ofType("AWS::Backup::BackupVault")) != 0 {
					t.Errorf("throwaway stage has backups: %v %v", plans, sels)
				}
				return
			}
			vault := tpl.Resources[only(t, tpl.ofType("AWS::Backup::BackupVault"), "vaults")]
			plan := js(tpl.Resources[only(t, plans, "backup plans")].Properties)
			sel := js(tpl.Resources[only(t, sels, "backup selections")].Properties)
			if vault.DeletionPolicy != "Retain" || !strings.Contains(plan, `"DeleteAfterDays":35`) || !strings.Contains(sel, js(arnOf(tableID))) {
				t.Errorf("backup: vault policy %q, plan %s, selection %s", vault.DeletionPolicy, plan, sel)
			}
		})
	}
}

// A budget only when asked for: monthly cost of the stage's tag, notifying the alarm
// topic, which lets AWS Budgets (of this account) publish.
func TestBudget(t *testing.T) {
	if ids := synth(t, defaults, nil).tpl.ofType("AWS::Budgets::Budget"); len(ids) != 0 {
		t.Errorf("budget %v without %s", ids, ctxBudget)
	}
	v := synth(t, opsTuned, nil)
	b := v.tpl.Resources[only(t, v.tpl.ofType("AWS::Budgets::Budget"), "budgets")].Properties
	topic := only(t, v.tpl.ofType("AWS::SNS::Topic"), "topics")
	data := js(b["Budget"])
	for _, w := range []string{`"BudgetLimit":{"Amount":50,"Unit":"USD"}`, `"TimeUnit":"MONTHLY"`, `"BudgetType":"COST"`, `"Key":"stage","Values":["staging"]`} {
		if !strings.Contains(data, w) {
			t.Errorf("budget %s lacks %s", data, w)
		}
	}
	notes := list(b["NotificationsWithSubscribers"])
	if len(notes) != 2 || !strings.Contains(js(notes), js(map[string]any{"Address": ref(topic), "SubscriptionType": "SNS"})) ||
		!strings.Contains(js(notes), `"ACTUAL"`) || !strings.Contains(js(notes), `"FORECASTED"`) {
		t.Errorf("budget notifications %s", js(notes))
	}
	var policy string
	for _, id := range v.tpl.ofType("AWS::SNS::TopicPolicy") {
		policy += js(v.tpl.Resources[id].Properties)
	}
	if !strings.Contains(policy, `"budgets.amazonaws.com"`) || !strings.Contains(policy, `"aws:SourceAccount"`) {
		t.Errorf("topic policy does not let Budgets publish: %s", policy)
	}
}

// Write routes have a stage throttle below the stage's default; reads keep the default.
func TestWriteThrottle(t *testing.T) {
	v := synth(t, defaults, nil)
	stageID := only(t, v.tpl.ofType("AWS::ApiGatewayV2::Stage"), "stages")
	settings, _ := v.tpl.Resources[stageID].Properties["RouteSettings"].(map[string]any)
	writes := 0
	for _, r := range api.Routes() {
		got, ok := settings[r.Method+" "+r.Path]
		if !metrics.IsWrite(r.Method) {
			if ok {
				t.Errorf("read route %s has its own throttle %s", r.Pattern(), js(got))
			}
			continue
		}
		writes++
		want := map[string]any{"ThrottlingRateLimit": writeThrottleRate, "ThrottlingBurstLimit": writeThrottleBurst}
		if !sameJSON(got, want) {
			t.Errorf("write route %s: throttle %s, want %s", r.Pattern(), js(got), js(want))
		}
	}
	if writes == 0 || len(settings) != writes || writeThrottleRate >= throttleRate || writeThrottleBurst >= throttleBurst {
		t.Errorf("%d route settings for %d writes; write throttle %d/%d vs stage %d/%d", len(settings), writes, writeThrottleRate, writeThrottleBurst, throttleRate, throttleBurst)
	}
}
