// Command echo is a tiny Lambda function for the rie package's own test: it returns the
// event it got and the value of the ECHO_ENV variable, or an error for {"fail": true}.
package main

import (
	"context"
	"encoding/json"
	"errors"
	"os"

	"github.com/aws/aws-lambda-go/lambda"
)

type event struct {
	Fail bool            `json:"fail"`
	Data json.RawMessage `json:"data"`
}

type result struct {
	Data json.RawMessage `json:"data"`
	Env  string          `json:"env"`
}

func main() {
	lambda.Start(func(_ context.Context, e event) (result, error) {
		if e.Fail {
			return result{}, errors.New("asked to fail")
		}
		return result{Data: e.Data, Env: os.Getenv("ECHO_ENV")}, nil
	})
}
