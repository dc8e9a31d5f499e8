// Package ddbclient builds the DynamoDB client every process of the persons service
// uses: the default AWS configuration with request counting (package ddbstats), bounded
// timeouts and retries, and the SDK's log lines in slog. It depends on neither the HTTP
// API nor the Lambda runtime, so the seed function and the tools that only talk to
// DynamoDB link none of them.
package ddbclient

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"os"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws/retry"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/smithy-go/logging"

	"github.com/personsapi/persons/pkg/ddbstats"
	"github.com/personsapi/persons/pkg/deploy"
)

// The client's time budget. The SDK's defaults for DynamoDB have no HTTP timeout at all
// (a stalled connection waits forever) and up to 20 s between attempts; an API request
// has 8 s (api.DefaultRequestTimeout) inside a 10 s function timeout. These bound one
// SDK call to CallBudget, so that a stalled or unreachable DynamoDB fails the call with
// an error the API answers as 503, before the request's own deadline (504) and long
// before Lambda kills the function.
const (
	// AttemptTimeout bounds one HTTP attempt: connecting, sending, waiting for and
	// reading the response. DynamoDB answers in milliseconds (a 1 MB Query page in a
	// few hundred); an attempt that takes seconds is stuck, and a new connection has a
	// better chance.
	AttemptTimeout = 2 * time.Second
	// ConnectTimeout bounds the TCP (and TLS) connect of an attempt: a dead address
	// fails fast instead of eating the attempt's whole budget.
	ConnectTimeout = time.Second
	// MaxAttempts is the number of attempts of one call, retries included (the SDK's
	// default for DynamoDB is 4).
	MaxAttempts = 3
	// MaxBackoff caps the jittered wait before a retry (the SDK's default is 20 s;
	// throttling waits start at 1 s, so they wait at most this).
	MaxBackoff = 500 * time.Millisecond
	// BaseDelay is the first retry's backoff before jitter for errors other than
	// throttling (the SDK's default for DynamoDB).
	BaseDelay = 25 * time.Millisecond
	// CallBudget is the longest one SDK call can take (every attempt timing out, the
	// longest backoffs between them). A context deadline ends a call earlier.
	CallBudget = MaxAttempts*AttemptTimeout + (MaxAttempts-1)*MaxBackoff
)

// Configure is a dynamodb client option with the service's settings: the timeouts and
// the bounded retryer above, and the SDK's log lines sent to slog (Logger). It overrides
// AWS_MAX_ATTEMPTS and AWS_RETRY_MODE: the attempts are part of the time budget.
//
// It also turns off the validation of DynamoDB's CRC32 response checksum. The SDK
// checks it only when it closes the body, after it has decoded the response, and only
// logs a mismatch, so the check can never reject a response; and DynamoDB Local sends a
// checksum of 0 with every error response (a failed condition, a cancelled
// transaction), so under contention the check printed a plain-text warning per failed
// write. Integrity in transit comes from TLS to DynamoDB.
func Configure(o *dynamodb.Options) {
	o.HTTPClient = awshttp.NewBuildableClient().
		WithTimeout(AttemptTimeout).
		WithDialerOptions(func(d *net.Dialer) { d.Timeout = ConnectTimeout })
	o.Retryer = retry.NewStandard(func(so *retry.StandardOptions) {
		so.MaxAttempts = MaxAttempts
		so.MaxBackoff = MaxBackoff
		so.BaseDelay = BaseDelay
	})
	o.RetryMaxAttempts = 0 // else the client wraps the retryer with the environment's
	o.Logger = Logger{}
	o.DisableValidateResponseChecksum = true
}

// Logger is the SDK's logger: it writes what the SDK logs to slog's default logger, as
// one JSON line like every other, at DEBUG. What the SDK logs concerns one HTTP attempt
// (a body that could not be drained, a retry); whatever matters for a request reaches
// the service as the call's error, which the API logs with the request id. The SDK logs
// no request or response bodies unless ClientLogMode asks for them, and nothing here
// does: no personal data.
type Logger struct {
	ctx context.Context // of the SDK call, if any
}

// Logf implements logging.Logger.
func (l Logger) Logf(c logging.Classification, format string, v ...any) {
	ctx := l.ctx
	if ctx == nil {
		ctx = context.Background()
	}
	slog.Default().LogAttrs(ctx, slog.LevelDebug, "aws sdk", slog.String("sdk_level", string(c)), slog.String("message", fmt.Sprintf(format, v...)))
}

// WithContext implements logging.ContextLogger: the SDK logs a call's lines with the
// call's context, and so with the request's ids (reqlog.Handler).
func (Logger) WithContext(ctx context.Context) logging.Logger { return Logger{ctx: ctx} }

// New builds the client from the default AWS configuration (environment, shared
// config, the Lambda role) with the settings of Configure, counting requests for the
// access log and the seed statistics, then optFns (a tracer provider, say).
// deploy.EnvDynamoDBEndpoint points it at DynamoDB Local.
func New(ctx context.Context, optFns ...func(*dynamodb.Options)) (*dynamodb.Client, error) {
	cfg, err := config.LoadDefaultConfig(ctx, config.WithLogger(Logger{}))
	if err != nil {
		return nil, fmt.Errorf("load AWS config: %w", err)
	}
	return dynamodb.NewFromConfig(cfg, append([]func(*dynamodb.Options){ddbstats.Counting, Configure}, optFns...)...), nil
}

// FromEnv returns a client (New) and the table named by deploy.EnvTableName: what a
// Lambda function builds once at init. Without the table name it fails with an error
// that says so, before it loads any configuration.
func FromEnv(ctx context.Context, optFns ...func(*dynamodb.Options)) (db *dynamodb.Client, table string, err error) {
	table = os.Getenv(deploy.EnvTableName)
	if table == "" {
		return nil, "", errors.New(deploy.EnvTableName + " is not set: it must name the DynamoDB table")
	}
	db, err = New(ctx, optFns...)
	if err != nil {
		return nil, "", err
	}
	return db, table, nil
}
