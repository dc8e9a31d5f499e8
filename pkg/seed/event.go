package seed

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"log/slog"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/personsapi/persons/pkg/input"
)

// Limits and defaults of the seed Lambda's event.
const (
	DefaultCount = 50
	MaxCount     = 10_000
)

// Event is the seed Lambda's event, {"count": 50, "clear": false, "seed": 12345}; every
// field is optional.
type Event struct {
	Count *int   `json:"count"`
	Clear *bool  `json:"clear"`
	Seed  *int64 `json:"seed"`
}

// ParseEvent decodes a seed event strictly (unknown fields, wrong types and counts
// outside 1–10,000 are errors naming the field) and returns the run options with the
// defaults filled in. An empty payload is the empty event.
func ParseEvent(payload []byte) (Options, error) {
	o := Options{Count: DefaultCount, Seed: DefaultSeed}
	if p := bytes.TrimSpace(payload); len(p) == 0 || bytes.Equal(p, []byte("null")) {
		return o, nil
	}
	var e Event
	if err := input.Decode(payload, &e); err != nil {
		return Options{}, fmt.Errorf("invalid seed event: %w", err)
	}
	if e.Count != nil {
		if *e.Count < 1 || *e.Count > MaxCount {
			return Options{}, fmt.Errorf("invalid seed event: %w", input.FieldErr("count", fmt.Sprintf("must be between 1 and %d", MaxCount)))
		}
		o.Count = *e.Count
	}
	if e.Clear != nil {
		o.Clear = *e.Clear
	}
	if e.Seed != nil {
		o.Seed = *e.Seed
	}
	return o, nil
}

// Handler returns the seed Lambda's handler: it parses the event, runs the seeder on
// table and returns the statistics. A bad event fails before anything is written.
func Handler(db *dynamodb.Client, table string) func(context.Context, json.RawMessage) (Stats, error) {
	return func(ctx context.Context, payload json.RawMessage) (Stats, error) {
		o, err := ParseEvent(payload)
		if err != nil {
			return Stats{}, err
		}
		st, err := Run(ctx, db, table, o)
		if err != nil {
			return st, err
		}
		slog.InfoContext(ctx, "seeded", "table", table, "count", o.Count, "seed", o.Seed, "clear", o.Clear,
			"persons", st.Persons, "items", st.Items, "deleted", st.Deleted,
			"requests", st.Requests, "retries", st.Retries, "durationMs", st.Duration.Milliseconds())
		return st, nil
	}
}
