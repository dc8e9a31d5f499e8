package main

import (
	"errors"
	"fmt"
	"net/mail"
	"slices"
	"strconv"
	"strings"

	"github.com/personsapi/persons/pkg/deploy"
)

// Context keys of the operations settings (ops.go). Every one is optional.
const (
	// ctxLogLevel is the functions' application log level (Lambda's JSON log format
	// drops application lines below it, and the functions read it back from
	// AWS_LAMBDA_LOG_LEVEL): TRACE, DEBUG or INFO (default). Not WARN or above: the
	// access lines, which carry the metrics, are INFO.
	ctxLogLevel = "logLevel"
	// ctxSystemLogLevel is the level of Lambda's own lines (START, REPORT, ...):
	// DEBUG, INFO (default) or WARN.
	ctxSystemLogLevel = "systemLogLevel"
	// ctxAlarmEmail subscribes an address to the alarm topic (it must confirm).
	ctxAlarmEmail = "alarmEmail"
	// ctxTracing is how the functions are traced: one of tracingModes (default otel).
	ctxTracing = "tracing"
)

// Tracing modes (ctxTracing), see tracingFor in functions.go for what each deploys.
const (
	// tracingOTel is Lambda active tracing plus the ADOT collector layer, to which the
	// functions send OpenTelemetry spans (one per request, one per DynamoDB call).
	tracingOTel = "otel"
	// tracingXRay is Lambda active tracing only: Lambda's own segments, no layer.
	tracingXRay = "xray"
	// tracingOff is no tracing at all.
	tracingOff = "off"
)

var tracingModes = []string{tracingOTel, tracingXRay, tracingOff}

// Alarm threshold keys, each with its default in defaultThresholds.
const (
	ctxAlarmFunctionErrors    = "alarmFunctionErrors"    // failed invocations per function in 5 min
	ctxAlarmFunctionThrottles = "alarmFunctionThrottles" // throttled invocations per function in 5 min
	ctxAlarmDurationP99       = "alarmDurationP99Percent"
	ctxAlarmAPI5xx            = "alarmApi5xxPercent"
	ctxAlarmAPILatencyP99     = "alarmApiLatencyP99Ms"
	ctxAlarmDDBThrottles      = "alarmDdbThrottles"    // throttle events in 5 min (table, GSI1)
	ctxAlarmDDBSystemErrors   = "alarmDdbSystemErrors" // DynamoDB 500s in 5 min
	ctxAlarmSeedErrors        = "alarmSeedErrors"      // failed seed invocations in 5 min
	// ctxAlarmChangesIteratorAge: the age in ms of the newest stream record the change
	// feed's processor has read (the feed's lag), for 5 of 5 minutes.
	ctxAlarmChangesIteratorAge = "alarmChangesIteratorAgeMs"
)

// Thresholds are the alarm thresholds; each alarm fires at or above its value.
type Thresholds struct {
	FunctionErrors    float64 // Lambda Errors (a crash or timeout, not a 5xx answer) per 5 min
	FunctionThrottles float64 // Lambda Throttles per 5 min
	// DurationP99Percent: a function's p99 duration, in percent of its timeout, for 3 of
	// 3 periods of 5 min: requests are about to be cut off.
	DurationP99Percent float64
	API5xxPercent      float64 // HTTP API 5xx in percent of requests, per 5 min (2 of 3)
	APILatencyP99Ms    float64 // HTTP API p99 latency, 3 of 3 periods of 5 min
	DDBThrottles       float64 // read + write throttle events per 5 min, table and GSI1 each
	DDBSystemErrors    float64 // DynamoDB SystemErrors per 5 min, all operations
	SeedErrors         float64 // failed seed invocations per 5 min
	// ChangesIteratorAgeMs: the change feed's processor lags the table's stream by this
	// much (IteratorAge, maximum per minute) for 5 minutes in a row.
	ChangesIteratorAgeMs float64
}

// defaultThresholds are sane for a service whose functions answer in milliseconds.
var defaultThresholds = Thresholds{
	FunctionErrors:     1,
	FunctionThrottles:  1,
	DurationP99Percent: 80,
	API5xxPercent:      1,
	APILatencyP99Ms:    2000,
	DDBThrottles:       1,
	DDBSystemErrors:    1,
	SeedErrors:         1,
	// A minute: the processor normally reads a record within a second or two (batch
	// window 1 s), and clients poll GET /changes; a minute behind is a stuck feed.
	ChangesIteratorAgeMs: 60000,
}

// OpsConfig is the operations part of Config. Its zero value is the defaults, so a
// Config without operations context needs no OpsConfig spelled out.
type OpsConfig struct {
	LogLevel       string // "" = INFO
	SystemLogLevel string // "" = INFO
	AlarmEmail     string
	// Deployment is how CodeDeploy shifts the API functions' live alias: canary,
	// linear or all-at-once (deployments.go); parseConfig fills in the stage's default.
	Deployment string
	// Thresholds set by context; zero fields take defaultThresholds'.
	Thresholds Thresholds
	// Guards are the cost and abuse limits (guards.go).
	Guards Guards
	// BudgetMonthlyUSD is the stage's monthly cost budget; 0 = none (guards.go).
	BudgetMonthlyUSD float64
	// Tracing is one of tracingModes; "" = otel.
	Tracing string
}

