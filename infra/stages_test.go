package main

import (
	"maps"
	"slices"
	"strings"
	"testing"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/jsii-runtime-go"
)

// loadConfig: the selected stage's object in `stages` under the flat context, in both
// forms the context delivers it (a JSON object from cdk.json, a string from -c), its
// keys and values checked, and the pins checked against the CLI's environment.
func TestLoadConfig(t *testing.T) {
	pinned := map[string]any{"prod": map[string]any{"account": "111111111111", "region": "eu-west-1"}}
	for _, tc := range []struct {
		name    string
		ctx     map[string]any
		cli     CLIEnv
		check   func(t *testing.T, c Config)
		wantErr []string // substrings; nil: no error
	}{
		{
			name: "no stages: defaults, environment-agnostic, a year of logs",
			check: func(t *testing.T, c Config) {
				if c.Stage != "prod" || c.Account != "" || c.Region != "" || c.LogRetentionDays != 365 || c.Ops.Deployment != "canary" {
					t.Errorf("%+v", c)
				}
			},
		},
		{
			name: "cdk.json object form, JSON numbers: only the selected stage's settings apply",
			ctx: map[string]any{ctxStages: map[string]any{
				"dev":  map[string]any{"deployment": "linear", "logRetentionDays": 7.0},
				"prod": map[string]any{"alarmApi5xxPercent": 2.5, "reservedConcurrency": 20.0, "account": 111111111111.0, "tracing": "xray"},
			}},
			check: func(t *testing.T, c Config) {
				if c.Ops.Thresholds.API5xxPercent != 2.5 || c.Ops.Guards.ReservedConcurrency != 20 || c.Account != "111111111111" ||
					c.Ops.Tracing != tracingXRay || c.Ops.Deployment != "canary" || c.LogRetentionDays != 365 {
					t.Errorf("%+v", c)
				}
			},
		},
		{
			name: "the dev stage's object, throwaway defaults for the rest",
			ctx: map[string]any{ctxStage: "dev", ctxStages: map[string]any{
				"dev": map[string]any{"deployment": "linear", "logRetentionDays": 7.0},
			}},
			check: func(t *testing.T, c Config) {
				if c.Ops.Deployment != "linear" || c.LogRetentionDays != 7 {
					t.Errorf("%+v", c)
				}
			},
		},
		{
			name: "a flat -c value wins over the stage's",
			ctx: map[string]any{ctxStage: "dev", ctxDeployment: "all-at-once", ctxStages: map[string]any{
				"dev": map[string]any{"deployment": "linear", "logRetentionDays": 7.0},
			}},
			check: func(t *testing.T, c Config) {
				if c.Ops.Deployment != "all-at-once" || c.LogRetentionDays != 7 {
					t.Errorf("%+v", c)
				}
			},
		},
		{
			name: "-c string form, pins equal to the CLI's",
			ctx:  map[string]any{ctxStages: `{"prod": {"account": "111111111111", "region": "eu-west-1", "logRetentionDays": 731}}`},
			cli:  CLIEnv{Account: "111111111111", Region: "eu-west-1"},
			check: func(t *testing.T, c Config) {
				if c.Account != "111111111111" || c.Region != "eu-west-1" || c.LogRetentionDays != 731 {
					t.Errorf("%+v", c)
				}
			},
		},
		{
			name:  "the CLI's environment without pins is fine",
			cli:   CLIEnv{Account: "222222222222", Region: "us-east-1"},
			check: func(t *testing.T, c Config) {},
		},
		{
			name:    "pinned account, other credentials",
			ctx:     map[string]any{ctxStages: pinned},
			cli:     CLIEnv{Account: "222222222222", Region: "eu-west-1"},
			wantErr: []string{"stage prod is pinned to account 111111111111", "credentials are for account 222222222222 (CDK_DEFAULT_ACCOUNT)"},
		},
		{
			name:    "pinned region, other region",
			ctx:     map[string]any{ctxStages: pinned},
			cli:     CLIEnv{Account: "111111111111", Region: "us-east-1"},
			wantErr: []string{"stage prod is pinned to region eu-west-1", "the CLI's region is us-east-1"},
		},
		{
			name:  "pinned region, no credentials: the CLI's fallback region is not compared",
			ctx:   map[string]any{ctxStages: pinned},
			cli:   CLIEnv{Region: "us-east-1"},
			check: func(t *testing.T, c Config) {},
		},
		{
			name:    "unknown key",
			ctx:     map[string]any{ctxStages: map[string]any{"prod": map[string]any{"alarmApi5xx": 2.0}}},
			wantErr: []string{"stages.prod.alarmApi5xx: unknown key"},
		},
		{
			name:    "unknown key of a stage not selected",
			ctx:     map[string]any{ctxStages: `{"dev": {"tracin": "off"}}`},
			wantErr: []string{"stages.dev.tracin: unknown key"},
		},
		{
			name:    "stage inside a stage",
			ctx:     map[string]any{ctxStage: "dev", ctxStages: map[string]any{"dev": map[string]any{"stage": "prod"}}},
			wantErr: []string{"stages.dev.stage: the stage is chosen with -c stage=dev"},
		},
		{name: "not an object", ctx: map[string]any{ctxStages: `["prod"]`}, wantErr: []string{"stages: want an object of stage objects", "got an array"}},
		{name: "not JSON", ctx: map[string]any{ctxStages: `{prod: {}}`}, wantErr: []string{"stages: not JSON"}},
		{name: "a stage that is no object", ctx: map[string]any{ctxStages: map[string]any{"prod": "eu-west-1"}}, wantErr: []string{"stages.prod: want an object of settings, got a string"}},
		{name: "a bad stage name", ctx: map[string]any{ctxStages: map[string]any{"Prod": map[string]any{}}}, wantErr: []string{"stages.Prod: not a stage name"}},
		{
			name:    "a list value",
			ctx:     map[string]any{ctxStages: map[string]any{"prod": map[string]any{"corsOrigins": []any{"https://a.example.com"}}}},
			wantErr: []string{"stages.prod.corsOrigins: want a string, number or boolean, got an array"},
		},
		{name: "bad account", ctx: map[string]any{ctxStages: `{"prod": {"account": "12345"}}`}, wantErr: []string{`account="12345": want an AWS account id, 12 digits`, "(set in stages.prod: account;"}},
		{name: "bad region", ctx: map[string]any{ctxRegion: "europe"}, wantErr: []string{`region="europe": want an AWS region`}},
		{name: "bad retention", ctx: map[string]any{ctxStages: map[string]any{"prod": map[string]any{"logRetentionDays": 31.0}}}, wantErr: []string{`logRetentionDays="31": want one of CloudWatch Logs' retention periods: 1, 3, 5,`, "3653"}},
		{
			name: "every error at once",
			ctx: map[string]any{ctxStages: map[string]any{
				"prod": map[string]any{"account": "1111", "logRetentionDays": "month", "nope": 1.0, "tracing": true},
			}},
			cli:     CLIEnv{Account: "222222222222"},
			wantErr: []string{`account="1111"`, `logRetentionDays="month"`, "stages.prod.nope: unknown key", `tracing="true"`},
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := loadConfig(func(k string) any { return tc.ctx[k] }, tc.cli)
			if tc.wantErr == nil {
				if err != nil {
					t.Fatalf("error: %v", err)
				}
				tc.check(t, got)
				return
			}
			if err == nil {
				t.Fatalf("no error for %v", tc.ctx)
			}
			for _, w := range tc.wantErr {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q lacks %q", err, w)
				}
			}
		})
	}
}

