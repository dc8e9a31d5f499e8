// Package tracing sends the functions' traces to AWS X-Ray with OpenTelemetry: one span
// per request or invocation, a child span per AWS SDK call (each DynamoDB operation and
// each of its HTTP attempts), all in the trace Lambda started for the invocation.
//
// The spans go over OTLP/HTTP to the AWS Distro for OpenTelemetry collector, which runs
// beside the function as a Lambda extension (deploy.OTLPCollectorEndpoint) and forwards
// them to X-Ray. Tracing is on when deploy.EnvOTLPEndpoint is set (the stack sets it
// with the collector layer) and deploy.EnvOTelSDKDisabled is not "true"; off, a
// Provider creates no exporter and no spans, and costs nothing per request.
//
// Sampling is X-Ray's: Lambda decides per invocation (Sampled=1 in the trace header)
// and the spans follow that decision, so an unsampled request records nothing. The
// spans of a sampled request are flushed to the collector before the invocation ends
// (Flush): Lambda freezes the process afterwards, and queued spans would wait for the
// next invocation, or be lost with the execution environment.
package tracing

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"time"

	"github.com/aws/aws-lambda-go/lambdacontext"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	smithytracing "github.com/aws/smithy-go/tracing"
	"github.com/aws/smithy-go/tracing/smithyoteltracing"
	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/exporters/otlp/otlptrace/otlptracehttp"
	"go.opentelemetry.io/otel/sdk/resource"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	semconv "go.opentelemetry.io/otel/semconv/v1.40.0"
	"go.opentelemetry.io/otel/trace"
	"go.opentelemetry.io/otel/trace/noop"

	"github.com/personsapi/persons/pkg/deploy"
	"github.com/personsapi/persons/pkg/reqlog"
	"github.com/personsapi/persons/pkg/xray"
)

// InstrumentationName names the tracer of the service's own spans.
const InstrumentationName = "github.com/personsapi/persons"

// The exporter's time budget. The collector listens on loopback and answers in well
// under a millisecond; one that does not answer in ExportTimeout is down, and a
// request must not wait for it: its spans are dropped (and the drop is logged).
const (
	ExportTimeout = 500 * time.Millisecond
	// FlushTimeout bounds the flush at the end of an invocation.
	FlushTimeout = time.Second
)

// Provider is the process's tracing: on (spans exported) or off (no-op). The zero
// value and nil are off.
type Provider struct {
	sdk *sdktrace.TracerProvider
}

// FromEnv builds the Provider the environment asks for (see the package comment). The
// exporter reads OpenTelemetry's own variables (OTEL_EXPORTER_OTLP_*), so an operator
// can point it elsewhere without a code change. Export errors are logged at WARN
// through slog's default logger: a dead collector costs spans, never a request.
func FromEnv(ctx context.Context) (*Provider, error) {
	if os.Getenv(deploy.EnvOTelSDKDisabled) == "true" ||
		(os.Getenv(deploy.EnvOTLPEndpoint) == "" && os.Getenv("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT") == "") {
		return &Provider{}, nil
	}
	exp, err := otlptracehttp.New(ctx,
		otlptracehttp.WithTimeout(ExportTimeout),
		// Retrying a loopback collector only delays the invocation's end; the
		// default retries for up to a minute.
		otlptracehttp.WithRetry(otlptracehttp.RetryConfig{Enabled: false}),
	)
	if err != nil {
		return nil, fmt.Errorf("tracing: OTLP exporter: %w", err)
	}
	otel.SetErrorHandler(otel.ErrorHandlerFunc(func(err error) {
		slog.Default().Warn("tracing: spans not exported", slog.String("error", err.Error()))
	}))
	tp := sdktrace.NewTracerProvider(
		sdktrace.WithBatcher(exp),
		// A request's spans are recorded when whoever started its trace sampled it
		// (Lambda, by the account's X-Ray sampling rules); a trace that starts here
		// (no trace header, as under `make run`) is always recorded.
		sdktrace.WithSampler(sdktrace.ParentBased(sdktrace.AlwaysSample())),
		sdktrace.WithResource(lambdaResource()),
	)
	return &Provider{sdk: tp}, nil
}

// lambdaResource describes the process: the service is the function (its name from
// deploy.EnvOTelServiceName, else Lambda's), as X-Ray shows it in the trace map.
func lambdaResource() *resource.Resource {
	fn := os.Getenv("AWS_LAMBDA_FUNCTION_NAME")
	name := os.Getenv(deploy.EnvOTelServiceName)
	if name == "" {
		name = fn
	}
	attrs := []attribute.KeyValue{semconv.ServiceName(name), semconv.CloudProviderAWS, semconv.CloudPlatformAWSLambda}
	if fn != "" {
		attrs = append(attrs, semconv.FaaSName(fn), semconv.FaaSVersion(os.Getenv("AWS_LAMBDA_FUNCTION_VERSION")))
	}
	if r := os.Getenv("AWS_REGION"); r != "" {
		attrs = append(attrs, semconv.CloudRegion(r))
	}
	return resource.NewWithAttributes(semconv.SchemaURL, attrs...)
}

