package persons_test

import (
	"context"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"

	"github.com/personsapi/persons/pkg/ddbtest"
	"github.com/personsapi/persons/pkg/persons"
)

func TestCreateTableMatchesDefinitionAndIsIdempotent(t *testing.T) {
	db := ddbtest.Client(t)
	ctx := context.Background()
	name := ddbtest.TableName(t)
	t.Cleanup(func() { _, _ = db.DeleteTable(ctx, &dynamodb.DeleteTableInput{TableName: aws.String(name)}) })
	for i, want := range []bool{true, false} {
		created, err := persons.CreateTable(ctx, db, name)
		if err != nil || created != want {
			t.Fatalf("CreateTable #%d = %v, %v; want %v", i+1, created, err, want)
		}
	}
	out, err := db.DescribeTable(ctx, &dynamodb.DescribeTableInput{TableName: aws.String(name)})
	if err != nil {
		t.Fatal(err)
	}
	d := out.Table
	if *d.KeySchema[0].AttributeName != persons.Table.PartitionKey || *d.KeySchema[1].AttributeName != persons.Table.SortKey {
		t.Errorf("key schema %v", d.KeySchema)
	}
	if len(d.GlobalSecondaryIndexes) != 1 || *d.GlobalSecondaryIndexes[0].IndexName != persons.GSI1 ||
		d.GlobalSecondaryIndexes[0].Projection.ProjectionType != persons.Table.GSIs[0].Projection ||
		*d.GlobalSecondaryIndexes[0].KeySchema[0].AttributeName != persons.AttrGSI1PK ||
		*d.GlobalSecondaryIndexes[0].KeySchema[1].AttributeName != persons.AttrGSI1SK {
		t.Errorf("GSIs %+v", d.GlobalSecondaryIndexes)
	}
	if d.BillingModeSummary == nil || d.BillingModeSummary.BillingMode != persons.Table.BillingMode {
		t.Errorf("billing %+v", d.BillingModeSummary)
	}
}
