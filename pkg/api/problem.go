package api

import (
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"net/http"
	"strconv"
	"time"

	"github.com/aws/smithy-go"

	"github.com/personsapi/persons/pkg/input"
	"github.com/personsapi/persons/pkg/persons"
	"github.com/personsapi/persons/pkg/reqlog"
)

// Problem is an RFC 9457 problem details document, the body of every error response
// (Content-Type application/problem+json).
type Problem struct {
	// Type is always "about:blank": the status code says what went wrong, Errors says
	// which fields were at fault.
	Type     string `json:"type"`
	Title    string `json:"title"`
	Status   int    `json:"status"`
	Detail   string `json:"detail,omitempty"`
	Instance string `json:"instance,omitempty"`
	// Errors lists the invalid fields of a 400 (body fields, or the query parameters
	// "limit", "cursor", "q", "include", or the header "If-Match").
	Errors []input.FieldError `json:"errors,omitempty"`
	// RequestID is also in the X-Request-Id header; quote it when reporting a 500.
	RequestID string `json:"requestId,omitempty"`
	// TraceID is the request's trace (X-Ray's Root id, from X-Amzn-Trace-Id): the
	// function's log lines and traces of the request carry it too.
	TraceID string `json:"traceId,omitempty"`
	// Current is the stored item of a 409 or 412 (its ETag is in the header), so that a
	// client can rebase its change without another GET.
	Current any `json:"current,omitempty"`
	etag    string
}

// ProblemContentType is the media type of error responses.
const ProblemContentType = "application/problem+json"

// statusError is an error the HTTP layer itself detects (bad query parameter, wrong
// media type, unknown route): it carries its status and optional field errors.
type statusError struct {
	status int
	detail string
	fields []input.FieldError
}

func (e *statusError) Error() string { return e.detail }

func errStatus(status int, detail string) error { return &statusError{status: status, detail: detail} }

// errField is a 400 naming one invalid input field.
func errField(field, msg string) error {
	return &statusError{status: http.StatusBadRequest, detail: "invalid input",
		fields: []input.FieldError{{Field: field, Message: msg}}}
}

// answer is how the API answers an error: the problem to send, with a Retry-After when
// trying again later may work, and what to log beyond the access log line.
type answer struct {
	Problem
	retryAfter time.Duration // 0: no Retry-After header
	logLevel   slog.Level
	logMsg     string // empty: nothing to log
	// clientGone: the client went away, nobody reads an answer; the access log line
	// says 499 (nginx's "client closed request"), which is not a server error.
	clientGone bool
}

// answerFor maps the error of a request served with ctx to its answer. An error caused
// by the end of the request's context is told by that context: its deadline passing is
// a 504, the client going away a 499 with no answer at all. Either would otherwise
// surface as a DynamoDB call that failed (500, 503).
func answerFor(ctx context.Context, err error) answer {
	a := problemFor(err)
	var cr *clientReadError
	if errors.As(err, &cr) {
		a = answer{clientGone: true}
	} else if cerr := ctx.Err(); cerr != nil && (a.Status >= 500 || a.Status == http.StatusTooManyRequests ||
		errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded)) {
		if errors.Is(cerr, context.DeadlineExceeded) {
			a = answer{Problem: Problem{Status: http.StatusGatewayTimeout,
				Detail: "the request did not complete within its deadline; try again"},
				retryAfter: retryAfterUnavailable, logLevel: slog.LevelWarn, logMsg: "request deadline exceeded"}
		} else {
			a = answer{clientGone: true}
		}
	}
	a.Type, a.Title = "about:blank", http.StatusText(a.Status)
	return a
}

