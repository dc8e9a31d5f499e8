package changes_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"os"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"

	"github.com/personsapi/persons/pkg/api"
	"github.com/personsapi/persons/pkg/changes"
	"github.com/personsapi/persons/pkg/ddblocal"
	"github.com/personsapi/persons/pkg/ddbtest"
	"github.com/personsapi/persons/pkg/persons"
)

func TestMain(m *testing.M) { os.Exit(ddbtest.Main(m)) }

// feed is a table with a stream, the processor over it (a Poller over DynamoDB Local's
// real stream, calling Log.Handle as Lambda would) and a reader whose clock can be moved.
type feed struct {
	t       *testing.T
	db      *dynamodb.Client
	table   string
	store   *persons.Store
	proc    *changes.Log
	reader  *changes.Log
	poller  *changes.Poller
	offset  atomic.Int64 // the reader's clock: time.Now() + offset
	handler changes.Handler
}

const testLag = time.Second

func newFeed(t *testing.T) *feed {
	t.Helper()
	db, table := ddbtest.NewTable(t)
	out, err := db.DescribeTable(context.Background(), &dynamodb.DescribeTableInput{TableName: aws.String(table)})
	if err != nil {
		t.Fatal(err)
	}
	if out.Table.LatestStreamArn == nil {
		t.Fatal("the table has no stream: persons.Table must enable it")
	}
	f := &feed{t: t, db: db, table: table, store: persons.New(db, table)}
	f.proc = &changes.Log{DB: db, Table: table, Lag: testLag}
	f.reader = &changes.Log{DB: db, Table: table, Lag: testLag, Now: func() time.Time {
		return time.Now().Add(time.Duration(f.offset.Load()))
	}}
	f.handler = f.proc.Handle
	f.poller = &changes.Poller{
		Streams:   ddblocal.StreamsClient(ddbtest.Endpoint(t)),
		StreamARN: *out.Table.LatestStreamArn,
		Handler: func(ctx context.Context, ev events.DynamoDBEvent) (events.DynamoDBEventResponse, error) {
			return f.handler(ctx, ev)
		},
		BatchSize: 7, // small batches: more of them, and failures in the middle of the stream
	}
	return f
}

// drain runs the processor until the stream has nothing more.
func (f *feed) drain() {
	f.t.Helper()
	for empty := 0; empty < 3; {
		n, err := f.poller.Once(context.Background())
		if err != nil {
			f.t.Logf("poller: %v", err) // a failure injected by the test: polled again
		}
		if n == 0 && err == nil {
			empty++
		} else {
			empty = 0
		}
	}
}

// readAll follows the cursor until the feed has nothing more up to the reader's now−lag.
func (f *feed) readAll(cursor string, o changes.ReadOptions) ([]changes.Entry, string) {
	f.t.Helper()
	var all []changes.Entry
	for {
		o.Cursor = cursor
		page, err := f.reader.Read(context.Background(), o)
		if err != nil {
			f.t.Fatalf("read: %v", err)
		}
		all = append(all, page.Items...)
		if page.NextCursor == cursor || len(page.Items) == 0 {
			return all, page.NextCursor
		}
		cursor = page.NextCursor
	}
}

// startCursor is the cursor for "now", taken before the test writes.
func (f *feed) startCursor() string {
	f.t.Helper()
	page, err := f.reader.Read(context.Background(), changes.ReadOptions{})
	if err != nil {
		f.t.Fatal(err)
	}
	if len(page.Items) != 0 || page.NextCursor == "" {
		f.t.Fatalf("no-cursor read = %+v, want no items and a cursor", page)
	}
	return page.NextCursor
}

// past moves the reader's clock beyond the lag: everything written so far is readable.
func (f *feed) past() { f.offset.Store(int64(testLag + 500*time.Millisecond)) }

// replay applies entries the way a client does: an entry no newer than what is held is
// ignored.
type replay map[string]changes.Entry // kind personId id → last applied upsert

