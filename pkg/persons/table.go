package persons

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
)

// Attribute and index names of the single table. Everything that builds or reads
// keys (the store, the seed, the CDK stack, local setup) uses these names.
const (
	AttrPK     = "pk"
	AttrSK     = "sk"
	AttrGSI1PK = "gsi1pk"
	AttrGSI1SK = "gsi1sk"
	// AttrEntity is the discriminator every item carries ("Person", "Address", ...).
	AttrEntity = "entity"
	// AttrVersion is the optimistic-locking counter every item carries.
	AttrVersion = "version"
	// AttrTTL is the time-to-live attribute (epoch seconds) of the change log's entries.
	AttrTTL = "ttl"

	GSI1 = "GSI1"
)

// TableDef describes the persons table: its keys, its one global secondary index and its
// billing mode. It is the ONE definition of the table; CreateTableInput and the CDK stack
// derive from it.
type TableDef struct {
	PartitionKey string
	SortKey      string
	GSIs         []IndexDef
	// BillingMode is on-demand: traffic is spiky (seeding, front ends) and small.
	BillingMode types.BillingMode
	// StreamView is the table's DynamoDB stream: new and old images, so that the change
	// feed (pkg/changes) sees every write, whoever made it, and the key of every delete.
	StreamView types.StreamViewType
	// TTLAttribute is the table's time-to-live attribute (epoch seconds): the change
	// log's entries carry it; no entity item does.
	TTLAttribute string
}

// IndexDef is a global secondary index with string keys and projection ALL.
type IndexDef struct {
	Name         string
	PartitionKey string
	SortKey      string
	Projection   types.ProjectionType
}

// Table is the persons table definition. All key attributes are strings.
var Table = TableDef{
	PartitionKey: AttrPK,
	SortKey:      AttrSK,
	GSIs: []IndexDef{
		{Name: GSI1, PartitionKey: AttrGSI1PK, SortKey: AttrGSI1SK, Projection: types.ProjectionTypeAll},
	},
	BillingMode:  types.BillingModePayPerRequest,
	StreamView:   types.StreamViewTypeNewAndOldImages,
	TTLAttribute: AttrTTL,
}

// AttributeNames lists every key attribute of the table and its indexes, in a stable order.
func (d TableDef) AttributeNames() []string {
	names := []string{d.PartitionKey, d.SortKey}
	for _, g := range d.GSIs {
		names = append(names, g.PartitionKey, g.SortKey)
	}
	return names
}

// CreateTableInput returns the CreateTable request for a table called name.
func (d TableDef) CreateTableInput(name string) *dynamodb.CreateTableInput {
	in := &dynamodb.CreateTableInput{
		TableName:   aws.String(name),
		BillingMode: d.BillingMode,
		KeySchema: []types.KeySchemaElement{
			{AttributeName: aws.String(d.PartitionKey), KeyType: types.KeyTypeHash},
			{AttributeName: aws.String(d.SortKey), KeyType: types.KeyTypeRange},
		},
	}
	if d.StreamView != "" {
		in.StreamSpecification = &types.StreamSpecification{StreamEnabled: aws.Bool(true), StreamViewType: d.StreamView}
	}
	for _, n := range d.AttributeNames() {
		in.AttributeDefinitions = append(in.AttributeDefinitions, types.AttributeDefinition{
			AttributeName: aws.String(n), AttributeType: types.ScalarAttributeTypeS,
		})
	}
	for _, g := range d.GSIs {
		in.GlobalSecondaryIndexes = append(in.GlobalSecondaryIndexes, types.GlobalSecondaryIndex{
			IndexName: aws.String(g.Name),
			KeySchema: []types.KeySchemaElement{
				{AttributeName: aws.String(g.PartitionKey), KeyType: types.KeyTypeHash},
				{AttributeName: aws.String(g.SortKey), KeyType: types.KeyTypeRange},
			},
			Projection: &types.Projection{ProjectionType: g.Projection},
		})
	}
	return in
}

// CreateTable creates the table called name if it does not exist yet and waits until it
// is active. It reports whether it created the table.
func CreateTable(ctx context.Context, db *dynamodb.Client, name string) (created bool, err error) {
	// Describe first: the common case at start-up is an existing table, and DynamoDB
	// Local answers a CreateTable of an existing table with an error response that the
	// SDK logs a checksum warning about.
	_, err = db.DescribeTable(ctx, &dynamodb.DescribeTableInput{TableName: aws.String(name)})
	var notFound *types.ResourceNotFoundException
	switch {
	case err == nil:
	case errors.As(err, &notFound):
		_, err = db.CreateTable(ctx, Table.CreateTableInput(name))
		var inUse *types.ResourceInUseException
		switch {
		case errors.As(err, &inUse): // created concurrently
		case err != nil:
			return false, fmt.Errorf("create table %s: %w", name, err)
		default:
			created = true
		}
		if created && Table.TTLAttribute != "" {
			if err := enableTTL(ctx, db, name); err != nil {
				return created, err
			}
		}
	default:
		return false, fmt.Errorf("describe table %s: %w", name, err)
	}
	w := dynamodb.NewTableExistsWaiter(db, func(o *dynamodb.TableExistsWaiterOptions) {
		o.MinDelay = 100 * time.Millisecond
		o.MaxDelay = time.Second
	})
	if err := w.Wait(ctx, &dynamodb.DescribeTableInput{TableName: aws.String(name)}, 2*time.Minute); err != nil {
		return created, fmt.Errorf("wait for table %s: %w", name, err)
	}
	return created, nil
}

// enableTTL turns on the table's time to live on Table.TTLAttribute, once the table is
// active (UpdateTimeToLive needs that).
func enableTTL(ctx context.Context, db *dynamodb.Client, name string) error {
	w := dynamodb.NewTableExistsWaiter(db, func(o *dynamodb.TableExistsWaiterOptions) {
		o.MinDelay = 100 * time.Millisecond
		o.MaxDelay = time.Second
	})
	if err := w.Wait(ctx, &dynamodb.DescribeTableInput{TableName: aws.String(name)}, 2*time.Minute); err != nil {
		return fmt.Errorf("wait for table %s: %w", name, err)
	}
	_, err := db.UpdateTimeToLive(ctx, &dynamodb.UpdateTimeToLiveInput{
		TableName:               aws.String(name),
		TimeToLiveSpecification: &types.TimeToLiveSpecification{Enabled: aws.Bool(true), AttributeName: aws.String(Table.TTLAttribute)},
	})
	if err != nil {
		return fmt.Errorf("enable time to live on %s: %w", name, err)
	}
	return nil
}