// Enabled reports whether spans are exported.
func (p *Provider) Enabled() bool { return p != nil && p.sdk != nil }

// TracerProvider is the OpenTelemetry provider of the service's spans (a no-op one
// when tracing is off).
func (p *Provider) TracerProvider() trace.TracerProvider {
	if !p.Enabled() {
		return noop.NewTracerProvider()
	}
	return p.sdk
}

// AWS is the tracer provider for the AWS SDK's clients (dynamodb.Options.
// TracerProvider). The SDK opens a dozen spans per call (serializing, resolving the
// endpoint, signing, ...); only two say something about a slow or failed request:
// the operation ("DynamoDB.GetItem", with its error code and request id) and each HTTP
// attempt under it (retries show as siblings). The others are not recorded.
func (p *Provider) AWS() smithytracing.TracerProvider {
	if !p.Enabled() {
		return smithytracing.NopTracerProvider{}
	}
	return operationsOnly{smithyoteltracing.Adapt(p.sdk)}
}

// Configure is a dynamodb client option that traces the client's calls (AWS): pass it
// to ddbclient.New or ddbclient.FromEnv.
func (p *Provider) Configure(o *dynamodb.Options) { o.TracerProvider = p.AWS() }

// attemptSpan is the name of the span smithy-go opens per HTTP attempt.
const attemptSpan = "DoHTTPRequest"

type operationsOnly struct{ smithytracing.TracerProvider }

func (p operationsOnly) Tracer(scope string, opts ...smithytracing.TracerOption) smithytracing.Tracer {
	return operationsTracer{p.TracerProvider.Tracer(scope, opts...)}
}

type operationsTracer struct{ smithytracing.Tracer }

func (t operationsTracer) StartSpan(ctx context.Context, name string, opts ...smithytracing.SpanOption) (context.Context, smithytracing.Span) {
	var o smithytracing.SpanOptions
	for _, opt := range opts {
		opt(&o)
	}
	if o.Kind != smithytracing.SpanKindClient && name != attemptSpan {
		// Not pushed on the SDK's span lineage: the spans it opens inside stay
		// children of the operation's (or attempt's) span.
		return ctx, nopSpan{}
	}
	return t.Tracer.StartSpan(ctx, name, opts...)
}

// nopSpan is an unrecorded SDK span.
type nopSpan struct{}

func (nopSpan) Name() string                                  { return "" }
func (nopSpan) Context() smithytracing.SpanContext            { return smithytracing.SpanContext{} }
func (nopSpan) AddEvent(string, ...smithytracing.EventOption) {}
func (nopSpan) SetStatus(smithytracing.SpanStatus)            {}
func (nopSpan) SetProperty(any, any)                          {}
func (nopSpan) End()                                          {}

// Flush sends the spans ended so far to the collector, within FlushTimeout and even if
// ctx is done: the end of an invocation, before Lambda freezes the process.
func (p *Provider) Flush(ctx context.Context) {
	if !p.Enabled() {
		return
	}
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), FlushTimeout)
	defer cancel()
	if err := p.sdk.ForceFlush(ctx); err != nil {
		otel.Handle(err)
	}
}

// Shutdown flushes and stops the exporter.
func (p *Provider) Shutdown(ctx context.Context) error {
	if !p.Enabled() {
		return nil
	}
	return p.sdk.Shutdown(ctx)
}

// InvocationContext returns ctx under the invocation's trace: its parent is the span
// the invocation's trace header names (aws-lambda-go puts Lambda's
// Lambda-Runtime-Trace-Id in the context; the environment has it too), so the spans
// started with it nest under Lambda's own segment in X-Ray.
func InvocationContext(ctx context.Context) context.Context {
	h, _ := ctx.Value("x-amzn-trace-id").(string)
	if h == "" {
		h = os.Getenv(deploy.EnvLambdaTraceHeader)
	}
	if sc := xray.Parse(h); sc.IsValid() {
		return trace.ContextWithRemoteSpanContext(ctx, sc)
	}
	return ctx
}

// Invocation wraps a Lambda handler that does not serve HTTP (the seed, the change
// feed's processor). Each invocation's log lines name it (reqlog: Lambda's request id
// and the invocation's trace id); with tracing on it also gets a span named name,
// under the invocation's trace, flushed before the handler returns.
func Invocation[In, Out any](p *Provider, name string, h func(context.Context, In) (Out, error)) func(context.Context, In) (Out, error) {
	tracer := p.TracerProvider().Tracer(InstrumentationName)
	return func(ctx context.Context, in In) (Out, error) {
		ctx, span := tracer.Start(InvocationContext(ctx), name, trace.WithSpanKind(trace.SpanKindServer))
		var requestID string
		if lc, ok := lambdacontext.FromContext(ctx); ok {
			requestID = lc.AwsRequestID
		}
		ctx = reqlog.With(ctx, requestID, xray.TraceID(span.SpanContext().TraceID()))
		out, err := h(ctx, in)
		if err != nil {
			// The error's type, not its text: a message may quote input.
			span.SetStatus(codes.Error, fmt.Sprintf("%T", err))
		}
		span.End()
		p.Flush(ctx)
		return out, err
	}
}
