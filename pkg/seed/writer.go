package seed

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/expression"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"golang.org/x/sync/errgroup"

	"github.com/personsapi/persons/pkg/backoff"
	"github.com/personsapi/persons/pkg/ddbclient"
	"github.com/personsapi/persons/pkg/persons"
)

// BatchSize is the most write requests one BatchWriteItem accepts.
const BatchSize = 25

// DefaultConcurrency is the number of BatchWriteItem requests in flight by default: enough
// to hide the round trip, few enough to stay under a table's write capacity bursts.
const DefaultConcurrency = 8

// Stats describe a run. In JSON the duration is "durationMs", in milliseconds.
type Stats struct {
	Persons  int           `json:"persons"`  // persons whose items are all written
	Items    int           `json:"items"`    // items written (put)
	Deleted  int           `json:"deleted"`  // items deleted by clear
	Requests int           `json:"requests"` // DynamoDB requests: BatchWriteItem and Scan
	Retries  int           `json:"retries"`  // BatchWriteItem requests re-sent for UnprocessedItems
	Duration time.Duration `json:"-"`
}

type statsJSON struct {
	stats
	DurationMs float64 `json:"durationMs"`
}

// stats is Stats without its methods, so that statsJSON does not recurse.
type stats Stats

// MarshalJSON writes the duration in milliseconds.
func (s Stats) MarshalJSON() ([]byte, error) {
	return json.Marshal(statsJSON{stats(s), float64(s.Duration) / float64(time.Millisecond)})
}

// UnmarshalJSON reads what MarshalJSON writes.
func (s *Stats) UnmarshalJSON(b []byte) error {
	var v statsJSON
	if err := json.Unmarshal(b, &v); err != nil {
		return err
	}
	*s = Stats(v.stats)
	s.Duration = time.Duration(v.DurationMs * float64(time.Millisecond))
	return nil
}

// Writer writes and deletes items in batches: BatchWriteItem with up to 25 requests, a
// bounded number of them in flight, UnprocessedItems re-sent with exponential backoff
// and full jitter until they are written or the context ends.
type Writer struct {
	DB    *dynamodb.Client
	Table string
	// Concurrency is the number of write requests in flight, and of Scan segments in
	// Clear; 0 means DefaultConcurrency.
	Concurrency int
	// BaseDelay and MaxDelay bound the backoff before re-sending unprocessed items: the
	// n-th retry of a batch waits a random time up to min(MaxDelay, BaseDelay·2ⁿ).
	// 0 means 20 ms and 2 s.
	BaseDelay, MaxDelay time.Duration
	// Progress, if set, is called after every request with the totals so far; calls do
	// not overlap.
	Progress func(Stats)

	persons, items, deleted, requests, retries atomic.Int64
	progressMu                                 sync.Mutex
	start                                      time.Time
}

// entry is one write request and, for puts of generated persons, the countdown of the
// person's items still to be written.
type entry struct {
	req     types.WriteRequest
	pending *atomic.Int32
}

// Stats returns the totals so far.
func (w *Writer) Stats() Stats {
	st := Stats{
		Persons: int(w.persons.Load()), Items: int(w.items.Load()), Deleted: int(w.deleted.Load()),
		Requests: int(w.requests.Load()), Retries: int(w.retries.Load()),
	}
	if !w.start.IsZero() {
		st.Duration = time.Since(w.start)
	}
	return st
}

