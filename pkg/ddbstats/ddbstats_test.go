package ddbstats_test

import (
	"context"
	"errors"
	"os"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

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

// The counter sums the capacity units DynamoDB reports, asking for them on a copy of the
// input: the caller's input still asks for nothing.
func TestCountingCapacityUnits(t *testing.T) {
	db, table := ddbtest.NewTable(t, ddbstats.Counting)
	item := map[string]types.AttributeValue{
		"pk": &types.AttributeValueMemberS{Value: "PERSON#1"},
		"sk": &types.AttributeValueMemberS{Value: "PROFILE"},
	}
	key := func() map[string]types.AttributeValue { return item }
	tests := []struct {
		name        string
		read, write float64
		op          func(ctx context.Context) error
	}{
		{"PutItem (under 1 KB)", 0, 1, func(ctx context.Context) error {
			in := &dynamodb.PutItemInput{TableName: &table, Item: item}
			_, err := db.PutItem(ctx, in)
			if in.ReturnConsumedCapacity != "" {
				t.Errorf("the caller's input was changed: %q", in.ReturnConsumedCapacity)
			}
			return err
		}},
		{"GetItem, strongly consistent", 1, 0, func(ctx context.Context) error {
			_, err := db.GetItem(ctx, &dynamodb.GetItemInput{TableName: &table, Key: key(), ConsistentRead: aws.Bool(true)})
			return err
		}},
		{"GetItem, eventually consistent", 0.5, 0, func(ctx context.Context) error {
			_, err := db.GetItem(ctx, &dynamodb.GetItemInput{TableName: &table, Key: key()})
			return err
		}},
		{"BatchWriteItem, 1 delete", 0, 1, func(ctx context.Context) error {
			_, err := db.BatchWriteItem(ctx, &dynamodb.BatchWriteItemInput{RequestItems: map[string][]types.WriteRequest{
				table: {{DeleteRequest: &types.DeleteRequest{Key: key()}}},
			}})
			return err
		}},
	}
	outer, oc := ddbstats.WithCounter(context.Background())
	var read, write float64
	for _, tt := range tests {
		ctx, c := ddbstats.WithCounter(outer)
		if err := tt.op(ctx); err != nil {
			t.Fatalf("%s: %v", tt.name, err)
		}
		if c.ReadUnits() != tt.read || c.WriteUnits() != tt.write {
			t.Errorf("%s: %.1f RCU %.1f WCU, want %.1f and %.1f", tt.name, c.ReadUnits(), c.WriteUnits(), tt.read, tt.write)
		}
		read, write = read+tt.read, write+tt.write
	}
	// A write refused by its condition: counted as a request, with no units (DynamoDB's
	// error carries none).
	ctx, c := ddbstats.WithCounter(outer)
	_, err := db.PutItem(ctx, &dynamodb.PutItemInput{TableName: &table, Item: item, ConditionExpression: aws.String("attribute_exists(pk)")})
	var ccf *types.ConditionalCheckFailedException
	if !errors.As(err, &ccf) || c.Load() != 1 || c.ReadUnits() != 0 || c.WriteUnits() != 0 {
		t.Errorf("refused write: %v, %d requests %.1f RCU %.1f WCU; want a failed condition, 1 request, no units", err, c.Load(), c.ReadUnits(), c.WriteUnits())
	}
	if oc.ReadUnits() != read || oc.WriteUnits() != write {
		t.Errorf("outer counter: %.1f RCU %.1f WCU, want %.1f and %.1f", oc.ReadUnits(), oc.WriteUnits(), read, write)
	}
}