// A stage object accepts exactly the keys parseConfig reads, but the stage: a key added
// to the flat context without being added to stageKeys fails here.
func TestStageKeysAreWhatParseConfigReads(t *testing.T) {
	read := map[string]bool{}
	if _, err := parseConfig(func(k string) string { read[k] = true; return "" }); err != nil {
		t.Fatal(err)
	}
	delete(read, ctxStage)
	got := slices.Sorted(maps.Keys(read))
	want := slices.Sorted(slices.Values(stageKeys))
	if !slices.Equal(got, want) {
		t.Errorf("parseConfig reads %v;\nstageKeys are %v", got, want)
	}
}

// stagesContext is a `stages` value as -c passes it: dev pinned and tuned, prod tuned.
const stagesContext = `{
	"dev":  {"account": "111111111111", "region": "eu-west-1", "deployment": "linear", "logRetentionDays": 7},
	"prod": {"alarmApi5xxPercent": 2.5}
}`

// A pinned stage's stack has the account and region (and so literal ARNs), its
// settings from `stages` reach the template, and the log groups keep logs as long as
// the stage says (30 days for throwaway stages, a year for retained ones by default).
func TestStagesInTemplate(t *testing.T) {
	for _, tc := range []struct {
		name            string
		ctx             map[string]string
		account, region string // "": environment-agnostic
		retention       float64
		deployment      string
		api5xx          float64
	}{
		{"default", defaults, "", "", 365, "CodeDeployDefault.LambdaCanary10Percent5Minutes", defaultThresholds.API5xxPercent},
		{"dev", devStage, "", "", 30, "CodeDeployDefault.LambdaAllAtOnce", defaultThresholds.API5xxPercent},
		{"stages: dev", map[string]string{ctxStage: "dev", ctxStages: stagesContext}, "111111111111", "eu-west-1", 7, "CodeDeployDefault.LambdaLinear10PercentEvery1Minute", defaultThresholds.API5xxPercent},
		{"stages: prod", map[string]string{ctxStages: stagesContext}, "", "", 365, "CodeDeployDefault.LambdaCanary10Percent5Minutes", 2.5},
	} {
		t.Run(tc.name, func(t *testing.T) {
			v := synth(t, tc.ctx, nil)
			if len(v.nagErrors) != 0 {
				t.Errorf("cdk-nag errors: %v", v.nagErrors)
			}
			account, region := *v.stack.Stack.Account(), *v.stack.Stack.Region()
			if tc.account == "" {
				if !*awscdk.Token_IsUnresolved(jsii.String(account)) || !*awscdk.Token_IsUnresolved(jsii.String(region)) {
					t.Errorf("stack env %s/%s, want environment-agnostic", account, region)
				}
			} else if account != tc.account || region != tc.region {
				t.Errorf("stack env %s/%s, want %s/%s", account, region, tc.account, tc.region)
			}
			// The ADOT layer's ARN names the region when the stack knows it.
			for _, name := range functionNames() {
				layers := js(v.tpl.Resources[v.stack.logicalID(v.stack.Functions[name].Function.Node().DefaultChild())].Properties["Layers"])
				if tc.region != "" && !strings.Contains(layers, `"arn:aws:lambda:`+tc.region+adotLayerName) {
					t.Errorf("%s: layers %s, want the ADOT layer of %s", name, layers, tc.region)
				}
			}
			groups := v.tpl.ofType("AWS::Logs::LogGroup")
			if len(groups) != len(functionNames())+1 {
				t.Errorf("%d log groups, want one per function and the access logs", len(groups))
			}
			for _, id := range groups {
				if days := v.tpl.Resources[id].Properties["RetentionInDays"]; days != tc.retention {
					t.Errorf("log group %s keeps logs %v days, want %v", id, days, tc.retention)
				}
			}
			for _, id := range v.tpl.ofType("AWS::CodeDeploy::DeploymentGroup") {
				if got := v.tpl.Resources[id].Properties["DeploymentConfigName"]; got != tc.deployment {
					t.Errorf("deployment group %s: %v, want %s", id, got, tc.deployment)
				}
			}
			if got := alarmProps(t, v, "Api5xxRate")["Threshold"]; got != tc.api5xx {
				t.Errorf("Api5xxRate threshold %v, want %v", got, tc.api5xx)
			}
		})
	}
}
