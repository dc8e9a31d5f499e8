package api

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"runtime/debug"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/google/uuid"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/trace"

	"github.com/personsapi/persons/pkg/cors"
	"github.com/personsapi/persons/pkg/ddbstats"
	"github.com/personsapi/persons/pkg/metrics"
	"github.com/personsapi/persons/pkg/reqlog"
	"github.com/personsapi/persons/pkg/xray"
)

// MaxBodyBytes is the largest request body accepted (64 KiB); larger ones get 413.
const MaxBodyBytes = 64 << 10

// TracerName names the tracer of the request spans.
const TracerName = "github.com/personsapi/persons/pkg/api"

// RequestIDHeader carries the request id in both directions.
const RequestIDHeader = "X-Request-Id"

// reqInfo is what the middleware learns about a request while it is served. The router
// fills in the route pattern: the middleware's *http.Request is not the one the
// ServeMux annotates. The request's ids are in the context too (reqlog.From).
type reqInfo struct {
	pattern string
	// clientGone: the client went away before it got an answer (writeError).
	clientGone bool
}

type infoKey struct{}

func info(ctx context.Context) *reqInfo {
	ri, _ := ctx.Value(infoKey{}).(*reqInfo)
	return ri
}

// newRequestID takes a sane X-Request-Id of the request, else a fresh UUID. Whatever
// runs the handler hands its own request id in through that header: the Lambda
// functions (pkg/lambdaapp) set API Gateway's, so the id a client sees is the one API
// Gateway logs, and this package needs no Lambda code to read it.
func newRequestID(r *http.Request) string {
	if id := r.Header.Get(RequestIDHeader); validRequestID(id) {
		return id
	}
	return uuid.NewString()
}

// TraceIDHeader is the tracing header of AWS (X-Ray's format,
// "Root=1-5759e988-bd862e3fe1be46a994272793;Parent=...;Sampled=1"). The Lambda functions
// (pkg/lambdaapp) set it from the invocation's trace, which API Gateway and Lambda
// create whether or not the request is sampled. The request's span is a child of the
// span it names; its Root is the trace id of the log lines and problem bodies.
const TraceIDHeader = xray.Header

// startSpan starts the request's server span under the trace of the request's
// X-Amzn-Trace-Id, and returns the request's trace id in X-Ray's form: the span's (the
// header's Root when the header names a parent, and with tracing off), else the
// header's Root alone, else "".
func startSpan(r *http.Request, tracer trace.Tracer) (context.Context, trace.Span, string) {
	ctx := r.Context()
	hdr := xray.Parse(r.Header.Get(TraceIDHeader))
	if hdr.IsValid() {
		ctx = trace.ContextWithRemoteSpanContext(ctx, hdr)
	}
	// Named by method until the router knows the route (endSpan renames it).
	ctx, span := tracer.Start(ctx, r.Method, trace.WithSpanKind(trace.SpanKindServer))
	id := span.SpanContext().TraceID()
	if !id.IsValid() {
		id = hdr.TraceID()
	}
	return ctx, span, xray.TraceID(id)
}

// endSpan gives the request's span its route, status and DynamoDB use, and ends it.
// No path, query or body: they carry ids and personal data; the route is what a trace
// is searched by.
func endSpan(span trace.Span, ri *reqInfo, requestID string, m metrics.Request, calls *ddbstats.Counter) {
	if span.IsRecording() {
		if ri.pattern != "" {
			span.SetName(ri.pattern)
		}
		span.SetAttributes(
			attribute.String("http.request.method", m.Method),
			attribute.String("http.route", strings.TrimPrefix(ri.pattern, m.Method+" ")),
			attribute.Int("http.response.status_code", m.Status),
			attribute.String("request.id", requestID),
			attribute.Int64("persons.ddb.requests", m.DDBRequests),
			attribute.Float64("persons.ddb.read_units", calls.ReadUnits()),
			attribute.Float64("persons.ddb.write_units", calls.WriteUnits()),
		)
		if m.Status >= 500 && m.Status != StatusClientClosedRequest {
			span.SetStatus(codes.Error, http.StatusText(m.Status))
		}
	}
	span.End()
}

// validRequestID keeps client-chosen ids short and printable, so they cannot forge log lines.
func validRequestID(id string) bool {
	if id == "" || len(id) > 128 {
		return false
	}
	for i := 0; i < len(id); i++ {
		if id[i] < 0x21 || id[i] > 0x7e {
			return false
		}
	}
	return true
}

// statusRecorder remembers the status a handler sent.
type statusRecorder struct {
	http.ResponseWriter
	status int
}

func (s *statusRecorder) WriteHeader(code int) {
	if s.status == 0 {
		s.status = code
	}
	s.ResponseWriter.WriteHeader(code)
}

func (s *statusRecorder) Write(b []byte) (int, error) {
	if s.status == 0 {
		s.status = http.StatusOK
	}
	return s.ResponseWriter.Write(b)
}

// Unwrap lets http.ResponseController reach the underlying writer.
func (s *statusRecorder) Unwrap() http.ResponseWriter { return s.ResponseWriter }

// StatusClientClosedRequest is the status the access log gives a request whose client
// went away before it got an answer (nginx's 499): nothing was sent, and it is not a
// server error.
const StatusClientClosedRequest = 499

