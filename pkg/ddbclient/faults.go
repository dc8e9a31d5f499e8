package ddbclient

import (
	"errors"
	"io"
	"net"
	"syscall"

	"github.com/aws/smithy-go"
	smithyhttp "github.com/aws/smithy-go/transport/http"
)

// throttlingCodes are DynamoDB's error codes for "too many requests": a table, index or
// partition out of capacity (ProvisionedThroughputExceededException, also with
// on-demand billing), the account's request rate (ThrottlingException) or throughput
// quota (RequestLimitExceeded).
var throttlingCodes = map[string]bool{
	"ProvisionedThroughputExceededException": true,
	"ThrottlingException":                    true,
	"RequestLimitExceeded":                   true,
}

// Throttled reports whether err, an error of a DynamoDB call, is DynamoDB refusing the
// request rate. The client has already retried it (MaxAttempts): what is left is not a
// blip, and the cure is fewer requests (the API answers 429).
func Throttled(err error) bool {
	var ae smithy.APIError
	return errors.As(err, &ae) && throttlingCodes[ae.ErrorCode()]
}

// Unavailable reports whether err, an error of a DynamoDB call, is DynamoDB failing
// (a server fault, a 5xx) or not answering: connection refused or reset, DNS, an
// attempt's timeout, a connection broken while the answer was read. The same request
// may succeed later (the API answers 503; a seed sends the batch again).
func Unavailable(err error) bool {
	var (
		ae     smithy.APIError
		status interface{ HTTPStatusCode() int }
		send   *smithyhttp.RequestSendError
		netErr net.Error
	)
	switch {
	case errors.As(err, &ae) && ae.ErrorFault() == smithy.FaultServer:
		// InternalServerError and other modelled server faults.
		return true
	case errors.As(err, &status) && status.HTTPStatusCode() >= 500:
		// DynamoDB (or a proxy in front of it) failed: 500, 502, 503, 504.
		return true
	case errors.As(err, &send), errors.As(err, &netErr):
		return true
	default:
		return errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, syscall.ECONNRESET) || errors.Is(err, syscall.ECONNREFUSED)
	}
}