// MetricsNamespace is the CloudWatch namespace of the API functions' EMF metrics:
// one per stage, so that stages in one account keep their metrics apart.
func (c Config) MetricsNamespace() string { return deploy.DefaultStackName + "/" + c.Stage }

// AppLogLevel is the application log level to deploy.
func (o OpsConfig) AppLogLevel() string { return orDefault(o.LogLevel, "INFO") }

// TracingMode is the tracing mode to deploy.
func (o OpsConfig) TracingMode() string { return orDefault(o.Tracing, tracingOTel) }

// SysLogLevel is the system log level to deploy.
func (o OpsConfig) SysLogLevel() string { return orDefault(o.SystemLogLevel, "INFO") }

// Alarms are the thresholds to deploy: the context's, else the defaults.
func (o OpsConfig) Alarms() Thresholds {
	t, d := o.Thresholds, defaultThresholds
	for _, f := range []struct {
		v   *float64
		def float64
	}{
		{&t.FunctionErrors, d.FunctionErrors}, {&t.FunctionThrottles, d.FunctionThrottles},
		{&t.DurationP99Percent, d.DurationP99Percent}, {&t.API5xxPercent, d.API5xxPercent},
		{&t.APILatencyP99Ms, d.APILatencyP99Ms}, {&t.DDBThrottles, d.DDBThrottles},
		{&t.DDBSystemErrors, d.DDBSystemErrors}, {&t.SeedErrors, d.SeedErrors},
		{&t.ChangesIteratorAgeMs, d.ChangesIteratorAgeMs},
	} {
		if *f.v == 0 {
			*f.v = f.def
		}
	}
	return t
}

func orDefault(s, def string) string {
	if s == "" {
		return def
	}
	return s
}

// parseOpsConfig reads the operations context through lookup and reports every invalid
// value at once.
func parseOpsConfig(lookup func(string) string) (OpsConfig, error) {
	var o OpsConfig
	var errs []error
	level := func(key string, allowed ...string) string {
		v := strings.ToUpper(strings.TrimSpace(lookup(key)))
		if v == "" {
			return ""
		}
		for _, a := range allowed {
			if v == a {
				return v
			}
		}
		errs = append(errs, fmt.Errorf("%s=%q: want one of %s", key, lookup(key), strings.Join(allowed, ", ")))
		return ""
	}
	switch v := strings.ToUpper(strings.TrimSpace(lookup(ctxLogLevel))); v {
	case "WARN", "ERROR", "FATAL":
		errs = append(errs, fmt.Errorf("%s=%s would drop the access lines, and with them the metrics and alarms on them (they are INFO): want TRACE, DEBUG or INFO", ctxLogLevel, v))
	default:
		o.LogLevel = level(ctxLogLevel, "TRACE", "DEBUG", "INFO")
	}
	o.SystemLogLevel = level(ctxSystemLogLevel, "DEBUG", "INFO", "WARN")
	if v := strings.ToLower(strings.TrimSpace(lookup(ctxTracing))); v != "" {
		if slices.Contains(tracingModes, v) {
			o.Tracing = v
		} else {
			errs = append(errs, fmt.Errorf("%s=%q: want one of %s", ctxTracing, lookup(ctxTracing), strings.Join(tracingModes, ", ")))
		}
	}
	if e := strings.TrimSpace(lookup(ctxAlarmEmail)); e != "" {
		if a, err := mail.ParseAddress(e); err != nil || a.Address != e {
			errs = append(errs, fmt.Errorf("%s=%q: want a plain e-mail address", ctxAlarmEmail, e))
		} else {
			o.AlarmEmail = e
		}
	}
	for _, f := range []struct {
		key string
		v   *float64
		max float64 // 0: none
	}{
		{ctxAlarmFunctionErrors, &o.Thresholds.FunctionErrors, 0},
		{ctxAlarmFunctionThrottles, &o.Thresholds.FunctionThrottles, 0},
		{ctxAlarmDurationP99, &o.Thresholds.DurationP99Percent, 100},
		{ctxAlarmAPI5xx, &o.Thresholds.API5xxPercent, 100},
		{ctxAlarmAPILatencyP99, &o.Thresholds.APILatencyP99Ms, 30000},
		{ctxAlarmDDBThrottles, &o.Thresholds.DDBThrottles, 0},
		{ctxAlarmDDBSystemErrors, &o.Thresholds.DDBSystemErrors, 0},
		{ctxAlarmSeedErrors, &o.Thresholds.SeedErrors, 0},
		{ctxAlarmChangesIteratorAge, &o.Thresholds.ChangesIteratorAgeMs, 0},
	} {
		s := strings.TrimSpace(lookup(f.key))
		if s == "" {
			continue
		}
		n, err := strconv.ParseFloat(s, 64)
		switch {
		case err != nil || n <= 0:
			errs = append(errs, fmt.Errorf("%s=%q: want a number above 0", f.key, s))
		case f.max > 0 && n > f.max:
			errs = append(errs, fmt.Errorf("%s=%q: want at most %g", f.key, s, f.max))
		default:
			*f.v = n
		}
	}
	errs = append(errs, parseGuards(lookup, &o.Guards)...)
	var err error
	if o.BudgetMonthlyUSD, err = parseBudget(lookup); err != nil {
		errs = append(errs, err)
	}
	return o, errors.Join(errs...)
}
