package api

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"mime"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"go.opentelemetry.io/otel/trace"
	"go.opentelemetry.io/otel/trace/noop"

	"github.com/personsapi/persons/pkg/input"
	"github.com/personsapi/persons/pkg/metrics"
	"github.com/personsapi/persons/pkg/persons"
	"github.com/personsapi/persons/pkg/reqlog"
)

// Options configure NewHandler. Store is required.
type Options struct {
	Store *persons.Store
	// Logger receives the access log (one line per request) and internal errors;
	// nil means slog.Default().
	Logger *slog.Logger
	// CORSOrigins lists the browser origins allowed to call the API ("*" = any);
	// empty sends no CORS headers.
	CORSOrigins []string
	// Functions selects whose routes to serve (a Lambda serves its own only);
	// nil serves every route.
	Functions []Function
	// Extra routes to serve besides the API's, keyed by ServeMux pattern (the local
	// server adds GET /openapi.json). They see the same middleware.
	Extra map[string]http.Handler
	// RequestTimeout is the deadline of every request (ParseRequestTimeout reads
	// deploy.EnvRequestTimeout); 0 means DefaultRequestTimeout. A request context with
	// an earlier deadline (a Lambda invocation's) keeps it.
	RequestTimeout time.Duration
	// ScopeNames are the names of the scopes in the caller's token, for the 403
	// problems; the zero value means DefaultScopeNames. The scopes themselves come with
	// each request (WithScopes): none means the caller may do nothing.
	ScopeNames ScopeNames
	// Metrics makes each access line a CloudWatch Embedded Metric Format record in
	// its namespace (pkg/metrics); the zero value writes plain access lines.
	Metrics metrics.EMF
	// Tracer provides the request spans (pkg/tracing): one server span per request,
	// under the trace of its X-Amzn-Trace-Id; nil means none.
	Tracer trace.TracerProvider
}

// handlerFunc is an API handler: what it returns is sent as a problem.
type handlerFunc func(w http.ResponseWriter, r *http.Request) error

// NewHandler returns the HTTP handler of the API: the routes of api.Routes() selected by
// o.Functions, each registered under its exact "METHOD /path" pattern, behind the
// middleware. Other methods on a served path get 405 with Allow, other paths 404, both
// as problems.
func NewHandler(o Options) http.Handler {
	if o.Store == nil {
		panic("api: Options.Store is nil")
	}
	log := o.Logger
	if log == nil {
		log = slog.Default()
	}
	// Every line logged for a request names it (request_id, trace_id).
	log = slog.New(reqlog.Handler(log.Handler()))
	tp := o.Tracer
	if tp == nil {
		tp = noop.NewTracerProvider()
	}
	names := o.ScopeNames
	if names == (ScopeNames{}) {
		names = DefaultScopeNames
	}
	mux := http.NewServeMux()
	wrap := func(h handlerFunc) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if ri := info(r.Context()); ri != nil {
				ri.pattern = r.Pattern
			}
			// Without the bank scope every answer, errors included, leaves with its
			// IBANs masked. Not deferred: after a panic the held response is dropped,
			// and the recovery answers 500 on the untouched writer.
			var mw *maskingWriter
			if !ScopesFrom(r.Context()).Bank {
				mw = &maskingWriter{ResponseWriter: w}
				w = mw
			}
			if err := h(w, r); err != nil {
				writeError(w, r, log, err)
			}
			if mw != nil {
				mw.finish()
			}
		})
	}
	allow := map[string][]string{} // path -> methods, in route order
	var paths []string
	for _, rt := range routes() {
		if o.Functions != nil && !slices.Contains(o.Functions, rt.Function) {
			continue
		}
		mux.Handle(rt.Pattern(), wrap(requireScope(rt.Method, names, withQuery(rt.query, rt.handler(o.Store, names)))))
		if _, seen := allow[rt.Path]; !seen {
			paths = append(paths, rt.Path)
		}
		allow[rt.Path] = append(allow[rt.Path], rt.Method)
	}
	// A method-less pattern per path catches the other methods: ServeMux would answer
	// them itself, but in text/plain.
	for _, p := range paths {
		methods := strings.Join(allow[p], ", ")
		mux.Handle(p, wrap(func(w http.ResponseWriter, r *http.Request) error {
			w.Header().Set("Allow", methods)
			return errStatus(http.StatusMethodNotAllowed, r.Method+" is not allowed here; allowed: "+methods)
		}))
	}
	for pattern, h := range o.Extra {
		mux.Handle(pattern, wrap(func(w http.ResponseWriter, r *http.Request) error {
			h.ServeHTTP(w, r)
			return nil
		}))
	}
	mux.Handle("/", wrap(func(w http.ResponseWriter, r *http.Request) error {
		return errStatus(http.StatusNotFound, "no route for "+r.URL.Path)
	}))
	timeout := o.RequestTimeout
	if timeout <= 0 {
		timeout = DefaultRequestTimeout
	}
	return middleware(mux, log, corsPolicy{origins: o.CORSOrigins, methods: Methods()}, timeout, o.Metrics, tp.Tracer(TracerName))
}

