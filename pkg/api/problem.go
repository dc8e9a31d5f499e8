package api

import (
	"encoding/json"
	"errors"
	"log/slog"
	"net/http"
	"strconv"

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

// problemFor maps an error to the problem to send. It reports internal errors (500),
// whose details must be logged and never sent.
func problemFor(err error) (p Problem, internal bool) {
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
		p = Problem{Status: http.StatusConflict, Detail: err.Error()}
	case errors.Is(err, persons.ErrVersionMismatch):
		p = Problem{Status: http.StatusPreconditionFailed,
			Detail: "the item changed since the version in If-Match; read it again"}
	case errors.Is(err, persons.ErrContention):
		p = Problem{Status: http.StatusServiceUnavailable,
			Detail: "too many concurrent changes of the same person; try again"}
	default:
		p = Problem{Status: http.StatusInternalServerError, Detail: "internal error"}
		internal = true
	}
	p.Type, p.Title = "about:blank", http.StatusText(p.Status)
	return p, internal
}

// writeError sends err as a problem; internal errors are logged in full and sent as
// "internal error" with the request id only.
func writeError(w http.ResponseWriter, r *http.Request, log *slog.Logger, err error) {
	p, internal := problemFor(err)
	p.RequestID, p.Instance = requestID(r.Context()), r.URL.Path
	if internal {
		log.LogAttrs(r.Context(), slog.LevelError, "internal error",
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
	w.WriteHeader(p.Status)
	_ = json.NewEncoder(w).Encode(p)
}
