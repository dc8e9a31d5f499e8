package metrics_test

import (
	"context"
	"io"
	"log/slog"
	"testing"
	"time"

	"github.com/personsapi/persons/pkg/metrics"
)

// The cost of the metrics on the request path: an access line with and without EMF
// (go test -bench AccessLine ./pkg/metrics/).
func BenchmarkAccessLine(b *testing.B) {
	log := slog.New(slog.NewJSONHandler(io.Discard, nil))
	r := metrics.Request{Method: "PATCH", Route: "PATCH /persons/{personId}", Status: 200, Duration: 3 * time.Millisecond, DDBRequests: 2, Retries: 1}
	for _, tc := range []struct {
		name string
		emf  metrics.EMF
	}{{"plain", metrics.EMF{}}, {"emf", metrics.EMF{Namespace: "Persons/prod"}}} {
		b.Run(tc.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				attrs := append([]slog.Attr{
					slog.String("method", r.Method), slog.String("route", r.Route), slog.String("path", "/persons/x"),
					slog.Int("status", r.Status), slog.Float64(metrics.DurationMS, metrics.DurationMillis(r.Duration)),
					slog.Int64(metrics.DDBRequests, r.DDBRequests), slog.String("request_id", "id"), slog.String("trace_id", "t"),
				}, tc.emf.Attrs(r, time.Now())...)
				log.LogAttrs(context.Background(), slog.LevelInfo, "request", attrs...)
			}
		})
	}
}
