package api_test

import (
	"encoding/json"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/aws/smithy-go/logging"
	"github.com/google/uuid"

	"github.com/personsapi/persons/pkg/api"
	"github.com/personsapi/persons/pkg/ddbclient"
	"github.com/personsapi/persons/pkg/ddbtest"
	"github.com/personsapi/persons/pkg/persons"
	"github.com/personsapi/persons/pkg/reqlog"
)

// Every line logged while a request is served names it (request_id, trace_id): the
// error line of a 500, the access line, and a line the AWS SDK logs with the call's
// context (ddbclient.Logger, which the SDK hands each call's context); each once.
func TestEveryLogLineNamesItsRequest(t *testing.T) {
	logs := &logBuffer{}
	log := slog.New(reqlog.Handler(slog.NewJSONHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug})))
	defer slog.SetDefault(slog.Default())
	slog.SetDefault(log)
	// A table that does not exist: every store call fails, an internal error.
	store := persons.New(ddbtest.Client(t), "missing-"+uuid.NewString())
	h := api.WithFixedScopes(api.NewHandler(api.Options{
		Store:  store,
		Logger: log,
		Extra: map[string]http.Handler{"GET /sdk-log": http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			// What the SDK does with its logger for a call (smithy-go's middleware).
			logging.WithContext(r.Context(), ddbclient.Logger{}).Logf(logging.Debug, "request failed with unretryable error")
			w.WriteHeader(http.StatusNoContent)
		})},
	}), allScopes)
	const root = "1-5759e988-bd862e3fe1be46a994272793"
	for _, path := range []string{"/persons/" + uuid.NewString(), "/sdk-log"} {
		before := len(logs.String())
		req := httptest.NewRequest("GET", path, nil)
		req.Header.Set(api.TraceIDHeader, "Root="+root+";Parent=53995c3f42cd8ad8;Sampled=1")
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		id := rec.Header().Get(api.RequestIDHeader)
		lines := strings.Split(strings.TrimSpace(logs.String()[before:]), "\n")
		if len(lines) < 2 {
			t.Fatalf("%s (%d): want a line besides the access line, got %q", path, rec.Code, lines)
		}
		for _, l := range lines {
			if strings.Count(l, `"request_id"`) != 1 || strings.Count(l, `"trace_id"`) != 1 {
				t.Errorf("%s: line without (or with twice) its request's ids: %s", path, l)
				continue
			}
			var m map[string]any
			if err := json.Unmarshal([]byte(l), &m); err != nil {
				t.Fatal(err)
			}
			if m["request_id"] != id || m["trace_id"] != root {
				t.Errorf("%s: line names request %v trace %v, want %s %s: %s", path, m["request_id"], m["trace_id"], id, root, l)
			}
		}
	}
	// Outside a request, a line is left as it is.
	before := len(logs.String())
	log.Info("startup")
	if l := logs.String()[before:]; strings.Contains(l, "request_id") {
		t.Errorf("a line outside any request names one: %s", l)
	}
}
