package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"github.com/aws/aws-cdk-go/awscdk/v2/awslogs"

	"github.com/personsapi/persons/pkg/deploy"
)

// Per-stage configuration: context keys.
const (
	// ctxStages holds every stage's settings in one place (cdk.json's "context", or
	// -c stages='{...}'): a JSON object keyed by stage name whose values are objects of
	// the same keys as the flat context (stageKeys). The selected stage's object is a
	// second lookup layer under the flat context: -c key=value wins over it.
	ctxStages = "stages"
	// ctxAccount and ctxRegion pin the stage's stack to an AWS account (12 digits) and
	// region; synth fails when the CLI's credentials point elsewhere. Unset, the stack
	// is environment-agnostic.
	ctxAccount = "account"
	ctxRegion  = "region"
	// ctxLogRetentionDays is how long the functions' and the HTTP API's access logs are
	// kept: one of logRetentions' days; by default 30 for throwaway stages, 365 else.
	ctxLogRetentionDays = "logRetentionDays"
)

// stageKeys are the keys a stage object may set: every key parseConfig reads but the
// stage itself (TestStageKeysAreWhatParseConfigReads keeps the list complete).
var stageKeys = []string{
	ctxAuth, ctxJWTIssuer, ctxJWTAudience, ctxCORSOrigins, ctxLambdaAssets, ctxCursorKeysVersion,
	ctxScopeRead, ctxScopeWrite, ctxScopeBank, ctxOAuthCallbackURLs, ctxCognitoDomainPrefix, ctxKMSKeyARN,
	ctxAccount, ctxRegion, ctxLogRetentionDays, ctxDeployment,
	ctxLogLevel, ctxSystemLogLevel, ctxAlarmEmail, ctxTracing,
	ctxAlarmFunctionErrors, ctxAlarmFunctionThrottles, ctxAlarmDurationP99, ctxAlarmAPI5xx, ctxAlarmAPILatencyP99,
	ctxAlarmDDBThrottles, ctxAlarmDDBSystemErrors, ctxAlarmSeedErrors, ctxAlarmChangesIteratorAge,
	ctxMaxReadRequestUnits, ctxMaxWriteRequestUnits, ctxReservedConcurrency, ctxBudget,
}

// Log retention defaults: a throwaway stage's logs die with it anyway; a retained
// stage keeps a year, enough to compare with last year's incident or season.
const (
	defaultLogRetentionThrowaway = 30
	defaultLogRetentionRetained  = 365
)

// logRetentions are the retention periods CloudWatch Logs accepts, in days.
var logRetentions = map[int]awslogs.RetentionDays{
	1: awslogs.RetentionDays_ONE_DAY, 3: awslogs.RetentionDays_THREE_DAYS, 5: awslogs.RetentionDays_FIVE_DAYS,
	7: awslogs.RetentionDays_ONE_WEEK, 14: awslogs.RetentionDays_TWO_WEEKS, 30: awslogs.RetentionDays_ONE_MONTH,
	60: awslogs.RetentionDays_TWO_MONTHS, 90: awslogs.RetentionDays_THREE_MONTHS, 120: awslogs.RetentionDays_FOUR_MONTHS,
	150: awslogs.RetentionDays_FIVE_MONTHS, 180: awslogs.RetentionDays_SIX_MONTHS, 365: awslogs.RetentionDays_ONE_YEAR,
	400: awslogs.RetentionDays_THIRTEEN_MONTHS, 545: awslogs.RetentionDays_EIGHTEEN_MONTHS, 731: awslogs.RetentionDays_TWO_YEARS,
	1096: awslogs.RetentionDays_THREE_YEARS, 1827: awslogs.RetentionDays_FIVE_YEARS, 2192: awslogs.RetentionDays_SIX_YEARS,
	2557: awslogs.RetentionDays_SEVEN_YEARS, 2922: awslogs.RetentionDays_EIGHT_YEARS, 3288: awslogs.RetentionDays_NINE_YEARS,
	3653: awslogs.RetentionDays_TEN_YEARS,
}

