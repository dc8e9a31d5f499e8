package changes_test

import (
	"context"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"

	"github.com/personsapi/persons/pkg/changes"
	"github.com/personsapi/persons/pkg/ddblocal"
	"github.com/personsapi/persons/pkg/ddbstats"
	"github.com/personsapi/persons/pkg/ddbtest"
	"github.com/personsapi/persons/pkg/seed"
)

// BenchmarkFeed seeds persons (about 10.5 items each) into a table with a stream, reads
// the stream once into Lambda events, then measures the processor (records/s, DynamoDB
// requests per record) and the feed read (entries/s, pages of 1000) on DynamoDB Local.
//
//	go test ./pkg/changes/ -run '^$' -bench Feed -benchtime 1x
func BenchmarkFeed(b *testing.B) {
	ctx := context.Background()
	db, table := ddbtest.NewTable(b, ddbstats.Counting)
	if _, err := seed.Run(ctx, db, table, seed.Options{Count: 200, Seed: 1}); err != nil {
		b.Fatal(err)
	}
	arn, err := changes.StreamARN(ctx, db, table)
	if err != nil {
		b.Fatal(err)
	}
	var evs []events.DynamoDBEvent
	records := 0
	p := &changes.Poller{
		Streams: ddblocal.StreamsClient(ddbtest.Endpoint(b)), StreamARN: arn, BatchSize: 100,
		Handler: func(_ context.Context, ev events.DynamoDBEvent) (events.DynamoDBEventResponse, error) {
			evs = append(evs, ev)
			records += len(ev.Records)
			return events.DynamoDBEventResponse{}, nil
		},
	}
	for {
		n, err := p.Once(ctx)
		if err != nil {
			b.Fatal(err)
		}
		if n == 0 {
			break
		}
	}
	proc := &changes.Log{DB: db, Table: table}
	b.Run("process", func(b *testing.B) {
		for b.Loop() {
			sctx, stats := ddbstats.WithCounter(ctx)
			start := time.Now()
			for _, ev := range evs {
				resp, err := proc.Handle(sctx, ev)
				if err != nil || len(resp.BatchItemFailures) > 0 {
					b.Fatal(err, resp)
				}
			}
			b.ReportMetric(float64(records)/time.Since(start).Seconds(), "records/s")
			b.ReportMetric(float64(stats.Load())/float64(records), "requests/record")
		}
	})
	reader := &changes.Log{DB: db, Table: table, Now: func() time.Time { return time.Now().Add(time.Minute) }}
	b.Run("read", func(b *testing.B) {
		for b.Loop() {
			start := time.Now()
			cursor, n := changes.EncodeCursorAt(time.Now().Add(-time.Hour)), 0
			for {
				page, err := reader.Read(ctx, changes.ReadOptions{Cursor: cursor, Limit: 1000})
				if err != nil {
					b.Fatal(err)
				}
				n += len(page.Items)
				if len(page.Items) == 0 {
					break
				}
				cursor = page.NextCursor
			}
			b.ReportMetric(float64(n)/time.Since(start).Seconds(), "entries/s")
			b.ReportMetric(float64(n), "entries")
		}
	})
}