// run writes everything produce emits. produce may call emit from several goroutines;
// emit fails once the run failed or ctx ended.
func (w *Writer) run(ctx context.Context, produce func(ctx context.Context, emit func(entry) error) error) error {
	if w.start.IsZero() {
		w.start = time.Now()
	}
	workers := w.Concurrency
	if workers <= 0 {
		workers = DefaultConcurrency
	}
	g, ctx := errgroup.WithContext(ctx)
	entries := make(chan entry, BatchSize*workers)
	batches := make(chan []entry, workers)

	g.Go(func() error {
		defer close(entries)
		return produce(ctx, func(e entry) error {
			select {
			case entries <- e:
				return nil
			case <-ctx.Done():
				return context.Cause(ctx)
			}
		})
	})
	g.Go(func() error {
		defer close(batches)
		batch := make([]entry, 0, BatchSize)
		flush := func() error {
			select {
			case batches <- batch:
				batch = make([]entry, 0, BatchSize)
				return nil
			case <-ctx.Done():
				return context.Cause(ctx)
			}
		}
		for e := range entries {
			if batch = append(batch, e); len(batch) == BatchSize {
				if err := flush(); err != nil {
					return err
				}
			}
		}
		if len(batch) > 0 {
			return flush()
		}
		return nil
	})
	for range workers {
		g.Go(func() error {
			for b := range batches {
				if err := w.write(ctx, b); err != nil {
					return err
				}
			}
			return nil
		})
	}
	return g.Wait()
}

// write sends one batch until every request in it is processed.
func (w *Writer) write(ctx context.Context, batch []entry) error {
	policy := backoff.Policy{Base: cmp.Or(w.BaseDelay, 20*time.Millisecond), Max: cmp.Or(w.MaxDelay, 2*time.Second)}
	slowAttempts := 0
	for attempt := 1; ; attempt++ {
		reqs := make([]types.WriteRequest, len(batch))
		for i, e := range batch {
			reqs[i] = e.req
		}
		out, err := w.DB.BatchWriteItem(ctx, &dynamodb.BatchWriteItemInput{
			RequestItems: map[string][]types.WriteRequest{w.Table: reqs},
		})
		w.requests.Add(1)
		switch {
		case err != nil && (ddbclient.Unavailable(err) || ddbclient.Throttled(err)) && slowAttempts < maxSlowAttempts && ctx.Err() == nil:
			// The client gives up on a slow attempt quickly (pkg/ddbclient bounds every
			// call for the API's deadlines); a seed has minutes, so the batch, which
			// writes the same items again, is sent again after a pause.
			slowAttempts++
		case err != nil:
			return fmt.Errorf("batch write to %s: %w", w.Table, err)
		default:
			batch = w.done(batch, out.UnprocessedItems[w.Table])
			w.report()
			if len(batch) == 0 {
				return nil
			}
		}
		if err := backoff.Sleep(ctx, policy.Delay(attempt)); err != nil {
			return fmt.Errorf("batch write to %s: %d items unprocessed: %w", w.Table, len(batch), err)
		}
		w.retries.Add(1)
	}
}

// maxSlowAttempts bounds how often one batch is sent again after its request failed
// for want of DynamoDB (timed out, unreachable, throttled).
const maxSlowAttempts = 10

// done accounts for the processed requests of batch and returns the unprocessed ones.
func (w *Writer) done(batch []entry, unprocessed []types.WriteRequest) []entry {
	left := make(map[string]bool, len(unprocessed))
	for _, r := range unprocessed {
		left[requestKey(r)] = true
	}
	var rest []entry
	for _, e := range batch {
		if left[requestKey(e.req)] {
			rest = append(rest, e)
			continue
		}
		if e.req.DeleteRequest != nil {
			w.deleted.Add(1)
			continue
		}
		w.items.Add(1)
		if e.pending != nil && e.pending.Add(-1) == 0 {
			w.persons.Add(1)
		}
	}
	return rest
}

// requestKey identifies a write request by its item's primary key.
func requestKey(r types.WriteRequest) string {
	var key map[string]types.AttributeValue
	switch {
	case r.PutRequest != nil:
		key = r.PutRequest.Item
	case r.DeleteRequest != nil:
		key = r.DeleteRequest.Key
	}
	return attrString(key[persons.AttrPK]) + "\x00" + attrString(key[persons.AttrSK])
}

func attrString(v types.AttributeValue) string {
	if s, ok := v.(*types.AttributeValueMemberS); ok {
		return s.Value
	}
	return ""
}