var (
	accountRE = regexp.MustCompile(`^\d{12}$`)
	// regionRE is an AWS region name: eu-west-1, us-gov-west-1, ap-southeast-2.
	regionRE = regexp.MustCompile(`^[a-z]{2}(-[a-z]+)+-\d{1,2}$`)
)

// CLIEnv is where the cdk CLI would deploy: the account of its credentials and its
// default region (CDK_DEFAULT_ACCOUNT, CDK_DEFAULT_REGION; the account is empty
// without credentials).
type CLIEnv struct{ Account, Region string }

// loadConfig reads the configuration from the app's context through get (the raw
// context value of a key, nil when unset): the flat context, over the selected stage's
// object in ctxStages. It checks a pinned account and region against cli and reports
// every invalid value at once.
func loadConfig(get func(key string) any, cli CLIEnv) (Config, error) {
	flat := func(key string) string { return contextString(get(key)) }
	stage := strings.TrimSpace(flat(ctxStage))
	if stage == "" {
		stage = deploy.DefaultStage
	}
	stages, errs := parseStages(get(ctxStages))
	var fromStage []string // keys whose value came from the stage's object
	cfg, err := parseConfig(func(key string) string {
		if v := flat(key); v != "" {
			return v
		}
		v, ok := stages[stage][key]
		if ok && !slices.Contains(fromStage, key) {
			fromStage = append(fromStage, key)
		}
		return v
	})
	if err != nil {
		errs = append(errs, err)
		if len(fromStage) > 0 {
			errs = append(errs, fmt.Errorf("(set in %s.%s: %s; a -c key=value overrides them)", ctxStages, stage, strings.Join(fromStage, ", ")))
		}
	}
	if cfg.Account != "" && cli.Account != "" && cfg.Account != cli.Account {
		errs = append(errs, fmt.Errorf("stage %s is pinned to account %s (%s), but the CLI's credentials are for account %s (CDK_DEFAULT_ACCOUNT): use credentials of account %s (e.g. --profile), or fix the pin",
			cfg.Stage, cfg.Account, ctxAccount, cli.Account, cfg.Account))
	}
	// Without credentials (an offline synth) the CLI still sets CDK_DEFAULT_REGION, to
	// us-east-1 when nothing configures one: that says nothing about a deploy, so the
	// region is only compared when the CLI knows the account too.
	if cfg.Region != "" && cli.Account != "" && cli.Region != "" && cfg.Region != cli.Region {
		errs = append(errs, fmt.Errorf("stage %s is pinned to region %s (%s), but the CLI's region is %s (CDK_DEFAULT_REGION, from AWS_REGION or the profile): set AWS_REGION=%s, or fix the pin",
			cfg.Stage, cfg.Region, ctxRegion, cli.Region, cfg.Region))
	}
	return cfg, errors.Join(errs...)
}

