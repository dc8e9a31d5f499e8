package changes

import (
	"context"
	"fmt"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/personsapi/persons/pkg/persons"
)

// StreamARN returns the ARN of the table's stream, enabling the stream first (as
// persons.Table defines it) on a table made before the feed existed, such as the data
// an older `make run` left on disk.
func StreamARN(ctx context.Context, db *dynamodb.Client, table string) (string, error) {
	for attempt := 0; ; attempt++ {
		out, err := db.DescribeTable(ctx, &dynamodb.DescribeTableInput{TableName: aws.String(table)})
		if err != nil {
			return "", fmt.Errorf("describe table %s: %w", table, err)
		}
		if arn := out.Table.LatestStreamArn; arn != nil && out.Table.StreamSpecification != nil && aws.ToBool(out.Table.StreamSpecification.StreamEnabled) {
			return *arn, nil
		}
		if attempt == 0 {
			_, err = db.UpdateTable(ctx, &dynamodb.UpdateTableInput{
				TableName:           aws.String(table),
				StreamSpecification: &types.StreamSpecification{StreamEnabled: aws.Bool(true), StreamViewType: persons.Table.StreamView},
			})
			if err != nil {
				return "", fmt.Errorf("enable the stream of %s: %w", table, err)
			}
		}
		if attempt == 50 {
			return "", fmt.Errorf("table %s: no stream after enabling it", table)
		}
		select {
		case <-ctx.Done():
			return "", ctx.Err()
		case <-time.After(100 * time.Millisecond):
		}
	}
}
