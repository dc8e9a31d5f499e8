package metrics_test

import (
	"bytes"
	"context"
	"encoding/json"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/personsapi/persons/pkg/metrics"
)

// line logs r the way the API's access line does and returns the JSON, without the
// handler's time member.
func line(t *testing.T, e metrics.EMF, r metrics.Request, at time.Time) string {
	t.Helper()
	var buf bytes.Buffer
	log := slog.New(slog.NewJSONHandler(&buf, &slog.HandlerOptions{
		ReplaceAttr: func(groups []string, a slog.Attr) slog.Attr {
			if a.Key == slog.TimeKey && len(groups) == 0 {
				return slog.Attr{}
			}
			return a
		},
	}))
	attrs := append([]slog.Attr{
		slog.String("route", r.Route),
		slog.Int("status", r.Status),
		slog.Float64(metrics.DurationMS, metrics.DurationMillis(r.Duration)),
		slog.Int64(metrics.DDBRequests, r.DDBRequests),
	}, e.Attrs(r, at)...)
	log.LogAttrs(context.Background(), slog.LevelInfo, "request", attrs...)
	return strings.TrimSpace(buf.String())
}

// The exact EMF records: per-route metrics for a matched route, no dimension for an
// unmatched one, the write directive on writes only, nothing when off.
func TestEMFLines(t *testing.T) {
	at := time.UnixMilli(1764600000123)
	const perRoute = `{"Dimensions":[["route"]],"Metrics":[{"Name":"requests","Unit":"Count"},{"Name":"duration_ms","Unit":"Milliseconds"},{"Name":"ddb_requests","Unit":"Count"},{"Name":"status_4xx","Unit":"Count"},{"Name":"status_5xx","Unit":"Count"}],"Namespace":"Persons/test"}`
	const unmatched = `{"Dimensions":[[]],"Metrics":[{"Name":"requests","Unit":"Count"},{"Name":"duration_ms","Unit":"Milliseconds"},{"Name":"ddb_requests","Unit":"Count"},{"Name":"status_4xx","Unit":"Count"},{"Name":"status_5xx","Unit":"Count"}],"Namespace":"Persons/test"}`
	const writes = `{"Dimensions":[[]],"Metrics":[{"Name":"conflicts","Unit":"Count"},{"Name":"precondition_failed","Unit":"Count"},{"Name":"retries","Unit":"Count"},{"Name":"replays","Unit":"Count"}],"Namespace":"Persons/test"}`
	on := metrics.EMF{Namespace: "Persons/test"}
	cases := []struct {
		name string
		emf  metrics.EMF
		req  metrics.Request
		want string
	}{
		{"read", on,
			metrics.Request{Method: "GET", Route: "GET /persons/{personId}", Status: 200, Duration: 12345 * time.Microsecond, DDBRequests: 1},
			`{"level":"INFO","msg":"request","route":"GET /persons/{personId}","status":200,"duration_ms":12.345,"ddb_requests":1,"requests":1,"status_4xx":0,"status_5xx":0,"_aws":{"CloudWatchMetrics":[` + perRoute + `],"Timestamp":1764600000123}}`},
		{"read 5xx", on,
			metrics.Request{Method: "GET", Route: "GET /persons", Status: 503, Duration: time.Millisecond, DDBRequests: 3},
			`{"level":"INFO","msg":"request","route":"GET /persons","status":503,"duration_ms":1,"ddb_requests":3,"requests":1,"status_4xx":0,"status_5xx":1,"_aws":{"CloudWatchMetrics":[` + perRoute + `],"Timestamp":1764600000123}}`},
		{"unmatched 404", on,
			metrics.Request{Method: "GET", Status: 404, Duration: time.Millisecond},
			`{"level":"INFO","msg":"request","route":"","status":404,"duration_ms":1,"ddb_requests":0,"requests":1,"status_4xx":1,"status_5xx":0,"_aws":{"CloudWatchMetrics":[` + unmatched + `],"Timestamp":1764600000123}}`},
		{"write 412 with retries", on,
			metrics.Request{Method: "PATCH", Route: "PATCH /persons/{personId}", Status: 412, Duration: time.Millisecond, DDBRequests: 2, Retries: 2},
			`{"level":"INFO","msg":"request","route":"PATCH /persons/{personId}","status":412,"duration_ms":1,"ddb_requests":2,"requests":1,"status_4xx":1,"status_5xx":0,"conflicts":0,"precondition_failed":1,"retries":2,"replays":0,"_aws":{"CloudWatchMetrics":[` + perRoute + `,` + writes + `],"Timestamp":1764600000123}}`},
		{"write 409", on,
			metrics.Request{Method: "POST", Route: "POST /persons", Status: 409, Duration: time.Millisecond, DDBRequests: 2},
			`{"level":"INFO","msg":"request","route":"POST /persons","status":409,"duration_ms":1,"ddb_requests":2,"requests":1,"status_4xx":1,"status_5xx":0,"conflicts":1,"precondition_failed":0,"retries":0,"replays":0,"_aws":{"CloudWatchMetrics":[` + perRoute + `,` + writes + `],"Timestamp":1764600000123}}`},
		{"replayed create", on,
			metrics.Request{Method: "POST", Route: "POST /persons", Status: 201, Duration: time.Millisecond, DDBRequests: 2, Replays: 1},
			`{"level":"INFO","msg":"request","route":"POST /persons","status":201,"duration_ms":1,"ddb_requests":2,"requests":1,"status_4xx":0,"status_5xx":0,"conflicts":0,"precondition_failed":0,"retries":0,"replays":1,"_aws":{"CloudWatchMetrics":[` + perRoute + `,` + writes + `],"Timestamp":1764600000123}}`},
		{"off", metrics.EMF{},
			metrics.Request{Method: "POST", Route: "POST /persons", Status: 201, Duration: time.Millisecond, DDBRequests: 2},
			`{"level":"INFO","msg":"request","route":"POST /persons","status":201,"duration_ms":1,"ddb_requests":2}`},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got := line(t, c.emf, c.req, at)
			if got != c.want {
				t.Errorf("line\n got %s\nwant %s", got, c.want)
			}
			if c.emf.Namespace != "" {
				checkEMF(t, got)
			}
		})
	}
}