// parseStages reads ctxStages: an object (cdk.json) or its JSON text (-c), keyed by
// stage name, of objects whose keys are stageKeys. It returns every stage's settings
// as the strings a flat -c would give, and every error, each naming
// stages.<stage>[.<key>].
func parseStages(v any) (map[string]map[string]string, []error) {
	if s, ok := v.(string); ok {
		if strings.TrimSpace(s) == "" {
			return nil, nil
		}
		if err := json.Unmarshal([]byte(s), &v); err != nil {
			return nil, []error{fmt.Errorf("%s: not JSON: %v", ctxStages, err)}
		}
	}
	if v == nil {
		return nil, nil
	}
	all, ok := v.(map[string]any)
	if !ok {
		return nil, []error{fmt.Errorf("%s: want an object of stage objects ({\"prod\": {\"account\": \"...\"}}), got %s", ctxStages, jsonType(v))}
	}
	var errs []error
	out := map[string]map[string]string{}
	for _, stage := range slices.Sorted(maps.Keys(all)) {
		where := ctxStages + "." + stage
		if !stageRE.MatchString(stage) {
			errs = append(errs, fmt.Errorf("%s: not a stage name: want a lower-case letter, then up to 19 of a-z 0-9 -", where))
		}
		obj, ok := all[stage].(map[string]any)
		if !ok {
			errs = append(errs, fmt.Errorf("%s: want an object of settings, got %s", where, jsonType(all[stage])))
			continue
		}
		out[stage] = map[string]string{}
		for _, key := range slices.Sorted(maps.Keys(obj)) {
			switch val := obj[key]; {
			case key == ctxStage:
				errs = append(errs, fmt.Errorf("%s.%s: the stage is chosen with -c %s=%s, not inside its settings", where, key, ctxStage, stage))
			case !slices.Contains(stageKeys, key):
				errs = append(errs, fmt.Errorf("%s.%s: unknown key (see infra/main.go for the keys)", where, key))
			case val == nil:
			default:
				switch val.(type) {
				case string, float64, bool:
					out[stage][key] = contextString(val)
				default:
					errs = append(errs, fmt.Errorf("%s.%s: want a string, number or boolean, got %s", where, key, jsonType(val)))
				}
			}
		}
	}
	return out, errs
}

// contextString is a context value as the string a -c key=value gives: the CLI passes
// -c values as strings, cdk.json's arrive as JSON values. Numbers are written out in
// full (a 12-digit account must not become 1.11111111111e+11).
func contextString(v any) string {
	switch v := v.(type) {
	case nil:
		return ""
	case string:
		return v
	case float64:
		return strconv.FormatFloat(v, 'f', -1, 64)
	case bool:
		return strconv.FormatBool(v)
	}
	return fmt.Sprint(v)
}

// jsonType names the JSON type of a decoded value, for errors.
func jsonType(v any) string {
	switch v.(type) {
	case nil:
		return "null"
	case string:
		return "a string"
	case float64:
		return "a number"
	case bool:
		return "a boolean"
	case []any:
		return "an array"
	case map[string]any:
		return "an object"
	}
	return fmt.Sprintf("%T", v)
}

// parseTarget reads the stage's pins and log retention into c (whose Stage is set)
// and returns every invalid value.
func parseTarget(lookup func(string) string, c *Config) []error {
	var errs []error
	c.Account = strings.TrimSpace(lookup(ctxAccount))
	c.Region = strings.TrimSpace(lookup(ctxRegion))
	if c.Account != "" && !accountRE.MatchString(c.Account) {
		errs = append(errs, fmt.Errorf("%s=%q: want an AWS account id, 12 digits", ctxAccount, c.Account))
	}
	if c.Region != "" && !regionRE.MatchString(c.Region) {
		errs = append(errs, fmt.Errorf("%s=%q: want an AWS region such as eu-west-1 or us-gov-west-1", ctxRegion, c.Region))
	}
	c.LogRetentionDays = defaultLogRetentionRetained
	if c.Throwaway() {
		c.LogRetentionDays = defaultLogRetentionThrowaway
	}
	if s := strings.TrimSpace(lookup(ctxLogRetentionDays)); s != "" {
		n, err := strconv.Atoi(s)
		if _, ok := logRetentions[n]; err != nil || !ok {
			errs = append(errs, fmt.Errorf("%s=%q: want one of CloudWatch Logs' retention periods: %s", ctxLogRetentionDays, s, joinInts(slices.Sorted(maps.Keys(logRetentions)))))
		} else {
			c.LogRetentionDays = n
		}
	}
	return errs
}

func joinInts(ns []int) string {
	var s []string
	for _, n := range ns {
		s = append(s, strconv.Itoa(n))
	}
	return strings.Join(s, ", ")
}
