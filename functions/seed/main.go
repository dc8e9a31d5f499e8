// Command seed is the Lambda function that fills the persons table with generated data:
// event {"count": 50, "clear": false, "seed": 12345} (all optional), result the statistics.
package main

import (
	"context"
	"log/slog"
	"os"

	"github.com/aws/aws-lambda-go/lambda"

	"github.com/personsapi/persons/pkg/ddbclient"
	"github.com/personsapi/persons/pkg/reqlog"
	"github.com/personsapi/persons/pkg/seed"
	"github.com/personsapi/persons/pkg/tracing"
)

func main() {
	// Every line of an invocation names it (tracing.Invocation, reqlog).
	log := slog.New(reqlog.Handler(slog.NewJSONHandler(os.Stdout, nil)))
	slog.SetDefault(log)
	ctx := context.Background()
	tp, err := tracing.FromEnv(ctx)
	if err != nil {
		log.Error("startup failed", "error", err.Error())
		os.Exit(1)
	}
	// One client per execution environment, reused by every invocation.
	db, table, err := ddbclient.FromEnv(ctx, tp.Configure)
	if err != nil {
		log.Error("startup failed", "error", err.Error())
		os.Exit(1)
	}
	lambda.Start(tracing.Invocation(tp, "seed", seed.Handler(db, table)))
}
