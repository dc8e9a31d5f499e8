package seed

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"maps"
	"os"
	"reflect"
	"slices"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/aws/smithy-go/middleware"

	"github.com/personsapi/persons/pkg/ddbfault"
	"github.com/personsapi/persons/pkg/ddbtest"
	"github.com/personsapi/persons/pkg/input"
	"github.com/personsapi/persons/pkg/persons"
)

func TestMain(m *testing.M) { os.Exit(ddbtest.Main(m)) }

func attrS(v types.AttributeValue) string { return attrString(v) }

func ctxFor(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	t.Cleanup(cancel)
	return ctx
}

// generatedItems returns the items of Generate(seed, n) by key.
func generatedItems(t *testing.T, seed int64, n int) map[string]map[string]types.AttributeValue {
	t.Helper()
	want := map[string]map[string]types.AttributeValue{}
	for _, d := range Generate(seed, n) {
		items, err := persons.Items(d)
		if err != nil {
			t.Fatal(err)
		}
		for _, item := range items {
			want[ddbtest.ItemKey(item)] = item
		}
	}
	return want
}

func countByEntity(items map[string]map[string]types.AttributeValue) map[string]int {
	n := map[string]int{}
	for _, item := range items {
		n[attrS(item[persons.AttrEntity])]++
	}
	return n
}

// sameItems fails the test unless the table holds exactly want.
func sameItems(t *testing.T, got, want map[string]map[string]types.AttributeValue) {
	t.Helper()
	if g, w := countByEntity(got), countByEntity(want); !reflect.DeepEqual(g, w) {
		t.Errorf("items per entity: table has %v, want %v", g, w)
	}
	diffs := 0
	for k, w := range want {
		if g, ok := got[k]; !ok || !reflect.DeepEqual(g, w) {
			if diffs++; diffs <= 3 {
				t.Errorf("item %q: table has %v, want %v", k, g, w)
			}
		}
	}
	for k := range got {
		if _, ok := want[k]; !ok {
			if diffs++; diffs <= 3 {
				t.Errorf("unexpected item %q", k)
			}
		}
	}
	if diffs > 3 {
		t.Errorf("... %d differences in all", diffs)
	}
}

func TestRunWritesExactlyTheGeneratedItems(t *testing.T) {
	db, table := ddbtest.NewTable(t)
	ctx := ctxFor(t)
	const n = 500
	var progress atomic.Int64
	st, err := Run(ctx, db, table, Options{Count: n, Seed: 12345, Progress: func(Stats) { progress.Add(1) }})
	if err != nil {
		t.Fatal(err)
	}
	want := generatedItems(t, 12345, n)
	sameItems(t, ddbtest.Items(t, db, table), want)

	wantRequests := (len(want) + BatchSize - 1) / BatchSize
	if st.Persons != n || st.Items != len(want) || st.Requests != wantRequests || st.Retries != 0 || st.Duration <= 0 {
		t.Errorf("stats %+v, want %d persons, %d items, %d requests, no retries", st, n, len(want), wantRequests)
	}
	if progress.Load() != int64(st.Requests) {
		t.Errorf("progress called %d times for %d requests", progress.Load(), st.Requests)
	}

	// The store reads seeded persons back as generated, primaries included.
	s := persons.New(db, table)
	for _, i := range []int{0, 123, n - 1} {
		gen := Person(12345, i)
		got, err := s.GetPersonDetails(ctx, gen.ID)
		if err != nil {
			t.Fatal(err)
		}
		sortByID(&gen)
		sortByID(&got)
		if g, w := mustJSON(t, got), mustJSON(t, gen); g != w {
			t.Errorf("GetPersonDetails(%s):\n got %s\nwant %s", gen.ID, g, w)
		}
	}
}

func sortByID(d *persons.PersonDetails) {
	slices.SortFunc(d.Addresses, func(a, b persons.Address) int { return cmp.Compare(a.ID, b.ID) })
	slices.SortFunc(d.BankAccounts, func(a, b persons.BankAccount) int { return cmp.Compare(a.ID, b.ID) })
	slices.SortFunc(d.Contacts, func(a, b persons.ContactInfo) int { return cmp.Compare(a.ID, b.ID) })
	slices.SortFunc(d.Employments, func(a, b persons.Employment) int { return cmp.Compare(a.ID, b.ID) })
}