// problemFor maps an error to its answer, regardless of the request's context: the
// status, and what to log: internal errors (500) at ERROR, and DynamoDB's rejection of
// a value, whose details must be logged and never sent; DynamoDB's faults (throttling,
// unavailability) at WARN.
func problemFor(err error) (a answer) {
	var (
		se *statusError
		ve *input.ValidationError
		mb *http.MaxBytesError
		p  = &a.Problem
	)
	switch {
	case errors.As(err, &se):
		*p = Problem{Status: se.status, Detail: se.detail, Errors: se.fields}
	case errors.As(err, &ve):
		*p = Problem{Status: http.StatusBadRequest, Detail: "invalid input", Errors: ve.Fields}
	case errors.Is(err, persons.ErrInvalidCursor):
		*p = Problem{Status: http.StatusBadRequest, Detail: "invalid input",
			Errors: []input.FieldError{{Field: "cursor", Message: "is not a cursor of this list"}}}
	case errors.As(err, &mb):
		*p = Problem{Status: http.StatusRequestEntityTooLarge,
			Detail: "the body exceeds " + strconv.FormatInt(mb.Limit, 10) + " bytes"}
	case errors.Is(err, persons.ErrNotFound):
		*p = Problem{Status: http.StatusNotFound, Detail: err.Error()}
	case errors.Is(err, persons.ErrLimit):
		// A cap of the data model (persons.MaxRelatedPerKind), not a transient state:
		// 409, with the cap named in the detail.
		*p = Problem{Status: http.StatusConflict, Detail: err.Error()}
	case errors.Is(err, persons.ErrAlreadyExists):
		*p = withCurrent(Problem{Status: http.StatusConflict, Detail: err.Error()}, err)
	case errors.Is(err, persons.ErrVersionMismatch):
		*p = withCurrent(Problem{Status: http.StatusPreconditionFailed,
			Detail: "the item changed since the version in If-Match; current holds it as stored"}, err)
	case errors.Is(err, persons.ErrContention):
		*p = Problem{Status: http.StatusServiceUnavailable,
			Detail: "too many concurrent changes of the same person; try again"}
		a.retryAfter = retryAfterContention
	case isValidationException(err):
		// A backstop: validation lets only storable values through, so this is a gap in it,
		// logged at ERROR to be closed. The value is what DynamoDB refused, hence a 400;
		// DynamoDB's message speaks of attributes and limits, not of the API's fields.
		*p = Problem{Status: http.StatusBadRequest, Detail: "invalid input: a value cannot be stored"}
		a.logLevel, a.logMsg = slog.LevelError, "value rejected by DynamoDB"
	default:
		switch faultOf(err) {
		case throttled:
			// 429 rather than 503: the cure is fewer requests, from every client.
			*p = Problem{Status: http.StatusTooManyRequests, Detail: "the database is throttling requests; try again later"}
			a.retryAfter = retryAfterThrottled
			a.logLevel, a.logMsg = slog.LevelWarn, "dynamodb throttled"
		case unavailable:
			*p = Problem{Status: http.StatusServiceUnavailable, Detail: "the database is unavailable; try again later"}
			a.retryAfter = retryAfterUnavailable
			a.logLevel, a.logMsg = slog.LevelWarn, "dynamodb unavailable"
		default:
			*p = Problem{Status: http.StatusInternalServerError, Detail: "internal error"}
			a.logLevel, a.logMsg = slog.LevelError, "internal error"
		}
	}
	p.Type, p.Title = "about:blank", http.StatusText(p.Status)
	return a
}

// withCurrent adds the stored item of a conflict to its problem.
func withCurrent(p Problem, err error) Problem {
	var ce *persons.ConflictError
	if errors.As(err, &ce) && ce.Current != nil {
		p.Current, p.etag = ce.Current, etag(ce.Version)
	}
	return p
}

// isValidationException reports whether DynamoDB rejected the request as invalid. The SDK
// has no type for this error: it is matched by its code.
func isValidationException(err error) bool {
	var ae smithy.APIError
	return errors.As(err, &ae) && ae.ErrorCode() == "ValidationException"
}

// writeError sends err as a problem; internal errors are logged in full and sent as
// "internal error" with the request id only. It sends nothing to a client that went
// away.
func writeError(w http.ResponseWriter, r *http.Request, log *slog.Logger, err error) {
	ctx := r.Context()
	a := answerFor(ctx, err)
	id, traceID, _ := reqlog.From(ctx)
	if a.logMsg != "" {
		// request_id and trace_id: reqlog.Handler.
		log.LogAttrs(ctx, a.logLevel, a.logMsg, slog.String("method", r.Method),
			slog.String("path", r.URL.Path), slog.String("error", err.Error()))
	}
	if a.clientGone {
		if ri := info(ctx); ri != nil {
			ri.clientGone = true
		}
		return
	}
	a.RequestID, a.TraceID, a.Instance = id, traceID, r.URL.Path
	if a.retryAfter > 0 {
		w.Header().Set("Retry-After", strconv.Itoa(int(a.retryAfter/time.Second)))
	}
	writeProblem(w, a.Problem)
}

func writeProblem(w http.ResponseWriter, p Problem) {
	h := w.Header()
	h.Set("Content-Type", ProblemContentType)
	h.Del("ETag")
	h.Del("Location")
	if p.etag != "" {
		h.Set("ETag", p.etag)
	}
	w.WriteHeader(p.Status)
	_ = json.NewEncoder(w).Encode(p)
}
