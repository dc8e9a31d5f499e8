// Command changes is the change feed's stream processor: Lambda's event source mapping
// on the table's stream hands it batches of records (events.DynamoDBEvent), and
// changes.Log.Handle writes their log entries, reporting failed records
// (ReportBatchItemFailures). `make run` runs the same Handle over DynamoDB Local's stream.
package main

import (
	"context"
	"log/slog"
	"os"

	"github.com/aws/aws-lambda-go/lambda"

	"github.com/personsapi/persons/pkg/changes"
	"github.com/personsapi/persons/pkg/ddbclient"
	"github.com/personsapi/persons/pkg/reqlog"
	"github.com/personsapi/persons/pkg/tracing"
)

func main() {
	// Every line of an invocation names it (tracing.Invocation, reqlog).
	log := slog.New(reqlog.Handler(slog.NewJSONHandler(os.Stdout, nil)))
	slog.SetDefault(log)
	ctx := context.Background()
	tp, err := tracing.FromEnv(ctx)
	if err != nil {
		log.Error("startup failed", "function", "changes", "error", err.Error())
		os.Exit(1)
	}
	db, table, err := ddbclient.FromEnv(ctx, tp.Configure)
	if err != nil {
		log.Error("startup failed", "function", "changes", "error", err.Error())
		os.Exit(1)
	}
	l := &changes.Log{DB: db, Table: table, Logger: log}
	lambda.Start(tracing.Invocation(tp, "changes", l.Handle))
}
