package tracing_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/lambdacontext"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	tracepb "go.opentelemetry.io/proto/otlp/trace/v1"

	"github.com/personsapi/persons/pkg/ddbtest"
	"github.com/personsapi/persons/pkg/deploy"
	"github.com/personsapi/persons/pkg/otlptest"
	"github.com/personsapi/persons/pkg/reqlog"
	"github.com/personsapi/persons/pkg/tracing"
)

func TestMain(m *testing.M) { ddbtest.Main(m) }

// Tracing is on only with an OTLP endpoint, and OTEL_SDK_DISABLED turns it off.
func TestFromEnv(t *testing.T) {
	for _, tc := range []struct {
		endpoint, tracesEndpoint, disabled string
		on                                 bool
	}{
		{"", "", "", false},
		{"http://localhost:4318", "", "", true},
		{"", "http://localhost:4318/v1/traces", "", true},
		{"http://localhost:4318", "", "true", false},
		{"http://localhost:4318", "", "false", true},
	} {
		t.Setenv(deploy.EnvOTLPEndpoint, tc.endpoint)
		t.Setenv("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT", tc.tracesEndpoint)
		t.Setenv(deploy.EnvOTelSDKDisabled, tc.disabled)
		p, err := tracing.FromEnv(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		if p.Enabled() != tc.on {
			t.Errorf("%+v: enabled %v, want %v", tc, p.Enabled(), tc.on)
		}
	}
	var off *tracing.Provider
	off.Flush(context.Background()) // nil is off, and safe
	if off.Enabled() || off.TracerProvider() == nil || off.AWS() == nil {
		t.Error("a nil Provider is not a usable off")
	}
}

// An invocation of a non-HTTP function (the seed, the change feed) gets a span under
// the trace of the invocation, with its DynamoDB calls under it, flushed before the
// handler returns; a failed invocation's span is an error, without the error's text.
func TestInvocation(t *testing.T) {
	rcv := otlptest.New(t)
	t.Setenv(deploy.EnvOTLPEndpoint, rcv.URL())
	t.Setenv(deploy.EnvOTelServiceName, "seed")
	p, err := tracing.FromEnv(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	db, table := ddbtest.NewTable(t, p.Configure)
	h := tracing.Invocation(p, "seed", func(ctx context.Context, fail bool) (int, error) {
		if _, err := db.DescribeTable(ctx, &dynamodb.DescribeTableInput{TableName: aws.String(table)}); err != nil {
			return 0, err
		}
		if fail {
			return 0, errors.New("personal data: Grace Hopper")
		}
		return 1, nil
	})
	const parent = "53995c3f42cd8ad8"
	//lint:ignore SA1029 aws-lambda-go's own key for the invocation's trace header
	ctx := context.WithValue(context.Background(), "x-amzn-trace-id", "Root=1-5759e988-bd862e3fe1be46a994272793;Parent="+parent+";Sampled=1")
	for _, fail := range []bool{false, true} {
		rcv.Reset()
		if _, err := h(ctx, fail); (err != nil) != fail {
			t.Fatalf("fail %v: %v", fail, err)
		}
		var inv, op otlptest.Span
		for _, s := range rcv.Spans() {
			switch {
			case s.Kind == tracepb.Span_SPAN_KIND_SERVER:
				inv = s
			case s.Name == "DynamoDB.DescribeTable":
				op = s
			}
		}
		if inv.Name != "seed" || inv.ParentSpanID != parent || inv.TraceID != "5759e988bd862e3fe1be46a994272793" || inv.Service != "seed" {
			t.Fatalf("invocation span %+v; all %+v", inv, rcv.Spans())
		}
		if op.ParentSpanID != inv.SpanID {
			t.Errorf("DynamoDB span %+v not under the invocation's %s", op, inv.SpanID)
		}
		if inv.StatusError != fail {
			t.Errorf("fail %v: span error %v", fail, inv.StatusError)
		}
		for _, s := range rcv.Spans() {
			for k, v := range s.Attributes {
				if strings.Contains(v, "Grace") {
					t.Errorf("span %s attribute %s carries the error's text: %q", s.Name, k, v)
				}
			}
		}
	}
}

// A collector that is down costs a request at most the flush timeout, and no error.
func TestFlushWithoutCollector(t *testing.T) {
	t.Setenv(deploy.EnvOTLPEndpoint, "http://127.0.0.1:1") // nothing listens on port 1
	p, err := tracing.FromEnv(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	h := tracing.Invocation(p, "changes", func(context.Context, int) (int, error) { return 0, nil })
	//lint:ignore SA1029 aws-lambda-go's own key for the invocation's trace header
	ctx := context.WithValue(context.Background(), "x-amzn-trace-id", "Root=1-5759e988-bd862e3fe1be46a994272793;Parent=53995c3f42cd8ad8;Sampled=1")
	done := make(chan error, 1)
	go func() { _, err := h(ctx, 0); done <- err }()
	select {
	case err := <-done:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(tracing.FlushTimeout + 5*time.Second):
		t.Fatal("an invocation waited on a dead collector past the flush timeout")
	}
}

// With tracing on or off, the lines an invocation logs name it: Lambda's request id
// and the invocation's trace.
func TestInvocationNamesLogLines(t *testing.T) {
	rcv := otlptest.New(t)
	for _, on := range []bool{false, true} {
		endpoint := ""
		if on {
			endpoint = rcv.URL()
		}
		t.Setenv(deploy.EnvOTLPEndpoint, endpoint)
		p, err := tracing.FromEnv(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		var buf bytes.Buffer
		log := slog.New(reqlog.Handler(slog.NewJSONHandler(&buf, nil)))
		h := tracing.Invocation(p, "changes", func(ctx context.Context, _ int) (int, error) {
			log.ErrorContext(ctx, "change feed: write failed")
			return 0, nil
		})
		ctx := lambdacontext.NewContext(context.Background(), &lambdacontext.LambdaContext{AwsRequestID: "8476a536-e9f4-11e8-9739-2dfe598c3fcd"})
		//lint:ignore SA1029 aws-lambda-go's own key for the invocation's trace header
		ctx = context.WithValue(ctx, "x-amzn-trace-id", "Root=1-5759e988-bd862e3fe1be46a994272793;Parent=53995c3f42cd8ad8;Sampled=0")
		if _, err := h(ctx, 0); err != nil {
			t.Fatal(err)
		}
		var line map[string]any
		if err := json.Unmarshal(buf.Bytes(), &line); err != nil {
			t.Fatalf("%q: %v", buf.String(), err)
		}
		if line["request_id"] != "8476a536-e9f4-11e8-9739-2dfe598c3fcd" || line["trace_id"] != "1-5759e988-bd862e3fe1be46a994272793" {
			t.Errorf("tracing %v: line %v does not name its invocation", on, line)
		}
	}
}
