// Package ddbstats counts DynamoDB requests and the capacity units they consume, per
// operation. Install Counting on a client once; then every call made with a context from
// WithCounter adds to that counter, so a test or an access-log line can report exactly
// how many requests an operation made and how many read and write units DynamoDB billed.
package ddbstats

import (
	"context"
	"math"
	"sync/atomic"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/aws/smithy-go/middleware"
)

// Counter counts DynamoDB API calls and their consumed capacity. It is safe for
// concurrent use; the zero value is ready.
type Counter struct {
	n    atomic.Int64
	read atomicFloat // read capacity units
	wrt  atomicFloat // write capacity units
}

// Load returns the number of calls counted so far.
func (c *Counter) Load() int64 { return c.n.Load() }

// Add adds n calls.
func (c *Counter) Add(n int64) { c.n.Add(n) }

// ReadUnits returns the read capacity units DynamoDB reported for the calls so far.
func (c *Counter) ReadUnits() float64 { return c.read.load() }

// WriteUnits returns the write capacity units DynamoDB reported for the calls so far.
//
// A write refused by its condition (ConditionalCheckFailedException, a cancelled
// transaction) comes back as an error without ConsumedCapacity, so it counts no units
// here, although AWS bills it as a write (1 WCU per KB of the item, ×2 in a transaction).
func (c *Counter) WriteUnits() float64 { return c.wrt.load() }

// atomicFloat is a float64 updated with compare-and-swap (units come in halves and
// fractions of items, so an integer counter would round them).
type atomicFloat struct{ bits atomic.Uint64 }

func (f *atomicFloat) load() float64 { return math.Float64frombits(f.bits.Load()) }

func (f *atomicFloat) add(v float64) {
	for {
		old := f.bits.Load()
		if f.bits.CompareAndSwap(old, math.Float64bits(math.Float64frombits(old)+v)) {
			return
		}
	}
}

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
// are exact and machine-independent. For a call made with a counting context it asks
// DynamoDB for the consumed capacity (ReturnConsumedCapacity TOTAL, on a copy of the
// input: the caller's input is not changed) and adds the units of the answer; asking
// costs nothing but a few bytes of response. An input that already asks (TOTAL or
// INDEXES) is left as it is.
func Counting(o *dynamodb.Options) {
	o.APIOptions = append(o.APIOptions, func(s *middleware.Stack) error {
		return s.Initialize.Add(middleware.InitializeMiddlewareFunc("ddbstats.Count",
			func(ctx context.Context, in middleware.InitializeInput, next middleware.InitializeHandler) (middleware.InitializeOutput, middleware.Metadata, error) {
				chain, _ := ctx.Value(ctxKey{}).([]*Counter)
				if len(chain) == 0 {
					return next.HandleInitialize(ctx, in)
				}
				for _, c := range chain {
					c.n.Add(1)
				}
				in.Parameters = askCapacity(in.Parameters)
				out, md, err := next.HandleInitialize(ctx, in)
				if err == nil {
					read, write := consumed(out.Result)
					for _, c := range chain {
						c.read.add(read)
						c.wrt.add(write)
					}
				}
				return out, md, err
			}), middleware.Before)
	})
}

// askCapacity returns a copy of the input that asks for the total consumed capacity,
// for the operations that report it; any other input unchanged.
func askCapacity(params any) any {
	switch v := params.(type) {
	case *dynamodb.GetItemInput:
		c := *v
		c.ReturnConsumedCapacity = total(c.ReturnConsumedCapacity)
		return &c
	case *dynamodb.PutItemInput:
		c := *v
		c.ReturnConsumedCapacity = total(c.ReturnConsumedCapacity)
		return &c
	case *dynamodb.UpdateItemInput:
		c := *v
		c.ReturnConsumedCapacity = total(c.ReturnConsumedCapacity)
		return &c
	case *dynamodb.DeleteItemInput:
		c := *v
		c.ReturnConsumedCapacity = total(c.ReturnConsumedCapacity)
		return &c
	case *dynamodb.QueryInput:
		c := *v
		c.ReturnConsumedCapacity = total(c.ReturnConsumedCapacity)
		return &c
	case *dynamodb.ScanInput:
		c := *v
		c.ReturnConsumedCapacity = total(c.ReturnConsumedCapacity)
		return &c
	case *dynamodb.BatchGetItemInput:
		c := *v
		c.ReturnConsumedCapacity = total(c.ReturnConsumedCapacity)
		return &c
	case *dynamodb.BatchWriteItemInput:
		c := *v
		c.ReturnConsumedCapacity = total(c.ReturnConsumedCapacity)
		return &c
	case *dynamodb.TransactGetItemsInput:
		c := *v
		c.ReturnConsumedCapacity = total(c.ReturnConsumedCapacity)
		return &c
	case *dynamodb.TransactWriteItemsInput:
		c := *v
		c.ReturnConsumedCapacity = total(c.ReturnConsumedCapacity)
		return &c
	}
	return params
}

func total(r types.ReturnConsumedCapacity) types.ReturnConsumedCapacity {
	if r == "" || r == types.ReturnConsumedCapacityNone {
		return types.ReturnConsumedCapacityTotal
	}
	return r
}

// consumed sums the read and write units of an operation's output. DynamoDB reports
// CapacityUnits and, where it splits them, ReadCapacityUnits and WriteCapacityUnits;
// without a split the units go to the side the operation is on.
func consumed(result any) (read, write float64) {
	var ccs []types.ConsumedCapacity
	writes := false
	switch v := result.(type) {
	case *dynamodb.GetItemOutput:
		ccs = one(v.ConsumedCapacity)
	case *dynamodb.QueryOutput:
		ccs = one(v.ConsumedCapacity)
	case *dynamodb.ScanOutput:
		ccs = one(v.ConsumedCapacity)
	case *dynamodb.BatchGetItemOutput:
		ccs = v.ConsumedCapacity
	case *dynamodb.TransactGetItemsOutput:
		ccs = v.ConsumedCapacity
	case *dynamodb.PutItemOutput:
		ccs, writes = one(v.ConsumedCapacity), true
	case *dynamodb.UpdateItemOutput:
		ccs, writes = one(v.ConsumedCapacity), true
	case *dynamodb.DeleteItemOutput:
		ccs, writes = one(v.ConsumedCapacity), true
	case *dynamodb.BatchWriteItemOutput:
		ccs, writes = v.ConsumedCapacity, true
	case *dynamodb.TransactWriteItemsOutput:
		ccs, writes = v.ConsumedCapacity, true
	}
	for _, cc := range ccs {
		r, w := val(cc.ReadCapacityUnits), val(cc.WriteCapacityUnits)
		if r == 0 && w == 0 {
			if writes {
				w = val(cc.CapacityUnits)
			} else {
				r = val(cc.CapacityUnits)
			}
		}
		read, write = read+r, write+w
	}
	return read, write
}

func one(cc *types.ConsumedCapacity) []types.ConsumedCapacity {
	if cc == nil {
		return nil
	}
	return []types.ConsumedCapacity{*cc}
}

func val(p *float64) float64 {
	if p == nil {
		return 0
	}
	return *p
}
