package reqlog_test

import (
	"bytes"
	"context"
	"encoding/json"
	"log/slog"
	"strings"
	"testing"

	"github.com/personsapi/persons/pkg/reqlog"
)

func TestHandler(t *testing.T) {
	var buf bytes.Buffer
	log := slog.New(reqlog.Handler(reqlog.Handler(slog.NewJSONHandler(&buf, nil)))).With("fn", "seed")
	ctx := reqlog.With(context.Background(), "req-1", "1-5759e988-bd862e3fe1be46a994272793")
	for _, tc := range []struct {
		log  func()
		want map[string]any // nil: no ids
	}{
		{func() { log.InfoContext(ctx, "batch written", "items", 25) }, map[string]any{"request_id": "req-1", "trace_id": "1-5759e988-bd862e3fe1be46a994272793", "fn": "seed", "items": 25.0}},
		{func() { log.WarnContext(ctx, "own", "request_id", "mine") }, map[string]any{"request_id": "mine"}},
		{func() { log.InfoContext(context.Background(), "startup") }, nil},
		{func() { log.Info("no context") }, nil},
	} {
		buf.Reset()
		tc.log()
		line := buf.String()
		var m map[string]any
		if err := json.Unmarshal([]byte(line), &m); err != nil {
			t.Fatal(err)
		}
		if tc.want == nil {
			if strings.Contains(line, "request_id") || strings.Contains(line, "trace_id") {
				t.Errorf("line outside a request names one: %s", line)
			}
			continue
		}
		for k, v := range tc.want {
			if m[k] != v {
				t.Errorf("%s: %s = %v, want %v", line, k, m[k], v)
			}
		}
		if strings.Count(line, `"request_id"`) != 1 {
			t.Errorf("request_id not exactly once: %s", line)
		}
	}
}