// checkEMF checks the rules CloudWatch applies to an EMF record (it drops a record
// that breaks them, silently): every metric and dimension named in a directive is a
// top-level member, metrics are numbers, dimensions non-empty strings, at most 30
// dimensions per set and 100 metrics per directive.
func checkEMF(t *testing.T, line string) {
	t.Helper()
	var rec map[string]any
	if err := json.Unmarshal([]byte(line), &rec); err != nil {
		t.Fatal(err)
	}
	var aws struct {
		Timestamp         int64
		CloudWatchMetrics []struct {
			Namespace  string
			Dimensions [][]string
			Metrics    []struct{ Name, Unit string }
		}
	}
	raw, _ := json.Marshal(rec["_aws"])
	if err := json.Unmarshal(raw, &aws); err != nil || aws.Timestamp == 0 || len(aws.CloudWatchMetrics) == 0 {
		t.Fatalf("_aws %s: %v", raw, err)
	}
	for _, d := range aws.CloudWatchMetrics {
		if d.Namespace == "" || len(d.Metrics) > 100 {
			t.Errorf("directive %+v", d)
		}
		for _, m := range d.Metrics {
			if _, ok := rec[m.Name].(float64); !ok {
				t.Errorf("metric %s: member %v is not a number", m.Name, rec[m.Name])
			}
		}
		for _, set := range d.Dimensions {
			if len(set) > 30 {
				t.Errorf("dimension set %v", set)
			}
			for _, dim := range set {
				if v, ok := rec[dim].(string); !ok || v == "" {
					t.Errorf("dimension %s: member %q is not a non-empty string", dim, rec[dim])
				}
			}
		}
	}
}

// Retry and Replay count into the request's Counts, and are no-ops without one.
func TestCounts(t *testing.T) {
	metrics.Retry(context.Background()) // no Counts: nothing to count into, no panic
	ctx, c := metrics.WithCounts(context.Background())
	metrics.Retry(ctx)
	metrics.Retry(ctx)
	metrics.Replay(ctx)
	if c.Retries() != 2 || c.Replays() != 1 {
		t.Errorf("retries %d replays %d, want 2 and 1", c.Retries(), c.Replays())
	}
}

func TestIsWrite(t *testing.T) {
	for m, want := range map[string]bool{"GET": false, "HEAD": false, "OPTIONS": false, "POST": true, "PUT": true, "PATCH": true, "DELETE": true} {
		if metrics.IsWrite(m) != want {
			t.Errorf("IsWrite(%s) = %v", m, !want)
		}
	}
}