func (w *Writer) report() {
	if w.Progress == nil {
		return
	}
	w.progressMu.Lock()
	defer w.progressMu.Unlock()
	w.Progress(w.Stats())
}

// Put writes the persons i in [from, to) of seed with all their related items. Puts
// overwrite, so writing the same persons again leaves the same data.
func (w *Writer) Put(ctx context.Context, seed int64, from, to int) error {
	return w.run(ctx, func(ctx context.Context, emit func(entry) error) error {
		for i := from; i < to; i++ {
			items, err := persons.Items(Person(seed, i))
			if err != nil {
				return err
			}
			pending := new(atomic.Int32)
			pending.Store(int32(len(items)))
			for _, item := range items {
				if err := emit(entry{req: types.WriteRequest{PutRequest: &types.PutRequest{Item: item}}, pending: pending}); err != nil {
					return err
				}
			}
		}
		return nil
	})
}

// Clear deletes every item whose partition key starts with PERSON# — persons, their
// related items and related items whose person is gone — with a parallel keys-only
// Scan feeding batched deletes.
func (w *Writer) Clear(ctx context.Context) error {
	segments := w.Concurrency
	if segments <= 0 {
		segments = DefaultConcurrency
	}
	return w.run(ctx, func(ctx context.Context, emit func(entry) error) error {
		g, ctx := errgroup.WithContext(ctx)
		for seg := range segments {
			g.Go(func() error { return w.scanSegment(ctx, int32(seg), int32(segments), emit) })
		}
		return g.Wait()
	})
}

func (w *Writer) scanSegment(ctx context.Context, segment, total int32, emit func(entry) error) error {
	expr, err := expression.NewBuilder().
		WithProjection(expression.NamesList(expression.Name(persons.AttrPK), expression.Name(persons.AttrSK))).
		WithFilter(expression.Name(persons.AttrPK).BeginsWith(persons.PersonPKPrefix)).
		Build()
	if err != nil {
		return err
	}
	in := &dynamodb.ScanInput{
		TableName:                 aws.String(w.Table),
		Segment:                   aws.Int32(segment),
		TotalSegments:             aws.Int32(total),
		ProjectionExpression:      expr.Projection(),
		FilterExpression:          expr.Filter(),
		ExpressionAttributeNames:  expr.Names(),
		ExpressionAttributeValues: expr.Values(),
	}
	p := dynamodb.NewScanPaginator(w.DB, in)
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		w.requests.Add(1)
		if err != nil {
			return fmt.Errorf("scan %s segment %d: %w", w.Table, segment, err)
		}
		for _, key := range page.Items {
			if err := emit(entry{req: types.WriteRequest{DeleteRequest: &types.DeleteRequest{Key: key}}}); err != nil {
				return err
			}
		}
	}
	return nil
}

// Options configure Run.
type Options struct {
	Count int   // persons to write
	Seed  int64 // generator seed; the same seed writes the same persons
	Clear bool  // delete every PERSON# item first
	// Concurrency is the number of requests in flight; 0 means DefaultConcurrency.
	Concurrency int
	// Progress, if set, is called after every request with the totals so far.
	Progress func(Stats)
}

// Run seeds table with o.Count generated persons, after clearing it if o.Clear is set,
// and returns the statistics. A run that was interrupted can simply be run again: puts
// overwrite what an earlier run wrote.
func Run(ctx context.Context, db *dynamodb.Client, table string, o Options) (Stats, error) {
	if o.Count < 0 {
		return Stats{}, errors.New("seed: negative count")
	}
	w := &Writer{DB: db, Table: table, Concurrency: o.Concurrency, Progress: o.Progress}
	w.start = time.Now()
	if o.Clear {
		if err := w.Clear(ctx); err != nil {
			return w.Stats(), fmt.Errorf("clear: %w", err)
		}
	}
	if err := w.Put(ctx, o.Seed, 0, o.Count); err != nil {
		return w.Stats(), fmt.Errorf("seed: %w", err)
	}
	return w.Stats(), nil
}