func mustJSON(t *testing.T, v any) string {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// The store's primary logic works on seeded data: making another address primary
// demotes the seeded primary through the profile's pointer.
func TestSeededPrimaryPointer(t *testing.T) {
	db, table := ddbtest.NewTable(t)
	ctx := ctxFor(t)
	if _, err := Run(ctx, db, table, Options{Count: 1, Seed: 3}); err != nil {
		t.Fatal(err)
	}
	d := Person(3, 0)
	s := persons.New(db, table)
	a := d.Addresses[0]
	a.ID, a.IsPrimary, a.Street = "", true, "1 New Street"
	created, err := s.Addresses().Create(ctx, d.ID, a)
	if err != nil {
		t.Fatal(err)
	}
	old, err := s.Addresses().Get(ctx, d.ID, d.Addresses[0].ID)
	if err != nil {
		t.Fatal(err)
	}
	if old.IsPrimary || !created.Item.IsPrimary {
		t.Errorf("after creating a new primary address: seeded primary isPrimary=%v, new isPrimary=%v", old.IsPrimary, created.Item.IsPrimary)
	}
}

func TestRunTwiceIsIdempotent(t *testing.T) {
	db, table := ddbtest.NewTable(t)
	ctx := ctxFor(t)
	for range 2 {
		if _, err := Run(ctx, db, table, Options{Count: 100, Seed: 9}); err != nil {
			t.Fatal(err)
		}
	}
	sameItems(t, ddbtest.Items(t, db, table), generatedItems(t, 9, 100))
}

// A run cancelled half-way leaves part of the data; running it again completes it.
func TestInterruptedRunResumes(t *testing.T) {
	db, table := ddbtest.NewTable(t)
	ctx, cancel := context.WithCancel(ctxFor(t))
	_, err := Run(ctx, db, table, Options{Count: 300, Seed: 5, Concurrency: 2, Progress: func(s Stats) {
		if s.Items >= 1000 {
			cancel()
		}
	}})
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("interrupted run: err = %v, want context.Canceled", err)
	}
	want := generatedItems(t, 5, 300)
	if got := len(ddbtest.Items(t, db, table)); got == 0 || got >= len(want) {
		t.Fatalf("after the interruption the table has %d of %d items, want some", got, len(want))
	}
	if _, err := Run(ctxFor(t), db, table, Options{Count: 300, Seed: 5}); err != nil {
		t.Fatal(err)
	}
	sameItems(t, ddbtest.Items(t, db, table), want)
}

func TestClearRemovesEveryPersonItemOrphansIncluded(t *testing.T) {
	db, table := ddbtest.NewTable(t)
	ctx := ctxFor(t)
	if _, err := Run(ctx, db, table, Options{Count: 200, Seed: 1}); err != nil {
		t.Fatal(err)
	}
	// Orphans: related items of a person that has no profile item.
	orphan := Person(1, 10_000)
	orphan.Employments = nil
	items, err := persons.Items(orphan)
	if err != nil {
		t.Fatal(err)
	}
	for _, item := range items[1:] {
		if _, err := db.PutItem(ctx, &dynamodb.PutItemInput{TableName: aws.String(table), Item: item}); err != nil {
			t.Fatal(err)
		}
	}
	// An item outside the PERSON# partitions must survive.
	other := map[string]types.AttributeValue{
		persons.AttrPK: &types.AttributeValueMemberS{Value: "CONFIG#x"},
		persons.AttrSK: &types.AttributeValueMemberS{Value: "v"},
	}
	if _, err := db.PutItem(ctx, &dynamodb.PutItemInput{TableName: aws.String(table), Item: other}); err != nil {
		t.Fatal(err)
	}
	before := len(ddbtest.Items(t, db, table))

	st, err := Run(ctx, db, table, Options{Clear: true, Concurrency: 4})
	if err != nil {
		t.Fatal(err)
	}
	left := ddbtest.Items(t, db, table)
	if len(left) != 1 || left[ddbtest.ItemKey(other)] == nil {
		t.Errorf("after clear the table holds %d items (want only %q): %v", len(left), ddbtest.ItemKey(other), slices.Collect(maps.Keys(left)))
	}
	if st.Deleted != before-1 || st.Items != 0 || st.Persons != 0 {
		t.Errorf("clear stats %+v, want %d deleted", st, before-1)
	}
}