func (r replay) apply(es []changes.Entry) {
	for _, e := range es {
		k := e.Kind + " " + e.PersonID + " " + e.ID
		held, ok := r[k]
		switch {
		case ok && held.Version > e.Version:
		case e.Op == changes.OpDelete:
			delete(r, k)
		case ok && held.Version == e.Version:
		default:
			r[k] = e
		}
	}
}

// tableState is what a full read of the table gives, as replay entries.
func (f *feed) tableState() map[string]string {
	f.t.Helper()
	out := map[string]string{}
	for _, item := range ddbtest.Items(f.t, f.db, f.table) {
		e, ok, err := persons.DecodeEntityItem(item)
		if err != nil {
			f.t.Fatal(err)
		}
		if !ok {
			continue
		}
		b, _ := json.Marshal(e.Value)
		out[e.Entity+" "+e.PersonID+" "+e.ID] = string(b)
	}
	return out
}

func (r replay) state() map[string]string {
	out := map[string]string{}
	for k, e := range r {
		out[k] = string(e.Item)
	}
	return out
}

func sameState(t *testing.T, got, want map[string]string) {
	t.Helper()
	for k, w := range want {
		if got[k] != w {
			t.Errorf("%s: replay has %s, table has %s", k, got[k], w)
		}
	}
	for k := range got {
		if _, ok := want[k]; !ok {
			t.Errorf("%s: in the replay, not in the table", k)
		}
	}
}

// api is the HTTP API over the feed's table.
func (f *feed) api() *httptest.Server {
	srv := httptest.NewServer(api.WithFixedScopes(api.NewHandler(api.Options{Store: f.store}), api.Scopes{Read: true, Write: true, Bank: true}))
	f.t.Cleanup(srv.Close)
	return srv
}

func call(t *testing.T, srv *httptest.Server, method, path string, body any, out any) []byte {
	t.Helper()
	var rd *bytes.Reader
	if body != nil {
		b, _ := json.Marshal(body)
		rd = bytes.NewReader(b)
	} else {
		rd = bytes.NewReader(nil)
	}
	req, _ := http.NewRequest(method, srv.URL+path, rd)
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var buf bytes.Buffer
	_, _ = buf.ReadFrom(resp.Body)
	if resp.StatusCode >= 300 {
		t.Fatalf("%s %s: %d %s", method, path, resp.StatusCode, buf.String())
	}
	if out != nil {
		if err := json.Unmarshal(buf.Bytes(), out); err != nil {
			t.Fatal(err)
		}
	}
	return buf.Bytes()
}

func address(street string, primary bool) map[string]any {
	return map[string]any{"type": "home", "street": street, "city": "Utrecht", "state": "UT",
		"postalCode": "3511", "country": "NL", "isPrimary": primary}
}

