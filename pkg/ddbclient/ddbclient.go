// Package ddbclient builds the DynamoDB client every process of the persons service
// uses: the default AWS configuration with request counting (package ddbstats). It
// depends on neither the HTTP API nor the Lambda runtime, so the seed function and the
// tools that only talk to DynamoDB link none of them.
package ddbclient

import (
	"context"
	"errors"
	"fmt"
	"os"

	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"

	"github.com/personsapi/persons/pkg/ddbstats"
	"github.com/personsapi/persons/pkg/deploy"
)

// New builds the client from the default AWS configuration (environment, shared
// config, the Lambda role), counting requests for the access log and the seed
// statistics. deploy.EnvDynamoDBEndpoint points it at DynamoDB Local.
func New(ctx context.Context) (*dynamodb.Client, error) {
	cfg, err := config.LoadDefaultConfig(ctx)
	if err != nil {
		return nil, fmt.Errorf("load AWS config: %w", err)
	}
	return dynamodb.NewFromConfig(cfg, ddbstats.Counting), nil
}

// FromEnv returns a client (New) and the table named by deploy.EnvTableName: what a
// Lambda function builds once at init. Without the table name it fails with an error
// that says so, before it loads any configuration.
func FromEnv(ctx context.Context) (db *dynamodb.Client, table string, err error) {
	table = os.Getenv(deploy.EnvTableName)
	if table == "" {
		return nil, "", errors.New(deploy.EnvTableName + " is not set: it must name the DynamoDB table")
	}
	db, err = New(ctx)
	if err != nil {
		return nil, "", err
	}
	return db, table, nil
}
