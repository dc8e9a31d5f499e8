package api

import (
	"encoding/json"
	"errors"
	"log/slog"
	"net/http"
	"strconv"

	"github.com/aws/smithy-go"

	"github.com/personsapi/persons/pkg/input"
	"github.com/personsapi/persons/pkg/persons"
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

// problemFor maps an error to the problem to send, and says what to log about it (logMsg,
// empty for nothing): internal errors (500), and DynamoDB's rejection of a value, whose
// details must be logged and never sent.
func problemFor(err error) (p Problem, logMsg string) {
	var (
		se *statusError
		ve *input.ValidationError
		mb *http.MaxBytesError
	)
	switch {
	case errors.As(err, &se):
		p = Problem{Status: se.status, Detail: se.detail, Errors: se.fields}
	case errors.As(err, &ve):
		p = Problem{Status: http.StatusBadRequest, Detail: "invalid input", Errors: ve.Fields}
	case errors.Is(err, persons.ErrInvalidCursor):
		p = Problem{Status: http.StatusBadRequest, Detail: "invalid input",
			Errors: []input.FieldError{{Field: "cursor", Message: "is not a cursor of this list"}}}
	case errors.As(err, &mb):
		p = Problem{Status: http.StatusRequestEntityTooLarge,
			Detail: "the body exceeds " + strconv.FormatInt(mb.Limit, 10) + " bytes"}
	case errors.Is(err, persons.ErrNotFound):
		p = Problem{Status: http.StatusNotFound, Detail: err.Error()}
	case errors.Is(err, persons.ErrAlreadyExists):
		p = withCurrent(Problem{Status: http.StatusConflict, Detail: err.Error()}, err)
	case errors.Is(err, persons.ErrVersionMismatch):
		p = withCurrent(Problem{Status: http.StatusPreconditionFailed,
			Detail: "the item changed since the version in If-Match; current holds it as stored"}, err)
	case errors.Is(err, persons.ErrContention):
		p = Problem{Status: http.StatusServiceUnavailable,
			Detail: "too many concurrent changes of the same person; try again"}
	case isValidationException(err):
		// A backstop: validation lets only storable values through, so this is a gap in it,
		// logged at ERROR to be closed. The value is what DynamoDB refused, hence a 400;
		// DynamoDB's message speaks of attributes and limits, not of the API's fields.
		p = Problem{Status: http.StatusBadRequest, Detail: "invalid input: a value cannot be stored"}
		logMsg = "value rejected by DynamoDB"
	default:
		p = Problem{Status: http.StatusInternalServerError, Detail: "internal error"}
		logMsg = "internal error"
	}
	p.Type, p.Title = "about:blank", http.StatusText(p.Status)
	return p, logMsg
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
// "internal error" with the request id only.
func writeError(w http.ResponseWriter, r *http.Request, log *slog.Logger, err error) {
	p, logMsg := problemFor(err)
	p.RequestID, p.Instance = requestID(r.Context()), r.URL.Path
	if logMsg != "" {
		log.LogAttrs(r.Context(), slog.LevelError, logMsg,
			slog.String("request_id", p.RequestID), slog.String("method", r.Method),
			slog.String("path", r.URL.Path), slog.String("error", err.Error()))
	}
	writeProblem(w, p)
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