// withQuery serves h only when the request's query string holds nothing but the
// parameters the route takes, each once and well formed (checkQuery). A 400 of h about
// the values of query parameters (limit=abc) lists the route's parameters too.
func withQuery(supported []string, h handlerFunc) handlerFunc {
	return func(w http.ResponseWriter, r *http.Request) error {
		if err := checkQuery(r, supported); err != nil {
			return err
		}
		err := h(w, r)
		if fields := queryFields(err, supported); fields != nil {
			return &statusError{status: http.StatusBadRequest, detail: "invalid query: " + supportedText(supported), fields: fields}
		}
		return err
	}
}

// queryFields returns the field errors of a 400 when they all name query parameters of
// the route, else nil.
func queryFields(err error, supported []string) []input.FieldError {
	fields, ok := input.FieldErrors(err)
	if se := (*statusError)(nil); errors.As(err, &se) && se.status == http.StatusBadRequest {
		fields, ok = se.fields, true
	}
	if !ok || len(fields) == 0 || slices.ContainsFunc(fields, func(f input.FieldError) bool { return !slices.Contains(supported, f.Field) }) {
		return nil
	}
	return fields
}

// readBody checks the media type of a write and reads its body, at most MaxBodyBytes
// (the middleware's MaxBytesReader turns more into a 413).
func readBody(r *http.Request) ([]byte, error) {
	mt, _, err := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if err != nil || (mt != "application/json" && mt != "application/merge-patch+json") {
		return nil, errStatus(http.StatusUnsupportedMediaType,
			"send the body as application/json (or application/merge-patch+json)")
	}
	if r.Body == nil {
		return nil, nil
	}
	body, err := io.ReadAll(r.Body)
	if err != nil {
		return nil, fmt.Errorf("read body: %w", err)
	}
	return body, nil
}

// decodeBody reads a write's body and decodes it strictly into v.
func decodeBody(r *http.Request, v any) error {
	body, err := readBody(r)
	if err != nil {
		return err
	}
	return input.Decode(body, v)
}

// ifVersion reads If-Match: `"<version>"` (as sent in ETag), W/"<version>" or a bare
// version; absent or "*" means no check (0). Anything else is a 400 naming If-Match,
// rather than a 412 that a client would retry in vain.
func ifVersion(r *http.Request) (int64, error) {
	v := strings.TrimSpace(r.Header.Get("If-Match"))
	if v == "" || v == "*" {
		return 0, nil
	}
	v = strings.TrimPrefix(v, "W/")
	if len(v) >= 2 && v[0] == '"' && v[len(v)-1] == '"' {
		v = v[1 : len(v)-1]
	}
	n, err := strconv.ParseInt(v, 10, 64)
	if err != nil || n < 1 {
		return 0, errField("If-Match", `must be one ETag of the item, e.g. "3"`)
	}
	return n, nil
}

