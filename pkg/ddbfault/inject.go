package ddbfault

import (
	"context"
	"net/http"
	"sync/atomic"

	awsmiddleware "github.com/aws/aws-sdk-go-v2/aws/middleware"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/aws/smithy-go"
	"github.com/aws/smithy-go/middleware"
	smithyhttp "github.com/aws/smithy-go/transport/http"
)

// The throttling errors DynamoDB answers with, as the SDK decodes them.
var (
	// ProvisionedThroughputExceeded: a table or index ran out of (provisioned or
	// on-demand) capacity.
	ProvisionedThroughputExceeded error = &types.ProvisionedThroughputExceededException{Message: strPtr("injected by ddbfault")}
	// Throttling: the request rate of the account or a control-plane limit.
	Throttling error = &types.ThrottlingException{Message: strPtr("injected by ddbfault")}
	// RequestLimitExceeded: the account's throughput quota.
	RequestLimitExceeded error = &types.RequestLimitExceeded{Message: strPtr("injected by ddbfault")}
)

func strPtr(s string) *string { return &s }

// Attempts counts the HTTP attempts of DynamoDB operations an Inject option saw, and how
// many of them it failed.
type Attempts struct {
	Total, Failed atomic.Int64
}

// Inject is a client option that runs fail before every attempt (every try of the SDK's
// retryer, not just every call): when it returns an error for the operation (e.g.
// "GetItem"), the attempt fails with it instead of reaching the engine, and the SDK's
// retryer sees it as it would see DynamoDB's answer. attempts may be nil.
func Inject(attempts *Attempts, fail func(operation string) error) func(*dynamodb.Options) {
	return func(o *dynamodb.Options) {
		o.APIOptions = append(o.APIOptions, func(s *middleware.Stack) error {
			// Finalize, after the retry middleware: it runs once per attempt.
			return s.Finalize.Add(middleware.FinalizeMiddlewareFunc("ddbfault.Inject",
				func(ctx context.Context, in middleware.FinalizeInput, next middleware.FinalizeHandler) (middleware.FinalizeOutput, middleware.Metadata, error) {
					if attempts != nil {
						attempts.Total.Add(1)
					}
					if err := fail(awsmiddleware.GetOperationName(ctx)); err != nil {
						if attempts != nil {
							attempts.Failed.Add(1)
						}
						return middleware.FinalizeOutput{}, middleware.Metadata{}, err
					}
					return next.HandleFinalize(ctx, in)
				}), middleware.After)
		})
	}
}

// Always fails every attempt with err.
func Always(err error) func(string) error { return func(string) error { return err } }

// Operations fails the attempts of the named operations with err.
func Operations(err error, ops ...string) func(string) error {
	return func(op string) error {
		for _, o := range ops {
			if o == op {
				return err
			}
		}
		return nil
	}
}

// HTTPError is err as the SDK returns it for an HTTP response of the given status: the
// retryer retries 500, 502, 503 and 504 by their status, whatever the error code.
func HTTPError(status int, err error) error {
	return &awshttp.ResponseError{ResponseError: &smithyhttp.ResponseError{
		Response: &smithyhttp.Response{Response: &http.Response{StatusCode: status, Header: http.Header{}}},
		Err:      err,
	}}
}

// InternalServerError is DynamoDB's answer when it fails: HTTP 500 with the error code
// InternalServerError.
func InternalServerError() error {
	return HTTPError(http.StatusInternalServerError, &types.InternalServerError{Message: strPtr("injected by ddbfault")})
}

// BadGateway is a proxy's (or load balancer's) HTTP 502 without a DynamoDB error code.
func BadGateway() error {
	return HTTPError(http.StatusBadGateway, &smithy.GenericAPIError{Code: "BadGateway", Message: "injected by ddbfault"})
}