// throttle is a client option that makes DynamoDB "throttle" every other BatchWriteItem:
// it sends only the first half of the requests and returns the rest as UnprocessedItems,
// exactly as DynamoDB does when a partition runs out of capacity.
func throttle(throttled *atomic.Int64) func(*dynamodb.Options) {
	var calls atomic.Int64
	return func(o *dynamodb.Options) {
		o.APIOptions = append(o.APIOptions, func(s *middleware.Stack) error {
			return s.Initialize.Add(middleware.InitializeMiddlewareFunc("test.Throttle",
				func(ctx context.Context, in middleware.InitializeInput, next middleware.InitializeHandler) (middleware.InitializeOutput, middleware.Metadata, error) {
					req, ok := in.Parameters.(*dynamodb.BatchWriteItemInput)
					if !ok || calls.Add(1)%2 == 0 {
						return next.HandleInitialize(ctx, in)
					}
					sent := map[string][]types.WriteRequest{}
					held := map[string][]types.WriteRequest{}
					for table, reqs := range req.RequestItems {
						half := (len(reqs) + 1) / 2
						sent[table], held[table] = reqs[:half], reqs[half:]
						throttled.Add(int64(len(reqs) - half))
					}
					cp := *req
					cp.RequestItems = sent
					in.Parameters = &cp
					out, md, err := next.HandleInitialize(ctx, in)
					if err != nil {
						return out, md, err
					}
					res := out.Result.(*dynamodb.BatchWriteItemOutput)
					if res.UnprocessedItems == nil {
						res.UnprocessedItems = map[string][]types.WriteRequest{}
					}
					for table, reqs := range held {
						if len(reqs) > 0 {
							res.UnprocessedItems[table] = append(res.UnprocessedItems[table], reqs...)
						}
					}
					return out, md, nil
				}), middleware.After)
		})
	}
}

func TestThrottledItemsAreRetried(t *testing.T) {
	var throttled atomic.Int64
	db, table := ddbtest.NewTable(t, throttle(&throttled))
	ctx := ctxFor(t)
	st, err := Run(ctx, db, table, Options{Count: 100, Seed: 77})
	if err != nil {
		t.Fatal(err)
	}
	want := generatedItems(t, 77, 100)
	sameItems(t, ddbtest.Items(t, db, table), want)
	if throttled.Load() == 0 || st.Retries == 0 || st.Items != len(want) || st.Persons != 100 {
		t.Errorf("stats %+v after %d throttled requests, want retries and %d items", st, throttled.Load(), len(want))
	}
	if min := (len(want)+BatchSize-1)/BatchSize + st.Retries; st.Requests != min {
		t.Errorf("%d requests, want %d (batches plus retries)", st.Requests, min)
	}

	// Clear goes through the same retries.
	st, err = Run(ctx, db, table, Options{Clear: true})
	if err != nil {
		t.Fatal(err)
	}
	if left := len(ddbtest.Items(t, db, table)); left != 0 || st.Deleted != len(want) || st.Retries == 0 {
		t.Errorf("clear under throttling: %d items left, stats %+v", left, st)
	}
}

// Retrying stops when the context ends, with the context's error.
func TestRetriesStopWithTheContext(t *testing.T) {
	db, table := ddbtest.NewTable(t, func(o *dynamodb.Options) {
		o.APIOptions = append(o.APIOptions, func(s *middleware.Stack) error {
			// Never process anything.
			return s.Initialize.Add(middleware.InitializeMiddlewareFunc("test.Refuse",
				func(ctx context.Context, in middleware.InitializeInput, next middleware.InitializeHandler) (middleware.InitializeOutput, middleware.Metadata, error) {
					if req, ok := in.Parameters.(*dynamodb.BatchWriteItemInput); ok {
						return middleware.InitializeOutput{Result: &dynamodb.BatchWriteItemOutput{UnprocessedItems: req.RequestItems}}, middleware.Metadata{}, nil
					}
					return next.HandleInitialize(ctx, in)
				}), middleware.After)
		})
	})
	ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
	defer cancel()
	st, err := Run(ctx, db, table, Options{Count: 3})
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("err = %v, want context.DeadlineExceeded", err)
	}
	if st.Items != 0 || st.Retries == 0 {
		t.Errorf("stats %+v, want retries and nothing written", st)
	}
}