// listOptions reads ?limit= (at most max) and ?cursor=.
func listOptions(r *http.Request, max int) (persons.ListOptions, error) {
	q := r.URL.Query()
	o := persons.ListOptions{Cursor: q.Get("cursor")}
	if s := q.Get("limit"); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil || n < 1 || n > max {
			return o, errField("limit", fmt.Sprintf("must be an integer between 1 and %d", max))
		}
		if n == 0 {
			// 0 would mean "the default" to the store; over HTTP it is simply out of range.
			n = -1
		}
		o.Limit = n
	}
	return o, nil
}

// etag is the strong ETag of an item version.
func etag(version int64) string { return `"` + strconv.FormatInt(version, 10) + `"` }

// writeJSON sends v as JSON. It does not HTML-escape: encoding/json's default turns
// each <, > and & into a 6-byte \u003c, which can make a response six times the size of
// its data. The escaping protects JSON pasted into HTML; this body is application/json,
// and nosniff stops a browser from reading it as anything else.
func writeJSON(w http.ResponseWriter, status int, v any) error {
	body, err := marshalJSON(v)
	if err != nil {
		return err
	}
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("X-Content-Type-Options", "nosniff")
	w.WriteHeader(status)
	_, _ = w.Write(body)
	return nil
}

// withMember returns the JSON object of v with one more member, name: value. The entity
// types are flat structs whose members are fixed, so the write responses ("changed")
// extend them without a parallel struct per kind.
func withMember(v any, name string, value any) (json.RawMessage, error) {
	obj, err := marshalJSON(v)
	if err != nil {
		return nil, err
	}
	member, err := marshalJSON(value)
	if err != nil {
		return nil, err
	}
	obj, member = bytes.TrimRight(obj, "\n"), bytes.TrimRight(member, "\n")
	if len(obj) < 2 || obj[0] != '{' || obj[len(obj)-1] != '}' {
		return nil, fmt.Errorf("withMember: %T is not a JSON object", v)
	}
	key, _ := json.Marshal(name)
	var b bytes.Buffer
	b.Write(obj[:len(obj)-1]) // without its closing brace
	if len(obj) > 2 {
		b.WriteByte(',')
	}
	b.Write(key)
	b.WriteByte(':')
	b.Write(member)
	b.WriteByte('}')
	return b.Bytes(), nil
}

// marshalJSON encodes v as writeJSON does, without HTML escaping.
func marshalJSON(v any) ([]byte, error) {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return nil, fmt.Errorf("encode response: %w", err)
	}
	return b.Bytes(), nil
}

// writeItem sends one item with its ETag; a 201 also gets the item's Location.
func writeItem(w http.ResponseWriter, status int, version int64, location string, v any) error {
	w.Header().Set("ETag", etag(version))
	if status == http.StatusCreated {
		w.Header().Set("Location", location)
	}
	return writeJSON(w, status, v)
}

// writeTagged answers a GET with v and its strong ETag tag, or with 304 Not Modified
// and no body when the request's If-None-Match names tag: the client's copy is current.
func writeTagged(w http.ResponseWriter, r *http.Request, tag string, v any) error {
	w.Header().Set("ETag", tag)
	if noneMatch(r.Header.Get("If-None-Match"), tag) {
		w.WriteHeader(http.StatusNotModified)
		return nil
	}
	return writeJSON(w, http.StatusOK, v)
}

// noneMatch reports whether the If-None-Match header value matches tag: "*" or a list
// holding it, compared weakly (RFC 9110 13.1.2: W/"x" matches "x").
func noneMatch(header, tag string) bool {
	for _, t := range strings.Split(header, ",") {
		t = strings.TrimSpace(t)
		if t == "*" || strings.TrimPrefix(t, "W/") == tag {
			return true
		}
	}
	return false
}