// TestAPIWritesMakeEntries: every API write, a primary demotion and a cascade delete
// appear in the feed, in order, with the item as the API returns it.
func TestAPIWritesMakeEntries(t *testing.T) {
	f := newFeed(t)
	srv := f.api()
	start := f.startCursor()

	var p persons.Person
	call(t, srv, "POST", "/persons", map[string]any{"firstName": "Ada", "lastName": "Lovelace"}, &p)
	var a1, a2 struct{ Item persons.Address }
	var a1w, a2w map[string]any
	call(t, srv, "POST", "/persons/"+p.ID+"/addresses", address("Oudegracht 1", true), &a1w)
	b, _ := json.Marshal(a1w)
	_ = json.Unmarshal(b, &a1.Item)
	if a1.Item.ID == "" { // the response may wrap the item
		_ = json.Unmarshal(b, &a1)
	}
	call(t, srv, "POST", "/persons/"+p.ID+"/addresses", address("Neude 2", true), &a2w) // demotes a1
	b, _ = json.Marshal(a2w)
	_ = json.Unmarshal(b, &a2.Item)
	if a2.Item.ID == "" {
		_ = json.Unmarshal(b, &a2)
	}
	call(t, srv, "PATCH", "/persons/"+p.ID, map[string]any{"gender": "female"}, nil)
	personJSON := call(t, srv, "GET", "/persons/"+p.ID, nil, nil)
	call(t, srv, "DELETE", "/persons/"+p.ID, nil, nil) // cascades to both addresses

	f.drain()
	f.past()
	got, _ := f.readAll(start, changes.ReadOptions{})

	type want struct {
		kind, id, op string
		version      int64
	}
	var seq []want
	for _, e := range got {
		seq = append(seq, want{e.Kind, e.ID, e.Op, e.Version})
	}
	wantSeq := []want{
		{"Person", p.ID, "upsert", 1},
		{"Address", a1.Item.ID, "upsert", 1},
		{"Address", a1.Item.ID, "upsert", 2}, // the demotion
		{"Address", a2.Item.ID, "upsert", 1},
		{"Person", p.ID, "upsert", 2},
	}
	if len(seq) < len(wantSeq)+3 {
		t.Fatalf("feed = %+v, want at least %+v and three deletes", seq, wantSeq)
	}
	// The demotion and the new primary are one transaction: their order within it is the
	// stream's; compare as a set there.
	head := seq[:5]
	if head[0] != wantSeq[0] || head[1] != wantSeq[1] || head[4] != wantSeq[4] ||
		!((head[2] == wantSeq[2] && head[3] == wantSeq[3]) || (head[2] == wantSeq[3] && head[3] == wantSeq[2])) {
		t.Errorf("feed head = %+v, want %+v", head, wantSeq)
	}
	deletes := map[string]bool{}
	for _, e := range seq[5:] {
		if e.op != changes.OpDelete {
			t.Errorf("after the person's delete: %+v, want deletes only", e)
		}
		deletes[e.kind+" "+e.id] = true
	}
	for _, k := range []string{"Person " + p.ID, "Address " + a1.Item.ID, "Address " + a2.Item.ID} {
		if !deletes[k] {
			t.Errorf("no delete entry for %s in %+v", k, seq[5:])
		}
	}
	// The person's last upsert carries what GET returned, nulls included.
	var entryItem, getItem any
	_ = json.Unmarshal(got[4].Item, &entryItem)
	_ = json.Unmarshal(personJSON, &getItem)
	if fmt.Sprint(entryItem) != fmt.Sprint(getItem) {
		t.Errorf("entry item %s, GET returned %s", got[4].Item, personJSON)
	}
	if m, _ := entryItem.(map[string]any); m == nil || m["dateOfBirth"] != nil {
		t.Errorf("entry item %s: want dateOfBirth null", got[4].Item)
	} else if _, present := m["dateOfBirth"]; !present {
		t.Errorf("entry item %s: unset optional missing, want null", got[4].Item)
	}
	for _, e := range got {
		if e.Op == changes.OpDelete && string(e.Item) != "null" {
			t.Errorf("delete entry item = %s, want null", e.Item)
		}
	}
	// personId narrows to the one person; every entry here is that person's.
	mine, _ := f.readAll(start, changes.ReadOptions{PersonID: p.ID})
	if len(mine) != len(got) {
		t.Errorf("personId feed has %d entries, want %d", len(mine), len(got))
	}
	other, _ := f.readAll(start, changes.ReadOptions{PersonID: "00000000-0000-4000-8000-000000000000"})
	if len(other) != 0 {
		t.Errorf("another person's feed = %+v, want empty", other)
	}
	// Small pages give the same sequence.
	var paged []changes.Entry
	cur := start
	for {
		page, err := f.reader.Read(context.Background(), changes.ReadOptions{Cursor: cur, Limit: 2})
		if err != nil {
			t.Fatal(err)
		}
		paged = append(paged, page.Items...)
		if len(page.Items) == 0 {
			break
		}
		cur = page.NextCursor
	}
	if len(paged) != len(got) {
		t.Errorf("pages of 2 gave %d entries, want %d", len(paged), len(got))
	}
}

