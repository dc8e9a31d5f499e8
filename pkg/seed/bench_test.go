package seed

import (
	"context"
	"fmt"
	"os"
	"testing"
	"text/tabwriter"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/personsapi/persons/pkg/ddbstats"
	"github.com/personsapi/persons/pkg/ddbtest"
	"github.com/personsapi/persons/pkg/persons"
)

// putOneByOne is the seeder the batch writer replaced (the one of the TypeScript
// service this one was ported from), reimplemented as the baseline: one
// PutItem per item, persons in groups of 10, 100 ms of sleep between groups.
func putOneByOne(ctx context.Context, db *dynamodb.Client, table string, people [][]map[string]types.AttributeValue) error {
	for i, items := range people {
		if i > 0 && i%10 == 0 {
			time.Sleep(100 * time.Millisecond)
		}
		for _, item := range items {
			if _, err := db.PutItem(ctx, &dynamodb.PutItemInput{TableName: aws.String(table), Item: item}); err != nil {
				return err
			}
		}
	}
	return nil
}

// BenchmarkSeed seeds the same 1,000 persons (about 10.5k items) twice against DynamoDB
// Local, into two empty tables: with the baseline and with the batch writer. It reports
// the requests and wall time of each and the ratios (baseline / batch). Run it with
// `make bench-seed`; the baseline alone takes about 15 s.
func BenchmarkSeed(b *testing.B) {
	const n = 1000
	const seed = 2024
	people := make([][]map[string]types.AttributeValue, n)
	total := 0
	for i := range people {
		items, err := persons.Items(Person(seed, i))
		if err != nil {
			b.Fatal(err)
		}
		people[i] = items
		total += len(items)
	}

	var baseReq, batchReq int64
	var baseWCU, batchWCU float64
	var baseTime, batchTime time.Duration
	for i := 0; i < b.N; i++ {
		b.StopTimer()
		db, baseTable := ddbtest.NewTable(b, ddbstats.Counting)
		_, batchTable := ddbtest.NewTable(b)
		b.StartTimer()

		ctx, c := ddbstats.WithCounter(context.Background())
		start := time.Now()
		if err := putOneByOne(ctx, db, baseTable, people); err != nil {
			b.Fatal(err)
		}
		baseTime += time.Since(start)
		baseReq += c.Load()
		baseWCU += c.WriteUnits()

		ctx, c = ddbstats.WithCounter(context.Background())
		start = time.Now()
		st, err := Run(ctx, db, batchTable, Options{Count: n, Seed: seed})
		if err != nil {
			b.Fatal(err)
		}
		batchTime += time.Since(start)
		batchReq += c.Load()
		batchWCU += c.WriteUnits()
		if st.Items != total || int64(st.Requests) != c.Load() {
			b.Fatalf("batch writer: %+v, want %d items and %d requests", st, total, c.Load())
		}
	}
	per := func(v float64) float64 { return v / float64(b.N) }
	b.ReportMetric(float64(total), "items")
	b.ReportMetric(per(float64(baseReq)), "baseline-requests")
	b.ReportMetric(per(float64(batchReq)), "batch-requests")
	b.ReportMetric(float64(baseReq)/float64(batchReq), "requests-ratio")
	b.ReportMetric(per(baseTime.Seconds()), "baseline-s")
	b.ReportMetric(per(batchTime.Seconds()), "batch-s")
	b.ReportMetric(baseTime.Seconds()/batchTime.Seconds(), "time-ratio")

	w := tabwriter.NewWriter(os.Stdout, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintf(w, "\nseed %d persons (%d items)\t\t\t\t\t\n", n, total)
	fmt.Fprintf(w, "\trequests\tWCU\ts\titems/s\t\n")
	fmt.Fprintf(w, "batch writer: BatchWriteItem, 25 items each\t%.0f\t%.0f\t%.2f\t%.0f\t\n",
		per(float64(batchReq)), per(batchWCU), per(batchTime.Seconds()), float64(total)/per(batchTime.Seconds()))
	fmt.Fprintf(w, "original: PutItem per item\t%.0f\t%.0f\t%.2f\t%.0f\t\n",
		per(float64(baseReq)), per(baseWCU), per(baseTime.Seconds()), float64(total)/per(baseTime.Seconds()))
	fmt.Fprintf(w, "ratio original/batch\t%.1f×\t%s\t%.1f×\t\t\n", float64(baseReq)/float64(batchReq), ratio(baseWCU, batchWCU), baseTime.Seconds()/batchTime.Seconds())
	w.Flush()
}
