// Command seedprofiles writes the PROFILE items of generated persons (pkg/seed's persons,
// without their related items) into a table, fast: the TanStack DB client tests
// (clients/tanstack-db) use it to load 10,000 persons in a few seconds, where the full seed
// (~10.5 items per person) takes ten times as long. The table is created if missing.
//
//	go run ./scripts/seedprofiles -endpoint http://127.0.0.1:8000 -table persons -count 10000
package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"golang.org/x/sync/errgroup"

	"github.com/personsapi/persons/pkg/backoff"
	"github.com/personsapi/persons/pkg/ddblocal"
	"github.com/personsapi/persons/pkg/persons"
	"github.com/personsapi/persons/pkg/seed"
)

func main() {
	endpoint := flag.String("endpoint", os.Getenv("AWS_ENDPOINT_URL_DYNAMODB"), "DynamoDB (Local) URL")
	table := flag.String("table", "persons", "table")
	count := flag.Int("count", 10000, "persons to write")
	seedValue := flag.Int64("seed", seed.DefaultSeed, "random seed of the generated persons")
	flag.Parse()
	if err := run(context.Background(), *endpoint, *table, *count, *seedValue); err != nil {
		fmt.Fprintln(os.Stderr, "seedprofiles:", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, endpoint, table string, count int, seedValue int64) error {
	if endpoint == "" {
		return fmt.Errorf("-endpoint (or AWS_ENDPOINT_URL_DYNAMODB) is required")
	}
	start := time.Now()
	db := ddblocal.Client(endpoint)
	if _, err := persons.CreateTable(ctx, db, table); err != nil {
		return err
	}
	batches := make(chan []types.WriteRequest)
	g, ctx := errgroup.WithContext(ctx)
	g.Go(func() error {
		defer close(batches)
		var batch []types.WriteRequest
		for i := range count {
			p := seed.Person(seedValue, i)
			items, err := persons.Items(persons.PersonDetails{Person: p.Person})
			if err != nil {
				return err
			}
			batch = append(batch, types.WriteRequest{PutRequest: &types.PutRequest{Item: items[0]}})
			if len(batch) == 25 || i == count-1 {
				select {
				case batches <- batch:
				case <-ctx.Done():
					return ctx.Err()
				}
				batch = nil
			}
		}
		return nil
	})
	for range 8 {
		g.Go(func() error {
			for batch := range batches {
				if err := write(ctx, db, table, batch); err != nil {
					return err
				}
			}
			return nil
		})
	}
	if err := g.Wait(); err != nil {
		return err
	}
	return json.NewEncoder(os.Stdout).Encode(map[string]any{
		"persons": count, "durationMs": time.Since(start).Milliseconds(),
	})
}

// write sends one batch until DynamoDB has processed all of it.
func write(ctx context.Context, db *dynamodb.Client, table string, batch []types.WriteRequest) error {
	policy := backoff.Policy{Base: 20 * time.Millisecond, Max: 2 * time.Second}
	for attempt := 1; len(batch) > 0; attempt++ {
		out, err := db.BatchWriteItem(ctx, &dynamodb.BatchWriteItemInput{
			RequestItems: map[string][]types.WriteRequest{table: batch},
		})
		if err != nil {
			return err
		}
		if batch = out.UnprocessedItems[table]; len(batch) > 0 {
			if err := backoff.Sleep(ctx, policy.Delay(attempt)); err != nil {
				return err
			}
		}
	}
	return nil
}