// TestRetriesAndDuplicates: records delivered twice, batches that fail in the middle
// (and are retried from the failed record, as Lambda does) keep every item's entries in
// version order, and the replay equals the table.
func TestRetriesAndDuplicates(t *testing.T) {
	f := newFeed(t)
	start := f.startCursor()
	var calls atomic.Int64
	f.handler = func(ctx context.Context, ev events.DynamoDBEvent) (events.DynamoDBEventResponse, error) {
		n := calls.Add(1)
		if n%3 == 0 { // a record delivered twice in one batch
			ev.Records = append(ev.Records[:len(ev.Records):len(ev.Records)], ev.Records...)
		}
		resp, err := f.proc.Handle(ctx, ev)
		if n%2 == 0 && len(ev.Records) > 1 { // written, but reported failed from the middle: retried
			return events.DynamoDBEventResponse{BatchItemFailures: []events.DynamoDBBatchItemFailure{
				{ItemIdentifier: ev.Records[len(ev.Records)/2].Change.SequenceNumber}}}, nil
		}
		return resp, err
	}
	ctx := context.Background()
	for i := range 5 {
		p, err := f.store.CreatePerson(ctx, persons.Person{FirstName: "P", LastName: fmt.Sprint("L", i)})
		if err != nil {
			t.Fatal(err)
		}
		for j := range 3 {
			if _, err := f.store.UpdatePerson(ctx, p.ID, func(p *persons.Person) error {
				p.FirstName = fmt.Sprint("P", j)
				return nil
			}, 0); err != nil {
				t.Fatal(err)
			}
		}
		if i%2 == 0 {
			if err := f.store.DeletePerson(ctx, p.ID, 0); err != nil {
				t.Fatal(err)
			}
		}
	}
	f.drain()
	f.past()
	got, _ := f.readAll(start, changes.ReadOptions{})
	// A retry writes the records from the failed one on again, in stream order: an
	// item's older versions may then follow newer ones, but its last entry is always its
	// latest change, so a reader that applies entries in order ends with the table.
	distinct := map[string]bool{}
	for _, e := range got {
		distinct[fmt.Sprint(e.Kind, e.ID, e.Version, e.Op)] = true
	}
	if len(distinct) == len(got) {
		t.Errorf("no duplicate entries: the retries were not exercised")
	}
	lastOf := map[string]changes.Entry{}
	for _, e := range got {
		lastOf[e.Kind+" "+e.ID] = e
	}
	for k, e := range lastOf {
		if e.Kind == "Person" && e.Op == changes.OpUpsert && e.Version != 4 {
			t.Errorf("%s: last entry has version %d, want the latest (4)", k, e.Version)
		}
	}
	r := replay{}
	r.apply(got)
	sameState(t, r.state(), f.tableState())
}

// TestGone: a cursor older than the retention is ErrGone; a younger one is not.
func TestGone(t *testing.T) {
	f := newFeed(t)
	start := f.startCursor()
	f.offset.Store(int64(changes.DefaultRetention - time.Minute))
	if _, err := f.reader.Read(context.Background(), changes.ReadOptions{Cursor: start}); err != nil {
		t.Fatalf("cursor within the retention: %v", err)
	}
	f.offset.Store(int64(changes.DefaultRetention + time.Minute))
	if _, err := f.reader.Read(context.Background(), changes.ReadOptions{Cursor: start}); !errors.Is(err, changes.ErrGone) {
		t.Fatalf("cursor beyond the retention: err = %v, want ErrGone", err)
	}
	for _, bad := range []string{"x", "MDAw", "%%%"} {
		if _, err := f.reader.Read(context.Background(), changes.ReadOptions{Cursor: bad}); !errors.Is(err, changes.ErrBadCursor) {
			t.Errorf("cursor %q: err = %v, want ErrBadCursor", bad, err)
		}
	}
}

