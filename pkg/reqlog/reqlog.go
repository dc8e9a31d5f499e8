// Package reqlog names, on every log line, the request or invocation the line was
// logged for: its request id (API Gateway's, or Lambda's for an invocation that is not
// an HTTP request) and its trace id (X-Ray's form). A line then leads to the request's
// other lines, to its access line and to its trace, whoever wrote it: the API's
// handlers, the store, the AWS SDK (ddbclient.Logger logs with each call's context).
//
// The ids travel in the context (With); Handler adds them to each record logged with
// such a context, so that no log call has to pass them along.
package reqlog

import (
	"context"
	"log/slog"
)

// The attribute keys, the same in every process's lines.
const (
	RequestIDKey = "request_id"
	TraceIDKey   = "trace_id"
)

type ids struct{ request, trace string }

type key struct{}

// With returns ctx naming the request requestID of trace traceID ("" if none).
func With(ctx context.Context, requestID, traceID string) context.Context {
	return context.WithValue(ctx, key{}, ids{requestID, traceID})
}

// From returns the ids With put in ctx; ok is false outside a request.
func From(ctx context.Context) (requestID, traceID string, ok bool) {
	v, ok := ctx.Value(key{}).(ids)
	return v.request, v.trace, ok
}

// Handler wraps h so that every record logged with a request's context (With) carries
// request_id and trace_id. A record that names its request_id itself (the API's access
// line, whose attribute order is documented) keeps its own. Wrapping twice is wrapping
// once.
func Handler(h slog.Handler) slog.Handler {
	if c, ok := h.(handler); ok {
		return c
	}
	return handler{h}
}

type handler struct{ slog.Handler }

func (h handler) Handle(ctx context.Context, r slog.Record) error {
	request, trace, ok := From(ctx)
	if !ok {
		return h.Handler.Handle(ctx, r)
	}
	named := false
	r.Attrs(func(a slog.Attr) bool {
		named = a.Key == RequestIDKey
		return !named
	})
	if !named {
		// A Record's attributes may share storage with the caller's: add to a copy.
		r = r.Clone()
		r.AddAttrs(slog.String(RequestIDKey, request), slog.String(TraceIDKey, trace))
	}
	return h.Handler.Handle(ctx, r)
}

func (h handler) WithAttrs(attrs []slog.Attr) slog.Handler {
	return handler{h.Handler.WithAttrs(attrs)}
}

func (h handler) WithGroup(name string) slog.Handler {
	return handler{h.Handler.WithGroup(name)}
}
