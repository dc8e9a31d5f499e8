package ddbstats_test

import (
	"context"
	"os"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"

	"github.com/personsapi/persons/pkg/ddbstats"
	"github.com/personsapi/persons/pkg/ddbtest"
)

func TestMain(m *testing.M) { os.Exit(ddbtest.Main(m)) }

func TestCountingNestedCounters(t *testing.T) {
	db := ddbtest.Client(t, ddbstats.Counting)
	list := func(ctx context.Context) {
		if _, err := db.ListTables(ctx, &dynamodb.ListTablesInput{Limit: aws.Int32(1)}); err != nil {
			t.Fatal(err)
		}
	}
	if ddbstats.FromContext(context.Background()) != nil {
		t.Fatal("counter in a bare context")
	}
	list(context.Background()) // counted nowhere, and no panic

	outer, oc := ddbstats.WithCounter(context.Background())
	list(outer)
	inner, ic := ddbstats.WithCounter(outer)
	if ddbstats.FromContext(inner) != ic {
		t.Fatal("FromContext does not return the innermost counter")
	}
	list(inner)
	list(inner)
	if oc.Load() != 3 || ic.Load() != 2 {
		t.Fatalf("outer=%d inner=%d, want 3 and 2", oc.Load(), ic.Load())
	}

	// A client without the option counts nothing.
	plain := ddbtest.Client(t)
	if _, err := plain.ListTables(inner, &dynamodb.ListTablesInput{}); err != nil {
		t.Fatal(err)
	}
	if ic.Load() != 2 {
		t.Fatalf("uninstrumented client counted: %d", ic.Load())
	}
}