// TestLateWriteIsRewritten: an entry whose write completes later than half the lag after
// its position is written again at a fresh position, so that a reader that already read
// past the first position still sees it.
func TestLateWriteIsRewritten(t *testing.T) {
	f := newFeed(t)
	base := time.Now()
	var ticks atomic.Int64
	// The first write "completes" a whole lag after its position; later ones in time.
	f.proc.Now = func() time.Time {
		switch n := ticks.Add(1); n {
		case 1:
			return base
		case 2:
			return base.Add(testLag)
		default:
			return base.Add(10*time.Second + time.Duration(n)*time.Microsecond)
		}
	}
	ctx := context.Background()
	if _, err := f.store.CreatePerson(ctx, persons.Person{FirstName: "A", LastName: "B"}); err != nil {
		t.Fatal(err)
	}
	f.drain()
	f.offset.Store(int64(24 * time.Hour))
	all, _ := f.readAll(changes.EncodeCursorAt(base.Add(-time.Hour)), changes.ReadOptions{})
	if len(all) < 2 {
		t.Fatalf("feed = %+v, want the entry written twice", all)
	}
}

// TestNoGap: K writers change persons concurrently while the processor runs and a reader
// follows the cursor, with the real clock and lag; once all is processed, the reader's
// replay equals a full read of the table.
func TestNoGap(t *testing.T) {
	if testing.Short() {
		t.Skip("runs for seconds")
	}
	f := newFeed(t)
	f.offset.Store(0)
	cursor := f.startCursor()
	ctx := context.Background()
	pctx, stopPoller := context.WithCancel(ctx)
	defer stopPoller()
	pollerDone := make(chan struct{})
	go func() { defer close(pollerDone); _ = f.poller.Run(pctx) }()

	r := replay{}
	readerDone := make(chan struct{})
	var stopReading atomic.Bool
	go func() {
		defer close(readerDone)
		for {
			page, err := f.reader.Read(context.Background(), changes.ReadOptions{Cursor: cursor, Limit: 5})
			if err != nil {
				t.Errorf("read: %v", err)
				return
			}
			r.apply(page.Items)
			cursor = page.NextCursor
			if len(page.Items) == 0 {
				if stopReading.Load() {
					return
				}
				time.Sleep(30 * time.Millisecond)
			}
		}
	}()

	const K, ops = 4, 40
	var wg sync.WaitGroup
	for w := range K {
		wg.Add(1)
		go func() {
			defer wg.Done()
			rnd := rand.New(rand.NewPCG(uint64(w), 1))
			var ids []string
			for i := range ops {
				switch x := rnd.IntN(10); {
				case x < 4 || len(ids) == 0:
					p, err := f.store.CreatePerson(ctx, persons.Person{FirstName: "W", LastName: fmt.Sprint("W", w, "-", i)})
					if err != nil {
						t.Error(err)
						return
					}
					ids = append(ids, p.ID)
				case x < 6:
					id := ids[rnd.IntN(len(ids))]
					_, err := f.store.Addresses().Create(ctx, id, persons.Address{Type: "home", Street: "S", City: "C",
						State: "S", PostalCode: "1", Country: "NL", Primary: persons.Primary{IsPrimary: true}})
					if err != nil && !errors.Is(err, persons.ErrNotFound) {
						t.Error(err)
					}
				case x < 8:
					id := ids[rnd.IntN(len(ids))]
					_, err := f.store.UpdatePerson(ctx, id, func(p *persons.Person) error { p.FirstName = fmt.Sprint("W", i); return nil }, 0)
					if err != nil && !errors.Is(err, persons.ErrNotFound) {
						t.Error(err)
					}
				default:
					k := rnd.IntN(len(ids))
					if err := f.store.DeletePerson(ctx, ids[k], 0); err != nil && !errors.Is(err, persons.ErrNotFound) {
						t.Error(err)
					}
					ids = append(ids[:k], ids[k+1:]...)
				}
			}
		}()
	}
	wg.Wait()
	// Let the processor catch up (it keeps running while the reader reads), then the
	// lag pass, then stop the reader at its next empty page.
	want := f.tableState()
	time.Sleep(time.Second)
	stopPoller()
	<-pollerDone
	f.drain()
	time.Sleep(testLag + 200*time.Millisecond)
	stopReading.Store(true)
	<-readerDone
	sameState(t, r.state(), want)
	if len(want) == 0 {
		t.Fatal("the writers wrote nothing")
	}
	t.Logf("%d items, replay equal", len(want))
}
