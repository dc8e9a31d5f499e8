package lambdaapp

import (
	"context"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb"

	"github.com/personsapi/persons/pkg/ddbclient"
	"github.com/personsapi/persons/pkg/deploy"
)

// What scripts/serve still takes from here. It moves to packages deploy and ddbclient
// when the branches meet; delete this file then.
const (
	TableEnv = deploy.EnvTableName
	CORSEnv  = deploy.EnvCORSOrigins
)

// NewClient is ddbclient.New.
func NewClient(ctx context.Context) (*dynamodb.Client, error) { return ddbclient.New(ctx) }
