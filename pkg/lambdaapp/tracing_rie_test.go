package lambdaapp_test

import (
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/awslabs/aws-lambda-go-api-proxy/httpadapter"
	tracepb "go.opentelemetry.io/proto/otlp/trace/v1"

	"github.com/personsapi/persons/pkg/api"
	"github.com/personsapi/persons/pkg/ddbtest"
	"github.com/personsapi/persons/pkg/deploy"
	"github.com/personsapi/persons/pkg/lambdaapp"
	"github.com/personsapi/persons/pkg/otlptest"
	"github.com/personsapi/persons/pkg/persons"
	"github.com/personsapi/persons/pkg/rie"
)

// sampledTrace is the X-Amzn-Trace-Id of a sampled request, as API Gateway forwards it.
const sampledTrace = "Root=1-5759e988-bd862e3fe1be46a994272793;Parent=53995c3f42cd8ad8;Sampled=1"

// tracingCases are what the tracing benchmarks compare: tracing off, and on for a
// request Lambda did not sample and for one it did.
var tracingCases = []struct {
	name, header string
	tracing      bool
}{
	{"tracing=off", sampledTrace, false},
	{"tracing=on/unsampled", "Root=1-5759e988-bd862e3fe1be46a994272793;Parent=53995c3f42cd8ad8;Sampled=0", true},
	{"tracing=on/sampled", sampledTrace, true},
}

// The real bootstrap binary under the Lambda emulator exports a sampled request's
// spans over OTLP before the invocation's response leaves: the collector has them
// when the invoke returns, with no wait (Lambda would freeze the process right then).
func TestTracingUnderEmulator(t *testing.T) {
	if testing.Short() {
		t.Skip("builds a Lambda binary")
	}
	db, table := ddbtest.NewTable(t)
	id := personMaker(persons.New(db, table))(t)
	rcv := otlptest.New(t)
	env := localEnv(t, table)
	env[deploy.EnvOTLPEndpoint] = rcv.URL()
	env[deploy.EnvOTelServiceName] = "persons"
	fnc := rie.Start(t, rie.Build(t, "./functions/persons"), env)
	ev := event(t, request{
		route: "GET /persons/{personId}", path: "/persons/" + id, params: map[string]string{"personId": id},
		headers: map[string]string{"x-amzn-trace-id": sampledTrace},
	}, "apigw-rie-trace")
	fnc.Invoke(t, ev)
	var server, op bool
	for _, s := range rcv.Spans() {
		server = server || (s.Kind == tracepb.Span_SPAN_KIND_SERVER && s.Name == "GET /persons/{personId}" && s.Service == "persons")
		op = op || s.Name == "DynamoDB.GetItem"
	}
	if !server || !op {
		t.Fatalf("spans at the invocation's end: server %v, GetItem %v: %+v\nlog:\n%s", server, op, rcv.Spans(), fnc.Log())
	}
	if !fnc.LogContains(`"trace_id":"1-5759e988-bd862e3fe1be46a994272793"`, 5*time.Second) {
		t.Errorf("access line without the trace id:\n%s", fnc.Log())
	}
}

// BenchmarkEmulator measures what tracing costs the persons function under the Lambda
// emulator: init-ms is the init (cold start) duration the emulator reports, ns/op one
// warm GET /persons/{id} against DynamoDB Local, invoke to response. "sampled" exports
// every request's spans (3 here: server, GetItem, its attempt) to a collector on
// loopback before the response; "unsampled" is what most requests cost with X-Ray's
// default sampling.
//
//	bin/ddb run go test -run '^$' -bench Emulator -benchtime 300x ./pkg/lambdaapp
func BenchmarkEmulator(b *testing.B) {
	db, table := ddbtest.NewTable(b)
	p, err := persons.New(db, table).CreatePerson(b.Context(), persons.Person{FirstName: "Grace", LastName: "Hopper"})
	if err != nil {
		b.Fatal(err)
	}
	bin := rie.Build(b, "./functions/persons")
	rcv := otlptest.New(b)
	for _, bc := range tracingCases {
		b.Run(bc.name, func(b *testing.B) {
			env := map[string]string{
				deploy.EnvTableName:        table,
				deploy.EnvCursorKeys:       testCursorKeys,
				deploy.EnvDynamoDBEndpoint: ddbtest.Endpoint(b),
				deploy.EnvMetricsNamespace: "Persons/bench",
			}
			if bc.tracing {
				env[deploy.EnvOTLPEndpoint] = rcv.URL()
			}
			fnc := rie.Start(b, bin, env)
			ev := event(b, request{
				route: "GET /persons/{personId}", path: "/persons/" + p.ID, params: map[string]string{"personId": p.ID},
				headers: map[string]string{"x-amzn-trace-id": bc.header},
			}, "apigw-bench")
			fnc.Invoke(b, ev) // the cold start
			initDur, _ := fnc.InitDuration()
			rcv.Reset()
			for b.Loop() {
				fnc.Invoke(b, ev)
			}
			b.ReportMetric(float64(initDur.Microseconds())/1000, "init-ms")
			b.ReportMetric(float64(len(rcv.Spans()))/float64(b.N), "spans/op")
		})
	}
}

// BenchmarkTracingOverhead is BenchmarkEmulator without the emulator: one GET
// /persons/{id} through the function's handler and the API Gateway adapter, in
// process, so that the difference tracing makes (time and allocations per request)
// stands out of the emulator's noise.
//
//	bin/ddb run go test -run '^$' -bench TracingOverhead -benchmem -count 6 ./pkg/lambdaapp
func BenchmarkTracingOverhead(b *testing.B) {
	db, table := ddbtest.NewTable(b)
	p, err := persons.New(db, table).CreatePerson(b.Context(), persons.Person{FirstName: "Grace", LastName: "Hopper"})
	if err != nil {
		b.Fatal(err)
	}
	rcv := otlptest.New(b)
	b.Setenv(deploy.EnvTableName, table)
	b.Setenv(deploy.EnvCursorKeys, testCursorKeys)
	b.Setenv(deploy.EnvDynamoDBEndpoint, ddbtest.Endpoint(b))
	b.Setenv(deploy.EnvMetricsNamespace, "Persons/bench")
	for _, k := range []string{"AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"} {
		b.Setenv(k, "local")
	}
	b.Setenv("AWS_REGION", "eu-west-1")
	for _, bc := range tracingCases {
		b.Run(bc.name, func(b *testing.B) {
			endpoint := ""
			if bc.tracing {
				endpoint = rcv.URL()
			}
			b.Setenv(deploy.EnvOTLPEndpoint, endpoint)
			h, err := lambdaapp.Handler(b.Context(), api.FunctionPersons, slog.New(slog.NewJSONHandler(io.Discard, nil)))
			if err != nil {
				b.Fatal(err)
			}
			var ev events.APIGatewayV2HTTPRequest
			if err := json.Unmarshal(event(b, request{
				route: "GET /persons/{personId}", path: "/persons/" + p.ID, params: map[string]string{"personId": p.ID},
				headers: map[string]string{"x-amzn-trace-id": bc.header},
			}, "apigw-bench"), &ev); err != nil {
				b.Fatal(err)
			}
			adapter := httpadapter.NewV2(h)
			rcv.Reset()
			for b.Loop() {
				if res, err := adapter.ProxyWithContext(b.Context(), ev); err != nil || res.StatusCode != http.StatusOK {
					b.Fatalf("%d %v", res.StatusCode, err)
				}
			}
			b.ReportMetric(float64(len(rcv.Spans()))/float64(b.N), "spans/op")
		})
	}
}
