// Package ddbstats counts DynamoDB requests per operation. Install Counting on a client
// once; then every call made with a context from WithCounter adds to that counter, so
// a test or an access-log line can report exactly how many requests an operation made.
package ddbstats

import (
	"context"
	"sync/atomic"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/smithy-go/middleware"
)

// Counter counts DynamoDB API calls. It is safe for concurrent use; the zero value is ready.
type Counter struct {
	n atomic.Int64
}

// Load returns the number of calls counted so far.
func (c *Counter) Load() int64 { return c.n.Load() }

// Add adds n calls.
func (c *Counter) Add(n int64) { c.n.Add(n) }

type ctxKey struct{}

// WithCounter returns a context that counts the DynamoDB calls made with it (and with
// contexts derived from it) in the returned counter. A nested WithCounter counts into
// its own counter and into every enclosing one.
func WithCounter(ctx context.Context) (context.Context, *Counter) {
	c := &Counter{}
	parents, _ := ctx.Value(ctxKey{}).([]*Counter)
	chain := append(append([]*Counter(nil), parents...), c)
	return context.WithValue(ctx, ctxKey{}, chain), c
}

// FromContext returns the innermost counter of ctx, or nil.
func FromContext(ctx context.Context) *Counter {
	chain, _ := ctx.Value(ctxKey{}).([]*Counter)
	if len(chain) == 0 {
		return nil
	}
	return chain[len(chain)-1]
}

// Counting is a dynamodb client option that installs the counting middleware:
//
//	db := dynamodb.NewFromConfig(cfg, ddbstats.Counting)
//
// It counts API calls (one per operation invoked), not SDK retry attempts, so the numbers
// are exact and machine-independent.
func Counting(o *dynamodb.Options) {
	o.APIOptions = append(o.APIOptions, func(s *middleware.Stack) error {
		return s.Initialize.Add(middleware.InitializeMiddlewareFunc("ddbstats.Count",
			func(ctx context.Context, in middleware.InitializeInput, next middleware.InitializeHandler) (middleware.InitializeOutput, middleware.Metadata, error) {
				chain, _ := ctx.Value(ctxKey{}).([]*Counter)
				for _, c := range chain {
					c.n.Add(1)
				}
				return next.HandleInitialize(ctx, in)
			}), middleware.Before)
	})
}
