// Command hello is the smallest Go Lambda function (aws-lambda-go, nothing else): the
// yardstick that TestLambdaSizes compares the service's functions with.
package main

import (
	"context"

	"github.com/aws/aws-lambda-go/lambda"
)

func main() {
	lambda.Start(func(context.Context) (string, error) { return "hello", nil })
}
