package lambdaapp_test

import (
	"bytes"
	"context"
	"encoding/json"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"testing"

	"github.com/aws/aws-lambda-go/events"
	"github.com/awslabs/aws-lambda-go-api-proxy/httpadapter"
	tracepb "go.opentelemetry.io/proto/otlp/trace/v1"

	"github.com/personsapi/persons/pkg/api"
	"github.com/personsapi/persons/pkg/ddbtest"
	"github.com/personsapi/persons/pkg/deploy"
	"github.com/personsapi/persons/pkg/lambdaapp"
	"github.com/personsapi/persons/pkg/otlptest"
	"github.com/personsapi/persons/pkg/persons"
)

// lockedBuffer is a log destination the handler writes from one goroutine and the test
// reads from another.
type lockedBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *lockedBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *lockedBuffer) lines(t *testing.T) []map[string]any {
	b.mu.Lock()
	defer b.mu.Unlock()
	var out []map[string]any
	for _, l := range strings.Split(strings.TrimSpace(b.buf.String()), "\n") {
		if l == "" {
			continue
		}
		var m map[string]any
		if err := json.Unmarshal([]byte(l), &m); err != nil {
			t.Fatalf("log line %q: %v", l, err)
		}
		out = append(out, m)
	}
	b.buf.Reset()
	return out
}

// With OTEL_EXPORTER_OTLP_ENDPOINT set, a function traces each sampled request: a
// server span named by route under the invocation's trace (Lambda's segment as its
// parent), and under it one span per DynamoDB operation and one per HTTP attempt of
// it, nothing else of the SDK's; the spans reach the collector before the invocation
// returns. An unsampled request records nothing; its log lines still name its trace.
func TestTracing(t *testing.T) {
	db, table := ddbtest.NewTable(t)
	for k, v := range localEnv(t, table) {
		t.Setenv(k, v)
	}
	rcv := otlptest.New(t)
	t.Setenv(deploy.EnvOTLPEndpoint, rcv.URL())
	t.Setenv(deploy.EnvOTelServiceName, "persons")
	id := personMaker(persons.New(db, table))(t)
	logs := &lockedBuffer{}
	h, err := lambdaapp.Handler(context.Background(), api.FunctionPersons, slog.New(slog.NewJSONHandler(logs, nil)))
	if err != nil {
		t.Fatal(err)
	}
	adapter := httpadapter.NewV2(h)
	// invoke serves GET /persons/{id} as Lambda would: invocationTrace is the
	// runtime's Lambda-Runtime-Trace-Id, which aws-lambda-go puts in the context, and
	// the event carries the client's X-Amzn-Trace-Id, which the invocation's replaces.
	invoke := func(invocationTrace string) events.APIGatewayV2HTTPResponse {
		t.Helper()
		var ev events.APIGatewayV2HTTPRequest
		if err := json.Unmarshal(event(t, request{route: "GET /persons/{personId}", path: "/persons/" + id, params: map[string]string{"personId": id}}, "apigw-trace"), &ev); err != nil {
			t.Fatal(err)
		}
		ctx := context.Background()
		if invocationTrace != "" {
			//lint:ignore SA1029 aws-lambda-go's own key for the invocation's trace header
			ctx = context.WithValue(ctx, "x-amzn-trace-id", invocationTrace)
		}
		res, err := adapter.ProxyWithContext(ctx, ev)
		if err != nil || res.StatusCode != http.StatusOK {
			t.Fatalf("invoke: %d %v %s", res.StatusCode, err, res.Body)
		}
		return res
	}
	const root, rootHex, parent = "1-5759e988-bd862e3fe1be46a994272793", "5759e988bd862e3fe1be46a994272793", "53995c3f42cd8ad8"
	accessTrace := func() string {
		for _, l := range logs.lines(t) {
			if l["msg"] == "request" {
				s, _ := l["trace_id"].(string)
				return s
			}
		}
		t.Fatal("no access line")
		return ""
	}

	t.Run("sampled", func(t *testing.T) {
		rcv.Reset()
		invoke("Root=" + root + ";Parent=" + parent + ";Sampled=1")
		// No waiting: the handler flushed before it returned.
		spans := rcv.Spans()
		var server otlptest.Span
		for _, s := range spans {
			if s.Kind == tracepb.Span_SPAN_KIND_SERVER {
				server = s
			}
		}
		if server.Name != "GET /persons/{personId}" || server.TraceID != rootHex || server.ParentSpanID != parent || server.Service != "persons" {
			t.Fatalf("server span %+v, want GET /persons/{personId} in trace %s under %s, service persons; all: %+v", server, rootHex, parent, spans)
		}
		if a := server.Attributes; a["http.route"] != "/persons/{personId}" || a["request.id"] != "apigw-trace" || !strings.Contains(a["http.response.status_code"], "200") || !strings.Contains(a["persons.ddb.requests"], "1") {
			t.Errorf("server span attributes %v", a)
		}
		ops := map[string]bool{}
		var attempts int
		for _, s := range spans {
			if s.TraceID != rootHex {
				t.Errorf("span %s in trace %s, want %s", s.Name, s.TraceID, rootHex)
			}
			switch {
			case s.Kind == tracepb.Span_SPAN_KIND_SERVER:
			case strings.HasPrefix(s.Name, "DynamoDB.") && s.Kind == tracepb.Span_SPAN_KIND_CLIENT:
				if s.ParentSpanID != server.SpanID || s.Attributes["rpc.system"] != "aws-api" {
					t.Errorf("operation span %+v: want a child of the server span %s, rpc.system aws-api", s, server.SpanID)
				}
				ops[s.SpanID] = true
			case s.Name == "DoHTTPRequest":
				attempts++
			default:
				t.Errorf("unexpected span %q (kind %v): only operations and attempts are recorded", s.Name, s.Kind)
			}
		}
		if len(ops) != 1 {
			t.Errorf("%d DynamoDB operation spans for one GetItem, want 1: %+v", len(ops), spans)
		}
		for _, s := range spans {
			if s.Name == "DoHTTPRequest" && !ops[s.ParentSpanID] {
				t.Errorf("attempt span under %s, not under an operation", s.ParentSpanID)
			}
		}
		if attempts != 1 {
			t.Errorf("%d attempt spans, want 1", attempts)
		}
		if got := accessTrace(); got != root {
			t.Errorf("access line trace_id %q, want %q", got, root)
		}
	})

	t.Run("unsampled", func(t *testing.T) {
		rcv.Reset()
		invoke("Root=" + root + ";Parent=" + parent + ";Sampled=0")
		if spans := rcv.Spans(); len(spans) != 0 {
			t.Errorf("an unsampled request exported %d spans: %+v", len(spans), spans)
		}
		if got := accessTrace(); got != root {
			t.Errorf("access line trace_id %q, want %q", got, root)
		}
	})

	// A trace that starts here (no parent in any header, as under `make run`) is
	// recorded, and the log lines name it.
	t.Run("new trace", func(t *testing.T) {
		rcv.Reset()
		invoke("")
		var server otlptest.Span
		for _, s := range rcv.Spans() {
			if s.Kind == tracepb.Span_SPAN_KIND_SERVER {
				server = s
			}
		}
		if server.TraceID == "" || server.ParentSpanID != "" {
			t.Fatalf("no root server span: %+v", rcv.Spans())
		}
		if got, want := accessTrace(), "1-"+server.TraceID[:8]+"-"+server.TraceID[8:]; got != want {
			t.Errorf("access line trace_id %q, want the span's %q", got, want)
		}
	})
}
