package api_test

import (
	"encoding/json"
	"log/slog"
	"net/http"
	"regexp"
	"strings"
	"testing"

	"github.com/google/uuid"

	"github.com/personsapi/persons/pkg/api"
	"github.com/personsapi/persons/pkg/ddbstats"
	"github.com/personsapi/persons/pkg/ddbtest"
	"github.com/personsapi/persons/pkg/metrics"
	"github.com/personsapi/persons/pkg/persons"
)

// With Options.Metrics, one request writes exactly one log line, its access line, and
// that line is the EMF record documented in pkg/metrics: here a replayed create, the
// second POST of the same person.
func TestAccessLineIsEMF(t *testing.T) {
	db, table := ddbtest.NewTable(t, ddbstats.Counting)
	logs := &logBuffer{}
	s := &server{t: t, store: persons.New(db, table), logs: logs}
	s.h = api.WithFixedScopes(api.NewHandler(api.Options{
		Store:   s.store,
		Logger:  slog.New(slog.NewJSONHandler(logs, nil)),
		Metrics: metrics.EMF{Namespace: "Persons/test"},
	}), allScopes)
	body := personBody(uuid.NewString())
	s.do("POST", "/persons", body).want(t, http.StatusCreated)
	logs.mu.Lock()
	logs.buf.Reset()
	logs.mu.Unlock()
	res := s.do("POST", "/persons", body, api.TraceIDHeader, "Root=1-67891233-abcdef012345678912345678;Parent=53995c3f42cd8ad8;Sampled=1").want(t, http.StatusCreated)

	logs.mu.Lock()
	got := logs.buf.String()
	logs.mu.Unlock()
	// The variable members: time, the duration and the timestamp.
	re := regexp.MustCompile(`"time":"[^"]+"|"duration_ms":[0-9.]+|"Timestamp":[0-9]+|"request_id":"[^"]+"`)
	masked := re.ReplaceAllStringFunc(got, func(m string) string {
		k, _, _ := strings.Cut(m, ":")
		return k + ":_"
	})
	want := `{"time":_,"level":"INFO","msg":"request","method":"POST","route":"POST /persons","path":"/persons","status":201,"duration_ms":_,"ddb_requests":2,"ddb_read_units":1,"ddb_write_units":0,"request_id":_,"trace_id":"1-67891233-abcdef012345678912345678",` +
		`"requests":1,"status_4xx":0,"status_5xx":0,"conflicts":0,"precondition_failed":0,"retries":0,"replays":1,` +
		`"_aws":{"CloudWatchMetrics":[` +
		`{"Dimensions":[["route"]],"Metrics":[{"Name":"requests","Unit":"Count"},{"Name":"duration_ms","Unit":"Milliseconds"},{"Name":"ddb_requests","Unit":"Count"},{"Name":"status_4xx","Unit":"Count"},{"Name":"status_5xx","Unit":"Count"}],"Namespace":"Persons/test"},` +
		`{"Dimensions":[[]],"Metrics":[{"Name":"conflicts","Unit":"Count"},{"Name":"precondition_failed","Unit":"Count"},{"Name":"retries","Unit":"Count"},{"Name":"replays","Unit":"Count"}],"Namespace":"Persons/test"}` +
		`],"Timestamp":_}}` + "\n"
	if masked != want {
		t.Errorf("log of one request:\n got %s\nwant %s", masked, want)
	}
	line := logs.accessLine(t, res.Header.Get(api.RequestIDHeader))
	var aws struct{ Timestamp int64 }
	raw, _ := json.Marshal(line["_aws"])
	if err := json.Unmarshal(raw, &aws); err != nil || aws.Timestamp == 0 {
		t.Errorf("_aws.Timestamp in %s: %v", raw, err)
	}
}

// Writes retried under contention report their retries: concurrent updates of one
// person's primary address make at least one attempt retry.
func TestAccessLineRetries(t *testing.T) {
	db, table := ddbtest.NewTable(t, ddbstats.Counting)
	logs := &logBuffer{}
	s := &server{t: t, store: persons.New(db, table), logs: logs, partial: true}
	s.h = api.WithFixedScopes(api.NewHandler(api.Options{
		Store:   s.store,
		Logger:  slog.New(slog.NewJSONHandler(logs, nil)),
		Metrics: metrics.EMF{Namespace: "Persons/test"},
	}), allScopes)
	personID := uuid.NewString()
	s.do("POST", "/persons", personBody(personID)).want(t, http.StatusCreated)
	const writers = 12
	done := make(chan struct{})
	for range writers {
		go func() {
			defer func() { done <- struct{}{} }()
			b := clone(kindCases[0].body)
			b["id"] = uuid.NewString()
			b["isPrimary"] = true
			s.do("POST", "/persons/"+personID+"/"+kindCases[0].route, b)
		}()
	}
	for range writers {
		<-done
	}
	var retries float64
	for _, l := range logs.lines(t, "request") {
		if l["method"] == "POST" && l["route"] != "POST /persons" {
			r, ok := l[metrics.Retries].(float64)
			if !ok {
				t.Fatalf("write line without retries: %v", l)
			}
			retries += r
		}
	}
	if retries == 0 {
		t.Errorf("%d concurrent primary creates of one person: no retries counted", writers)
	}
}

// The trace id of the request (the Root of X-Amzn-Trace-Id) is in its access line and
// in its problem body; a request without one has neither.
func TestTraceID(t *testing.T) {
	s := newServer(t)
	const root = "1-5759e988-bd862e3fe1be46a994272793"
	for _, tc := range []struct{ header, want string }{
		{"Root=" + root + ";Parent=53995c3f42cd8ad8;Sampled=0", root},
		{"Self=1-abc;Root=" + root, root},
		{"", ""},
		{"Root=", ""},
		{"Root=evil\nline", ""},
	} {
		res := s.do("GET", "/persons/"+uuid.NewString(), nil, api.TraceIDHeader, tc.header)
		p := res.problem(t, http.StatusNotFound)
		if p.TraceID != tc.want {
			t.Errorf("%q: problem traceId %q, want %q", tc.header, p.TraceID, tc.want)
		}
		if got := s.logs.accessLine(t, p.RequestID)["trace_id"]; got != tc.want {
			t.Errorf("%q: access line trace_id %v, want %q", tc.header, got, tc.want)
		}
	}
}