// middleware wraps the router with, outermost first: the request's span (tracer), its
// request id, the access log line with its DynamoDB request count and consumed read and
// write capacity units, the request's deadline (timeout after it starts, or earlier if
// its context says so), panic recovery, CORS and the body limit.
//
// The access line is also the request's metrics record (metrics.EMF, off when emf has
// no namespace): no metrics call on the request's path beyond that one line.
func middleware(next http.Handler, log *slog.Logger, cors corsPolicy, timeout time.Duration, emf metrics.EMF, tracer trace.Tracer) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		ctx, span, traceID := startSpan(r, tracer)
		id, ri := newRequestID(r), &reqInfo{}
		ctx = reqlog.With(context.WithValue(ctx, infoKey{}, ri), id, traceID)
		ctx, calls := ddbstats.WithCounter(ctx)
		ctx, counts := metrics.WithCounts(ctx)
		// Every DynamoDB call and retry loop of the request stops at the deadline, so
		// the handler answers (504) by itself, before the function's timeout.
		ctx, cancel := context.WithTimeout(ctx, timeout)
		defer cancel()
		r = r.WithContext(ctx)
		w.Header().Set(RequestIDHeader, id)
		rec := &statusRecorder{ResponseWriter: w}

		serveRecovered(rec, r, log, func(w http.ResponseWriter, r *http.Request) {
			if cors.apply(w, r) {
				return // preflight answered
			}
			if r.Body != nil {
				r.Body = clientBody{http.MaxBytesReader(w, r.Body, MaxBodyBytes)}
			}
			next.ServeHTTP(w, r)
		})

		status := rec.status
		switch {
		case status != 0:
		case ri.clientGone:
			status = StatusClientClosedRequest
		default:
			status = http.StatusOK
		}
		m := metrics.Request{
			Method: r.Method, Route: ri.pattern, Status: status, Duration: time.Since(start),
			DDBRequests: calls.Load(), Retries: counts.Retries(), Replays: counts.Replays(),
		}
		attrs := append([]slog.Attr{
			slog.String("method", r.Method),
			slog.String("route", ri.pattern),
			slog.String("path", r.URL.Path),
			slog.Int("status", status),
			slog.Float64(metrics.DurationMS, metrics.DurationMillis(m.Duration)),
			slog.Int64(metrics.DDBRequests, m.DDBRequests),
			slog.Float64("ddb_read_units", calls.ReadUnits()),
			slog.Float64("ddb_write_units", calls.WriteUnits()),
			slog.String(reqlog.RequestIDKey, id),
			slog.String(reqlog.TraceIDKey, traceID),
		}, emf.Attrs(m, time.Now())...)
		log.LogAttrs(ctx, slog.LevelInfo, "request", attrs...)
		endSpan(span, ri, id, m, calls)
	})
}

// serveRecovered runs h and turns a panic into a logged 500 problem.
func serveRecovered(w *statusRecorder, r *http.Request, log *slog.Logger, h http.HandlerFunc) {
	defer func() {
		v := recover()
		if v == nil {
			return
		}
		if v == http.ErrAbortHandler {
			panic(v)
		}
		err := fmt.Errorf("panic: %v\n%s", v, debug.Stack())
		if w.status != 0 {
			// Too late for a problem response: log it, the client sees a cut response.
			log.LogAttrs(r.Context(), slog.LevelError, "panic after response started", slog.String("error", err.Error()))
			return
		}
		writeError(w, r, log, err)
	}()
	h(w, r)
}

// corsPolicy allows browser front ends on the listed origins to call the API.
type corsPolicy struct {
	origins []string // as a browser sends them (cors.ParseOrigins), or cors.Any
	methods []string // the methods of the API's routes
}

// apply sets the CORS response headers for an allowed Origin and reports whether it
// answered a preflight request itself. A preflight from an origin that is not allowed
// is answered too, 204 without CORS headers (as API Gateway does): the browser then
// refuses the call, and no 405 suggests the method is the problem.
func (c corsPolicy) apply(w http.ResponseWriter, r *http.Request) bool {
	origin := r.Header.Get("Origin")
	if origin == "" || len(c.origins) == 0 {
		return false
	}
	preflight := r.Method == http.MethodOptions && r.Header.Get("Access-Control-Request-Method") != ""
	h := w.Header()
	h.Add("Vary", "Origin")
	if !slices.Contains(c.origins, origin) && !slices.Contains(c.origins, cors.Any) {
		if preflight {
			w.WriteHeader(http.StatusNoContent)
		}
		return preflight
	}
	h.Set("Access-Control-Allow-Origin", origin)
	h.Set("Access-Control-Expose-Headers", strings.Join(cors.ExposeHeaders, ", "))
	if !preflight {
		return false
	}
	h.Set("Access-Control-Allow-Methods", strings.Join(c.methods, ", "))
	h.Set("Access-Control-Allow-Headers", strings.Join(cors.AllowHeaders, ", "))
	h.Set("Access-Control-Max-Age", strconv.Itoa(cors.MaxAgeSeconds))
	w.WriteHeader(http.StatusNoContent)
	return true
}
