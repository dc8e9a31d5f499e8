// Package metrics turns the API's access log line into a CloudWatch Embedded Metric
// Format (EMF) record: CloudWatch Logs extracts the metrics from the line itself, so a
// request costs no metrics API call and no extra line, only a few more JSON members.
//
// One access line carries, besides its log fields:
//
//	"_aws": {"Timestamp": <ms>, "CloudWatchMetrics": [
//	  {"Namespace": ns, "Dimensions": [["route"]], "Metrics": [
//	    requests (Count), duration_ms (Milliseconds), ddb_requests (Count),
//	    status_4xx (Count), status_5xx (Count)]},
//	  {"Namespace": ns, "Dimensions": [[]], "Metrics": [            (writes only)
//	    conflicts (Count), precondition_failed (Count), retries (Count), replays (Count)]}]}
//
// Per route (the "route" member, the ServeMux pattern such as "GET /persons/{personId}"):
// the request count, its latency, its DynamoDB requests and its status class (1 when
// the status is 4xx / 5xx, else 0, so Average is the rate and Sum the count). A request
// that matched no route (404, 405) has no route: its directive has no dimension. Per
// write (POST, PUT, PATCH, DELETE), service-wide: 409s, 412s, the store's retried
// attempts under contention and the creates answered as idempotent replays.
//
// The metric names are the access line's own members, so the line states each value
// once and Logs Insights queries use the same names as the metrics.
package metrics

import (
	"context"
	"encoding/json"
	"log/slog"
	"net/http"
	"strconv"
	"sync"
	"sync/atomic"
	"time"
)

// DefaultNamespace is the CloudWatch namespace when none is configured; the stack sets
// "Persons/<stage>" so that stages sharing an account keep their metrics apart.
const DefaultNamespace = "Persons"

// The members of the access line that are metrics (and their CloudWatch names).
const (
	Requests           = "requests"
	DurationMS         = "duration_ms"
	DDBRequests        = "ddb_requests"
	Status4xx          = "status_4xx"
	Status5xx          = "status_5xx"
	Conflicts          = "conflicts"
	PreconditionFailed = "precondition_failed"
	Retries            = "retries"
	Replays            = "replays"
	// RouteDimension is the dimension of the per-route metrics: the access line's route.
	RouteDimension = "route"
)

// Counts is what one request's store calls did that its status does not tell: write
// attempts retried under contention and creates answered as idempotent replays. It is
// safe for concurrent use.
type Counts struct {
	retries, replays atomic.Int64
}

type countsKey struct{}

// WithCounts returns a context whose store calls count into the returned Counts.
func WithCounts(ctx context.Context) (context.Context, *Counts) {
	c := &Counts{}
	return context.WithValue(ctx, countsKey{}, c), c
}

// Retry counts one retried write attempt of the request served with ctx (none if ctx
// carries no Counts: the store is used outside the API, by the seed or a test).
func Retry(ctx context.Context) {
	if c, _ := ctx.Value(countsKey{}).(*Counts); c != nil {
		c.retries.Add(1)
	}
}

// Replay counts a create of the request served with ctx that was answered as an
// idempotent replay of an earlier one.
func Replay(ctx context.Context) {
	if c, _ := ctx.Value(countsKey{}).(*Counts); c != nil {
		c.replays.Add(1)
	}
}

// Retries is the number of retried attempts counted so far.
func (c *Counts) Retries() int64 { return c.retries.Load() }

// Replays is the number of replayed creates counted so far.
func (c *Counts) Replays() int64 { return c.replays.Load() }

// Request is one served request, as the access line reports it.
type Request struct {
	Method      string
	Route       string // "" when no route matched
	Status      int
	Duration    time.Duration
	DDBRequests int64
	Retries     int64
	Replays     int64
}

// EMF writes the metrics of access lines into one namespace. The zero value is off:
// Attrs then returns the log fields without metrics.
type EMF struct {
	Namespace string
}

// IsWrite reports whether requests of method count as writes.
func IsWrite(method string) bool {
	switch method {
	case http.MethodPost, http.MethodPut, http.MethodPatch, http.MethodDelete:
		return true
	}
	return false
}

// DurationMillis is a duration as the access line writes it: milliseconds with
// microsecond precision.
func DurationMillis(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }

// Attrs are the metric members and the "_aws" directive for r, to append to the access
// line that already carries r's route, duration_ms and ddb_requests; at is the metrics'
// timestamp (the end of the request). Nil when e is off.
func (e EMF) Attrs(r Request, at time.Time) []slog.Attr {
	if e.Namespace == "" {
		return nil
	}
	attrs := []slog.Attr{
		slog.Int(Requests, 1),
		slog.Int(Status4xx, b2i(r.Status >= 400 && r.Status < 500)),
		slog.Int(Status5xx, b2i(r.Status >= 500)),
	}
	write := IsWrite(r.Method)
	if write {
		attrs = append(attrs,
			slog.Int(Conflicts, b2i(r.Status == http.StatusConflict)),
			slog.Int(PreconditionFailed, b2i(r.Status == http.StatusPreconditionFailed)),
			slog.Int64(Retries, r.Retries),
			slog.Int64(Replays, r.Replays),
		)
	}
	// The directives only vary with the namespace, the route dimension and the write
	// directive: encoded once, so a line costs a few appends instead of reflection over
	// nested maps (BenchmarkAccessLine).
	b := append([]byte(`{"CloudWatchMetrics":`), e.directives(r.Route != "", write)...)
	b = append(b, `,"Timestamp":`...)
	b = strconv.AppendInt(b, at.UnixMilli(), 10)
	b = append(b, '}')
	return append(attrs, slog.Any("_aws", json.RawMessage(b)))
}

type directivesKey struct {
	namespace    string
	route, write bool
}

// encoded holds the JSON of the directives per directivesKey.
var encoded sync.Map

// directives is the JSON array of the EMF directives of a line.
func (e EMF) directives(route, write bool) []byte {
	key := directivesKey{e.Namespace, route, write}
	if b, ok := encoded.Load(key); ok {
		return b.([]byte)
	}
	dims := []any{[]string{RouteDimension}}
	if !route {
		dims = []any{[]string{}}
	}
	ds := []any{map[string]any{
		"Namespace":  e.Namespace,
		"Dimensions": dims,
		"Metrics": []metric{
			{Requests, "Count"}, {DurationMS, "Milliseconds"}, {DDBRequests, "Count"},
			{Status4xx, "Count"}, {Status5xx, "Count"},
		},
	}}
	if write {
		ds = append(ds, map[string]any{
			"Namespace":  e.Namespace,
			"Dimensions": []any{[]string{}},
			"Metrics": []metric{
				{Conflicts, "Count"}, {PreconditionFailed, "Count"}, {Retries, "Count"}, {Replays, "Count"},
			},
		})
	}
	b, err := json.Marshal(ds)
	if err != nil {
		panic(err) // strings and slices of them: cannot fail
	}
	encoded.Store(key, b)
	return b
}

// metric is one entry of a directive's Metrics.
type metric struct {
	Name string `json:"Name"`
	Unit string `json:"Unit"`
}

func b2i(b bool) int {
	if b {
		return 1
	}
	return 0
}
