package changes

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodbstreams"
	"github.com/aws/aws-sdk-go-v2/service/dynamodbstreams/types"
)

// Handler is what Lambda's event source mapping calls: Log.Handle.
type Handler func(context.Context, events.DynamoDBEvent) (events.DynamoDBEventResponse, error)

// Poller reads a DynamoDB stream with the Streams API and hands its records to a Handler
// as Lambda's event source mapping would: in order per shard, a parent shard before its
// children, and on a reported failure the same records again from the failed one. It is
// how `make run` and the tests run the deployed processor's code over DynamoDB Local.
type Poller struct {
	Streams   *dynamodbstreams.Client
	StreamARN string
	Handler   Handler
	// Interval between polls of a shard that had nothing; 0 means 200 ms.
	Interval time.Duration
	// BatchSize is the most records per event; 0 means 100.
	BatchSize int32
	// Log receives errors; nil means slog.Default().
	Log *slog.Logger

	iters map[string]*string // shard id → next iterator; nil value = shard finished
}

// Run polls until ctx ends.
func (p *Poller) Run(ctx context.Context) error {
	for {
		n, err := p.Once(ctx)
		if ctx.Err() != nil {
			return nil
		}
		if err != nil {
			p.log().Error("change feed poller", "error", err.Error())
		}
		if n == 0 || err != nil {
			select {
			case <-ctx.Done():
				return nil
			case <-time.After(p.interval()):
			}
		}
	}
}

func (p *Poller) interval() time.Duration {
	if p.Interval > 0 {
		return p.Interval
	}
	return 200 * time.Millisecond
}

func (p *Poller) log() *slog.Logger {
	if p.Log != nil {
		return p.Log
	}
	return slog.Default()
}

// Once reads every shard once and handles what it read. It returns how many records it
// handled.
func (p *Poller) Once(ctx context.Context) (int, error) {
	if p.iters == nil {
		p.iters = map[string]*string{}
	}
	var shards []types.Shard
	in := &dynamodbstreams.DescribeStreamInput{StreamArn: aws.String(p.StreamARN)}
	for {
		out, err := p.Streams.DescribeStream(ctx, in)
		if err != nil {
			return 0, fmt.Errorf("describe stream: %w", err)
		}
		shards = append(shards, out.StreamDescription.Shards...)
		if out.StreamDescription.LastEvaluatedShardId == nil {
			break
		}
		in.ExclusiveStartShardId = out.StreamDescription.LastEvaluatedShardId
	}
	listed := map[string]bool{}
	for _, s := range shards {
		listed[*s.ShardId] = true
	}
	handled := 0
	for _, s := range shards {
		id := *s.ShardId
		// A child waits for its parent to be finished, so that one item's changes are
		// handled in order across a shard split.
		if parent := s.ParentShardId; parent != nil && listed[*parent] {
			if it, seen := p.iters[*parent]; !seen || it != nil {
				continue
			}
		}
		it, seen := p.iters[id]
		if seen && it == nil {
			continue
		}
		if !seen {
			out, err := p.Streams.GetShardIterator(ctx, &dynamodbstreams.GetShardIteratorInput{
				StreamArn: aws.String(p.StreamARN), ShardId: aws.String(id), ShardIteratorType: types.ShardIteratorTypeTrimHorizon,
			})
			if err != nil {
				return handled, fmt.Errorf("shard iterator of %s: %w", id, err)
			}
			it = out.ShardIterator
			p.iters[id] = it
		}
		n, err := p.shard(ctx, id, it)
		handled += n
		if err != nil {
			return handled, err
		}
	}
	return handled, nil
}

// shard reads one page of a shard and handles it.
func (p *Poller) shard(ctx context.Context, id string, it *string) (int, error) {
	limit := p.BatchSize
	if limit <= 0 {
		limit = 100
	}
	out, err := p.Streams.GetRecords(ctx, &dynamodbstreams.GetRecordsInput{ShardIterator: it, Limit: aws.Int32(limit)})
	var expired *types.ExpiredIteratorException
	if errors.As(err, &expired) {
		delete(p.iters, id) // start the shard again: duplicates are harmless
		return 0, nil
	}
	if err != nil {
		return 0, fmt.Errorf("records of %s: %w", id, err)
	}
	if len(out.Records) > 0 {
		ev, err := EventOf(p.StreamARN, out.Records)
		if err != nil {
			return 0, err
		}
		resp, err := p.Handler(ctx, ev)
		if err == nil && len(resp.BatchItemFailures) > 0 {
			err = fmt.Errorf("record %s failed", resp.BatchItemFailures[0].ItemIdentifier)
		}
		if err != nil {
			// As Lambda does: the same records again, from the first failed one (or all).
			seq := ev.Records[0].Change.SequenceNumber
			if len(resp.BatchItemFailures) > 0 {
				seq = resp.BatchItemFailures[0].ItemIdentifier
			}
			again, ierr := p.Streams.GetShardIterator(ctx, &dynamodbstreams.GetShardIteratorInput{
				StreamArn: aws.String(p.StreamARN), ShardId: aws.String(id),
				ShardIteratorType: types.ShardIteratorTypeAtSequenceNumber, SequenceNumber: aws.String(seq),
			})
			if ierr != nil {
				return 0, fmt.Errorf("shard iterator of %s at %s: %w", id, seq, ierr)
			}
			p.iters[id] = again.ShardIterator
			return 0, fmt.Errorf("shard %s: %w", id, err)
		}
	}
	// A nil next iterator: the shard is closed and read to its end.
	p.iters[id] = out.NextShardIterator
	return len(out.Records), nil
}
