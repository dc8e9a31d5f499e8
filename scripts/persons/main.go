// Command persons is the command-line tool of the persons service.
//
//	persons seed [--count N] [--clear] [--seed S] [target]
//
// fills the table with generated persons through one of three targets:
//
//	(default)            the deployed seed Lambda: --function NAME, else $PERSONS_SEED_FUNCTION,
//	                     else the SeedFunctionName output of the CloudFormation stack --stack
//	                     (default "Persons")
//	--endpoint-url URL   any Lambda endpoint, e.g. the Lambda Runtime Interface Emulator
//	                     running the seed bootstrap (function name "function")
//	--local              in-process, against the DynamoDB in $AWS_ENDPOINT_URL_DYNAMODB
//	                     (table --table, default $TABLE_NAME or "persons")
//
// Run it with `go run ./scripts/persons seed ...`.
package main

import (
	"context"
	"os"
	"os/signal"
	"syscall"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := run(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}