func TestParseEvent(t *testing.T) {
	tests := []struct {
		event string
		want  Options
	}{
		{``, Options{Count: DefaultCount, Seed: DefaultSeed}},
		{`null`, Options{Count: DefaultCount, Seed: DefaultSeed}},
		{`{}`, Options{Count: DefaultCount, Seed: DefaultSeed}},
		{`{"count": 1}`, Options{Count: 1, Seed: DefaultSeed}},
		{`{"count": 10000, "clear": true, "seed": -12345}`, Options{Count: 10000, Clear: true, Seed: -12345}},
		{`{"count": null, "clear": null, "seed": null}`, Options{Count: DefaultCount, Seed: DefaultSeed}},
	}
	for _, tt := range tests {
		got, err := ParseEvent([]byte(tt.event))
		if err != nil || got.Count != tt.want.Count || got.Clear != tt.want.Clear || got.Seed != tt.want.Seed {
			t.Errorf("ParseEvent(%s) = %+v, %v; want %+v", tt.event, got, err, tt.want)
		}
	}
}

var badEvents = []struct{ event, field string }{
	{`{"count": -1}`, "count"},
	{`{"count": 0}`, "count"},
	{`{"count": 10001}`, "count"},
	{`{"count": 2.5}`, "count"},
	{`{"count": "5"}`, "count"},
	{`{"clear": "yes"}`, "clear"},
	{`{"seed": "x"}`, "seed"},
	{`{"cuont": 5}`, "cuont"},
	{`[1]`, "body"},
	{`{"count": 5`, "body"},
}

// Bad events fail with an error naming the field, and write nothing.
func TestHandlerRejectsBadEvents(t *testing.T) {
	db, table := ddbtest.NewTable(t)
	h := Handler(db, table)
	for _, tt := range badEvents {
		_, err := h(ctxFor(t), json.RawMessage(tt.event))
		var ve *input.ValidationError
		if !errors.As(err, &ve) || len(ve.Fields) == 0 || ve.Fields[0].Field != tt.field {
			t.Errorf("event %s: err = %v, want a validation error on %q", tt.event, err, tt.field)
		}
	}
	if n := len(ddbtest.Items(t, db, table)); n != 0 {
		t.Errorf("bad events wrote %d items", n)
	}
	st, err := h(ctxFor(t), json.RawMessage(`{"count": 3, "seed": 4}`))
	if err != nil || st.Persons != 3 {
		t.Errorf("good event: %+v, %v", st, err)
	}
}

func TestStatsJSON(t *testing.T) {
	st := Stats{Persons: 1, Items: 2, Deleted: 3, Requests: 4, Retries: 5, Duration: 1500 * time.Microsecond}
	b, err := json.Marshal(st)
	if err != nil {
		t.Fatal(err)
	}
	if want := `{"persons":1,"items":2,"deleted":3,"requests":4,"retries":5,"durationMs":1.5}`; string(b) != want {
		t.Errorf("JSON %s, want %s", b, want)
	}
	var back Stats
	if err := json.Unmarshal(b, &back); err != nil || back != st {
		t.Errorf("round trip: %+v, %v; want %+v", back, err, st)
	}
}

// timeoutErr is what a timed-out HTTP attempt looks like to the SDK's caller.
type timeoutErr struct{}

func (timeoutErr) Error() string   { return "i/o timeout (injected)" }
func (timeoutErr) Timeout() bool   { return true }
func (timeoutErr) Temporary() bool { return true }

// A batch whose request timed out on every attempt of the client (a slow engine) is sent
// again: the run completes with exactly the generated items.
func TestTimedOutBatchesAreSentAgain(t *testing.T) {
	var failed atomic.Int64
	db, table := ddbtest.NewTable(t, ddbfault.Inject(nil, func(op string) error {
		// More attempts than the first round of calls makes (9 batches of 25 items, 3
		// attempts each), so that every batch's first call fails as a whole.
		if op == "BatchWriteItem" && failed.Add(1) <= 30 {
			return timeoutErr{}
		}
		return nil
	}))
	st, err := Run(ctxFor(t), db, table, Options{Count: 20, Seed: 5})
	if err != nil {
		t.Fatal(err)
	}
	sameItems(t, ddbtest.Items(t, db, table), generatedItems(t, 5, 20))
	if st.Retries == 0 {
		t.Errorf("stats %+v: want the timed-out batches sent again", st)
	}
}
