package api

import (
	"errors"
	"fmt"
	"io"
	"net/http"
	"time"

	"github.com/personsapi/persons/pkg/ddbclient"
)

// DefaultRequestTimeout is the deadline of a request when Options.RequestTimeout (or
// deploy.EnvRequestTimeout) sets none. The API functions time out after 10 s: the
// 2 s left are for the answer to get out (a 504 problem) before Lambda kills the
// invocation, which the client would see as a bare 503 from API Gateway after the full
// 10 s, with nothing in the function's log about why. One DynamoDB call gives up
// earlier (ddbclient.CallBudget), so a stalled DynamoDB is usually a 503.
const DefaultRequestTimeout = 8 * time.Second

// maxRequestTimeout is Lambda's longest function timeout.
const maxRequestTimeout = 15 * time.Minute

// ParseRequestTimeout reads a request timeout as deploy.EnvRequestTimeout holds it: a
// Go duration ("8s", "2500ms") above 0 and at most 15 minutes. Empty means
// DefaultRequestTimeout.
func ParseRequestTimeout(s string) (time.Duration, error) {
	if s == "" {
		return DefaultRequestTimeout, nil
	}
	d, err := time.ParseDuration(s)
	if err != nil || d <= 0 || d > maxRequestTimeout {
		return 0, fmt.Errorf("%q is not a request timeout: want a duration such as 8s, above 0 and at most %v", s, maxRequestTimeout)
	}
	return d, nil
}

// How long a client should wait before it tries again (Retry-After), by cause.
const (
	// retryAfterThrottled: DynamoDB throttled even after the SDK's retries; on-demand
	// capacity adapts within seconds.
	retryAfterThrottled = time.Second
	// retryAfterContention: concurrent writers of one person; they are done in moments.
	retryAfterContention = time.Second
	// retryAfterUnavailable: DynamoDB could not be reached or answered in time for
	// several attempts: not a blip, so give it a few seconds.
	retryAfterUnavailable = 5 * time.Second
)

// fault is what went wrong below the API, when the request itself was fine.
type fault int

const (
	noFault     fault = iota
	throttled         // DynamoDB refused the request rate: 429
	unavailable       // DynamoDB could not be reached, failed (5xx) or did not answer in time: 503
)

// faultOf classifies an error of a DynamoDB call (ddbclient.Throttled, Unavailable).
// The SDK has already retried it (ddbclient.MaxAttempts), so what is left is not a blip.
// It is called only while the request's context is live: errors of a cancelled or
// expired request are told apart by the context, not here, because an attempt's own
// timeout and the request's deadline both match context.DeadlineExceeded.
func faultOf(err error) fault {
	switch {
	case ddbclient.Throttled(err):
		return throttled
	case ddbclient.Unavailable(err):
		return unavailable
	}
	return noFault
}

// clientReadError is a failure to read the request body: the client went away or
// stopped sending.
type clientReadError struct{ err error }

func (e *clientReadError) Error() string { return "read request body: " + e.err.Error() }
func (e *clientReadError) Unwrap() error { return e.err }

// clientBody marks the errors of reading a request body as the client's, so that they
// are not taken for faults of the service (a broken connection is also a net.Error).
// The body limit's *http.MaxBytesError and io.EOF pass unchanged.
type clientBody struct{ io.ReadCloser }

func (b clientBody) Read(p []byte) (int, error) {
	n, err := b.ReadCloser.Read(p)
	var mb *http.MaxBytesError
	if err == nil || err == io.EOF || errors.As(err, &mb) {
		return n, err
	}
	return n, &clientReadError{err}
}
