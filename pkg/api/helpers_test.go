package api_test

import (
	"bufio"
	"bytes"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"sync"
	"testing"

	"github.com/personsapi/persons/pkg/api"
	"github.com/personsapi/persons/pkg/ddbstats"
	"github.com/personsapi/persons/pkg/ddbtest"
	"github.com/personsapi/persons/pkg/persons"
)

func TestMain(m *testing.M) { os.Exit(ddbtest.Main(m)) }

// logBuffer collects the handler's JSON log lines; handlers log concurrently.
type logBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *logBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

// lines returns the log records whose "msg" is msg.
func (b *logBuffer) lines(t *testing.T, msg string) []map[string]any {
	t.Helper()
	b.mu.Lock()
	defer b.mu.Unlock()
	var out []map[string]any
	sc := bufio.NewScanner(bytes.NewReader(b.buf.Bytes()))
	for sc.Scan() {
		var rec map[string]any
		if err := json.Unmarshal(sc.Bytes(), &rec); err != nil {
			t.Fatalf("log line is not JSON: %q", sc.Text())
		}
		if rec["msg"] == msg {
			out = append(out, rec)
		}
	}
	return out
}

// accessLine is the access log record of the request with the given id.
func (b *logBuffer) accessLine(t *testing.T, requestID string) map[string]any {
	t.Helper()
	for _, rec := range b.lines(t, "request") {
		if rec["request_id"] == requestID {
			return rec
		}
	}
	t.Fatalf("no access log line for request %s", requestID)
	return nil
}

// server is the API on a fresh table of DynamoDB Local.
type server struct {
	t     *testing.T
	h     http.Handler
	store *persons.Store
	logs  *logBuffer
	// partial servers mount some functions only: their 404s for the others' routes are
	// not the document's business.
	partial bool
}

// allScopes is what the tests of everything but access control call with.
var allScopes = api.Scopes{Read: true, Write: true, Bank: true}

func newServer(t *testing.T, functions ...api.Function) *server {
	t.Helper()
	db, table := ddbtest.NewTable(t, ddbstats.Counting)
	store := persons.New(db, table)
	return newServerFor(t, store, functions...)
}

func newServerFor(t *testing.T, store *persons.Store, functions ...api.Function) *server {
	logs := &logBuffer{}
	o := api.Options{
		Store:       store,
		Logger:      slog.New(slog.NewJSONHandler(logs, nil)),
		CORSOrigins: []string{"http://localhost:5173"},
	}
	if len(functions) > 0 {
		o.Functions = functions
	}
	return &server{t: t, h: api.WithFixedScopes(api.NewHandler(o), allScopes), store: store, logs: logs, partial: len(functions) > 0}
}

// response is a finished response with its body read.
type response struct {
	*http.Response
	body []byte
}

// do sends a request; body may be nil, a string (sent as is) or a value (sent as JSON).
// Writes default to Content-Type application/json; headers are name, value pairs.
func (s *server) do(method, target string, body any, headers ...string) response {
	s.t.Helper()
	var raw []byte
	switch b := body.(type) {
	case nil:
	case string:
		raw = []byte(b)
	case []byte:
		raw = b
	default:
		j, err := json.Marshal(b)
		if err != nil {
			s.t.Fatal(err)
		}
		raw = j
	}
	var rd io.Reader
	if body != nil {
		rd = bytes.NewReader(raw)
	}
	req := httptest.NewRequest(method, target, rd)
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	for i := 0; i+1 < len(headers); i += 2 {
		if headers[i+1] == "" {
			req.Header.Del(headers[i])
		} else {
			req.Header.Set(headers[i], headers[i+1])
		}
	}
	rec := httptest.NewRecorder()
	s.h.ServeHTTP(rec, req)
	res := rec.Result()
	res.Request = req // for the messages of want
	b, _ := io.ReadAll(res.Body)
	if !s.partial {
		checkDoc(s.t, req, raw, res, b)
	}
	return response{res, b}
}

// want fails the test unless the response has the status.
func (r response) want(t *testing.T, status int) response {
	t.Helper()
	if r.StatusCode != status {
		t.Fatalf("%s %s: status %d, want %d; body %s", r.Request.Method, r.Request.URL, r.StatusCode, status, r.body)
	}
	return r
}

// decode unmarshals the JSON body into v.
func (r response) decode(t *testing.T, v any) {
	t.Helper()
	if err := json.Unmarshal(r.body, v); err != nil {
		t.Fatalf("body %q: %v", r.body, err)
	}
}

// problem checks that the response is a problem with the status and returns it.
func (r response) problem(t *testing.T, status int) api.Problem {
	t.Helper()
	r.want(t, status)
	if ct := r.Header.Get("Content-Type"); ct != api.ProblemContentType {
		t.Fatalf("Content-Type %q, want %q", ct, api.ProblemContentType)
	}
	var p api.Problem
	r.decode(t, &p)
	if p.Status != status || p.Title != http.StatusText(status) || p.Type != "about:blank" {
		t.Fatalf("problem %+v: want status %d with its title", p, status)
	}
	if p.RequestID == "" || p.RequestID != r.Header.Get(api.RequestIDHeader) {
		t.Fatalf("problem requestId %q, header %q", p.RequestID, r.Header.Get(api.RequestIDHeader))
	}
	return p
}

// fieldProblem checks for a 400 that names field.
func (r response) fieldProblem(t *testing.T, field string) api.Problem {
	t.Helper()
	p := r.problem(t, http.StatusBadRequest)
	for _, f := range p.Errors {
		if f.Field == field {
			return p
		}
	}
	t.Fatalf("400 does not name field %q: %s", field, r.body)
	return p
}
