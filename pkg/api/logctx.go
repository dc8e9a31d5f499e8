package api

import (
	"context"
	"log/slog"
)

// TracerName names the tracer of the request spans.
const TracerName = "github.com/personsapi/persons/pkg/api"

// ContextHandler wraps h so that every line logged with the context of a request the
// API serves carries that request's request_id and trace_id: the access line and the
// error lines, and as well the lines of the code it calls (the AWS SDK's, through
// ddbclient.Logger) when they log with the request's context. A line that names them
// itself (the access line, in its documented order) keeps its own. NewHandler wraps
// its logger with it; give slog's default logger one too (pkg/lambdaapp does).
func ContextHandler(h slog.Handler) slog.Handler {
	if c, ok := h.(contextHandler); ok {
		return c
	}
	return contextHandler{h}
}

type contextHandler struct{ slog.Handler }

func (h contextHandler) Handle(ctx context.Context, r slog.Record) error {
	ri := info(ctx)
	if ri == nil {
		return h.Handler.Handle(ctx, r)
	}
	named := false
	r.Attrs(func(a slog.Attr) bool {
		named = a.Key == "request_id"
		return !named
	})
	if !named {
		// A Record's attributes may share storage with the caller's: add to a copy.
		r = r.Clone()
		r.AddAttrs(slog.String("request_id", ri.id), slog.String("trace_id", ri.traceID))
	}
	return h.Handler.Handle(ctx, r)
}

func (h contextHandler) WithAttrs(attrs []slog.Attr) slog.Handler {
	return contextHandler{h.Handler.WithAttrs(attrs)}
}

func (h contextHandler) WithGroup(name string) slog.Handler {
	return contextHandler{h.Handler.WithGroup(name)}
}
