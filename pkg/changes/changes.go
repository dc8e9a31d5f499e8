// Package changes is the change feed: a durable, ordered log of every change to the
// persons table, built from the table's DynamoDB stream and kept in the same table.
//
// # Writing: the processor
//
// Handle takes the stream records Lambda delivers (events.DynamoDBEvent; locally the
// Poller reads DynamoDB Local's stream and builds the same event) and writes one log
// entry per change of an entity item: an upsert with the item's API representation, or
// a delete with its key. Writes made by anything (the API, the seed, cascade deletes,
// primary demotions) reach the stream, so they all reach the log. A MODIFY that leaves
// the API representation unchanged (a PROFILE's counters or primary pointers) writes
// nothing.
//
// Entries live in N log partitions, pk = "CHANGES#<p>" with p = fnv32a(personId) mod N,
// so that the log is not one hot partition and one person's entries are in one
// partition. Their sort key is their position, "<µs>#<sequence number>#<event id>",
// where µs is the PROCESSOR's clock when it writes the entry (zero-padded to 16 digits).
// Entries expire through the table's TTL attribute after Retention.
//
// # Reading: positions, the safety lag and why nothing is skipped
//
// Read merges the partitions by position: one total order, the same for every reader.
// It only returns entries positioned before now−Lag, and its cursor never passes
// now−Lag. An entry positioned at P becomes visible when its write completes, at some
// V ≥ P. A reader can skip it only if it read past P before V, which needs V−P > Lag.
// The processor makes that impossible: each write carries a deadline of Lag/2 after P,
// and a write that completed later than P+Lag/2 (or failed) is written again at a fresh
// position. Positions come from the processor's clock rather than the stream's
// approximate creation time for this reason: a processor that falls behind (throttling,
// retries, a poison record bisected away) writes its entries late, and with creation
// times they would land behind cursors that already passed them. The remaining margin
// (Lag/2) covers the clock difference between processor and reader instances and the
// time between a write's acknowledgement and its visibility to a strongly consistent
// read (none).
//
// Duplicates are possible (a retried batch, a rewrite, a record delivered twice) and
// harmless: an entry carries the item's version, and a client ignores entries older
// than (or as old as) what it holds. For one item, a later change is always written
// after an earlier one (a shard is processed in order, and a failed record is retried
// with all records after it), so its last entry in the log is its latest state.
//
// A cursor older than Retention answers ErrGone: entries may have expired, so the client
// must load everything again.
package changes

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"hash/fnv"
	"log/slog"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/personsapi/persons/pkg/persons"
)

// Defaults of the log's settings.
const (
	// PKPrefix starts the partition key of every log partition.
	PKPrefix = "CHANGES#"
	// DefaultPartitions is N. A DynamoDB partition takes 1,000 WCU/s; entries are
	// mostly under 1 KB, so the log takes about N×1,000 changes/s. Readers must use at
	// least the processor's N (reading more partitions is harmless, so N may only grow).
	DefaultPartitions = 8
	// DefaultRetention is how long entries are kept (TTL) and how old a cursor may be.
	DefaultRetention = 7 * 24 * time.Hour
	// DefaultLag is the safety lag: readers see entries positioned before now−Lag.
	DefaultLag = 5 * time.Second
	// DefaultLimit and MaxLimit bound a page of the feed.
	DefaultLimit = 100
	MaxLimit     = 1000
)

// Operations of an entry.
const (
	OpUpsert = "upsert"
	OpDelete = "delete"
)

// Entry attribute names (besides pk, sk and the TTL attribute).
const (
	attrKind     = "kind"
	attrPersonID = "personId"
	attrID       = "id"
	attrOp       = "op"
	attrVersion  = "version"
	attrItem     = "item"
	attrTime     = "time"
)

// Entry is one change in the feed.
type Entry struct {
	// Kind is the entity: "Person", "Address", "BankAccount", "ContactInfo", "Employment".
	Kind     string `json:"kind"`
	PersonID string `json:"personId"`
	ID       string `json:"id"`
	// Op is "upsert" or "delete".
	Op string `json:"op"`
	// Version is the item's version after an upsert, its last version for a delete.
	Version int64 `json:"version"`
	// Item is what GET of the item returns, for upserts; null for deletes.
	Item json.RawMessage `json:"item"`
	// Time is when the change was made (the stream's approximate creation time, to the second).
	Time string `json:"time"`
}

// Log is the change log of one table: the processor writes it, readers read it. Its
// zero settings mean the defaults.
type Log struct {
	DB         *dynamodb.Client
	Table      string
	Partitions int
	Retention  time.Duration
	Lag        time.Duration
	// Now is the clock; nil means time.Now.
	Now func() time.Time
	// Logger receives the processor's failures (no item content, only keys' kinds and
	// errors); nil means slog.Default().
	Logger *slog.Logger
}

func (l *Log) partitions() int {
	if l.Partitions > 0 {
		return l.Partitions
	}
	return DefaultPartitions
}

func (l *Log) retention() time.Duration {
	if l.Retention > 0 {
		return l.Retention
	}
	return DefaultRetention
}

func (l *Log) lag() time.Duration {
	if l.Lag > 0 {
		return l.Lag
	}
	return DefaultLag
}

func (l *Log) logger() *slog.Logger {
	if l.Logger != nil {
		return l.Logger
	}
	return slog.Default()
}

func (l *Log) now() time.Time {
	if l.Now != nil {
		return l.Now()
	}
	return time.Now()
}

// partition is the log partition of a person's entries.
func (l *Log) partition(personID string) string {
	h := fnv.New32a()
	h.Write([]byte(personID))
	return PKPrefix + strconv.Itoa(int(h.Sum32()%uint32(l.partitions())))
}

// position formats a time as the start of a position: 16 digits of µs since the epoch.
func position(t time.Time) string { return fmt.Sprintf("%016d", t.UnixMicro()) }

// ---- the processor ----

// pending is an entry to write, with the record it comes from.
type pending struct {
	seq, eventID string
	personID     string
	attrs        map[string]types.AttributeValue
}

// Handle writes the log entries of a batch of stream records. A record that cannot be
// written is reported in BatchItemFailures (with ReportBatchItemFailures, Lambda retries
// from it on: the records after it are not written now, as they will come again). It
// never returns an error, so that one bad record does not fail the batch.
func (l *Log) Handle(ctx context.Context, ev events.DynamoDBEvent) (events.DynamoDBEventResponse, error) {
	var resp events.DynamoDBEventResponse
	var batch []pending
	failAt := -1
	for i, r := range ev.Records {
		p, ok, err := entryOf(r)
		if err != nil {
			l.logger().ErrorContext(ctx, "change feed: record failed", "sequence_number", r.Change.SequenceNumber, "event", r.EventName, "error", err.Error())
			failAt = i
			break
		}
		if ok {
			p.personID = p.attrs[attrPersonID].(*types.AttributeValueMemberS).Value
			batch = append(batch, p)
		}
	}
	// What came before the first bad record is written; if that fails, the whole batch
	// is retried.
	if err := l.write(ctx, batch); err != nil {
		l.logger().ErrorContext(ctx, "change feed: write failed", "entries", len(batch), "error", err.Error())
		if len(ev.Records) > 0 {
			resp.BatchItemFailures = []events.DynamoDBBatchItemFailure{{ItemIdentifier: firstSeq(ev, batch)}}
		}
		return resp, nil
	}
	if failAt >= 0 {
		resp.BatchItemFailures = []events.DynamoDBBatchItemFailure{{ItemIdentifier: ev.Records[failAt].Change.SequenceNumber}}
	}
	return resp, nil
}

// firstSeq is the sequence number to retry from when writing batch failed.
func firstSeq(ev events.DynamoDBEvent, batch []pending) string {
	if len(batch) > 0 {
		return batch[0].seq
	}
	return ev.Records[0].Change.SequenceNumber
}

// entryOf turns a stream record into the attributes of its entry (without keys).
// ok is false for records that change no entity's API representation.
func entryOf(r events.DynamoDBEventRecord) (p pending, ok bool, err error) {
	newItem, err := toItem(r.Change.NewImage)
	if err != nil {
		return p, false, err
	}
	oldItem, err := toItem(r.Change.OldImage)
	if err != nil {
		return p, false, err
	}
	var e persons.EntityItem
	op := OpUpsert
	switch r.EventName {
	case "INSERT", "MODIFY":
		if e, ok, err = persons.DecodeEntityItem(newItem); err != nil || !ok {
			return p, false, err
		}
		if r.EventName == "MODIFY" {
			old, oldOK, err := persons.DecodeEntityItem(oldItem)
			if err != nil {
				return p, false, err
			}
			if oldOK && sameJSON(old.Value, e.Value) {
				return p, false, nil
			}
		}
	case "REMOVE":
		op = OpDelete
		if e, ok, err = persons.DecodeEntityItem(oldItem); err != nil || !ok {
			return p, false, err
		}
	default:
		return p, false, fmt.Errorf("unknown stream event %q", r.EventName)
	}
	item := "null"
	if op == OpUpsert {
		b, err := json.Marshal(e.Value)
		if err != nil {
			return p, false, fmt.Errorf("encode %s: %w", e.Entity, err)
		}
		item = string(b)
	}
	s := func(v string) types.AttributeValue { return &types.AttributeValueMemberS{Value: v} }
	p = pending{
		seq:     r.Change.SequenceNumber,
		eventID: r.EventID,
		attrs: map[string]types.AttributeValue{
			attrKind:     s(e.Entity),
			attrPersonID: s(e.PersonID),
			attrID:       s(e.ID),
			attrOp:       s(op),
			attrVersion:  &types.AttributeValueMemberN{Value: strconv.FormatInt(e.Version, 10)},
			attrItem:     s(item),
			attrTime:     s(persons.Timestamp(r.Change.ApproximateCreationDateTime.Time)),
		},
	}
	return p, true, nil
}

func sameJSON(a, b any) bool {
	ja, err1 := json.Marshal(a)
	jb, err2 := json.Marshal(b)
	return err1 == nil && err2 == nil && string(ja) == string(jb)
}

// maxBatch is BatchWriteItem's limit.
const maxBatch = 25

// write writes the entries, BatchWriteItem by BatchWriteItem, each at positions taken
// from the clock right before it; a write that fails or completes too late for the lag
// is written again at fresh positions (see the package documentation).
func (l *Log) write(ctx context.Context, batch []pending) error {
	for len(batch) > 0 {
		n := min(len(batch), maxBatch)
		if err := l.writeChunk(ctx, batch[:n]); err != nil {
			return err
		}
		batch = batch[n:]
	}
	return nil
}

// maxRewrites bounds the rewrites of one chunk before the batch fails (and Lambda retries it).
const maxRewrites = 5

func (l *Log) writeChunk(ctx context.Context, chunk []pending) error {
	budget := l.lag() / 2
	todo := chunk
	for attempt := 0; len(todo) > 0; attempt++ {
		if attempt == maxRewrites {
			return fmt.Errorf("write change log: %d entries still unwritten after %d attempts", len(todo), attempt)
		}
		start := l.now()
		pos := position(start)
		ttl := strconv.FormatInt(start.Add(l.retention()).Unix(), 10)
		var reqs []types.WriteRequest
		seen := map[string]bool{}
		for _, p := range todo {
			sk := pos + "#" + fmt.Sprintf("%040s", p.seq) + "#" + p.eventID
			pk := l.partition(p.personID)
			if seen[pk+sk] { // a record delivered twice in one batch: one entry
				continue
			}
			seen[pk+sk] = true
			item := map[string]types.AttributeValue{
				persons.AttrPK:             &types.AttributeValueMemberS{Value: pk},
				persons.AttrSK:             &types.AttributeValueMemberS{Value: sk},
				persons.Table.TTLAttribute: &types.AttributeValueMemberN{Value: ttl},
			}
			for k, v := range p.attrs {
				item[k] = v
			}
			reqs = append(reqs, types.WriteRequest{PutRequest: &types.PutRequest{Item: item}})
		}
		wctx, cancel := context.WithDeadline(ctx, start.Add(budget))
		out, err := l.DB.BatchWriteItem(wctx, &dynamodb.BatchWriteItemInput{RequestItems: map[string][]types.WriteRequest{l.Table: reqs}})
		cancel()
		if err != nil {
			if ctx.Err() != nil {
				return fmt.Errorf("write change log: %w", err)
			}
			continue // timed out or failed: everything again, at fresh positions
		}
		if l.now().Sub(start) > budget {
			continue // visible too late for readers that passed pos: again, fresh positions
		}
		// Unprocessed items were not written: again, at fresh positions.
		var left []pending
		for _, wr := range out.UnprocessedItems[l.Table] {
			sk := wr.PutRequest.Item[persons.AttrSK].(*types.AttributeValueMemberS).Value
			for _, p := range todo {
				if strings.HasSuffix(sk, "#"+p.eventID) {
					left = append(left, p)
					break
				}
			}
		}
		todo = left
	}
	return nil
}

// ---- the reader ----

// Page is one answer of the feed.
type Page struct {
	Items []Entry `json:"items"`
	// NextCursor continues after the last item (or, when the feed is caught up, at
	// now−Lag): always present.
	NextCursor string `json:"nextCursor"`
}

// Errors of Read.
var (
	// ErrGone: the cursor is older than the retention; load everything again.
	ErrGone = errors.New("cursor is older than the change log's retention: load everything again")
	// ErrBadCursor: the cursor is not one the feed made.
	ErrBadCursor = errors.New("malformed cursor")
)

// ReadOptions select a page of the feed.
type ReadOptions struct {
	// Cursor continues a previous page; empty returns no items and a cursor for now.
	Cursor string
	// Limit is the most entries to return: 0 means DefaultLimit, at most MaxLimit.
	Limit int
	// PersonID narrows the feed to one person (one partition).
	PersonID string
}

var positionRE = regexp.MustCompile(`^[0-9]{16}(#[0-9]{40}#[!-~]{1,200})?$`)

// EncodeCursor and decodeCursor make a position opaque to clients. A cursor is not
// signed: it only names a position, and every position may be read.
func encodeCursor(pos string) string { return base64.RawURLEncoding.EncodeToString([]byte(pos)) }

func decodeCursor(c string) (pos string, at time.Time, err error) {
	b, err := base64.RawURLEncoding.DecodeString(c)
	if err != nil || !positionRE.Match(b) {
		return "", time.Time{}, ErrBadCursor
	}
	us, err := strconv.ParseInt(string(b[:16]), 10, 64)
	if err != nil {
		return "", time.Time{}, ErrBadCursor
	}
	return string(b), time.UnixMicro(us), nil
}

// Read returns the entries after o.Cursor, in log order, up to now−Lag.
func (l *Log) Read(ctx context.Context, o ReadOptions) (Page, error) {
	limit := o.Limit
	if limit <= 0 {
		limit = DefaultLimit
	}
	limit = min(limit, MaxLimit)
	now := l.now()
	bound := position(now.Add(-l.lag()))
	if o.Cursor == "" {
		return Page{Items: []Entry{}, NextCursor: encodeCursor(bound)}, nil
	}
	after, at, err := decodeCursor(o.Cursor)
	if err != nil {
		return Page{}, err
	}
	if at.Before(now.Add(-l.retention())) {
		return Page{}, ErrGone
	}
	if after >= bound { // nothing can be read yet (the query would reject the start key)
		return Page{Items: []Entry{}, NextCursor: o.Cursor}, nil
	}
	parts := make([]string, 0, l.partitions())
	if o.PersonID != "" {
		parts = append(parts, l.partition(o.PersonID))
	} else {
		for p := range l.partitions() {
			parts = append(parts, PKPrefix+strconv.Itoa(p))
		}
	}
	type found struct {
		sk string
		e  Entry
	}
	var all []found
	complete := true // every partition was read to the bound
	for _, pk := range parts {
		in := &dynamodb.QueryInput{
			TableName:              aws.String(l.Table),
			KeyConditionExpression: aws.String("#pk = :pk AND #sk < :bound"),
			ExpressionAttributeNames: map[string]string{
				"#pk": persons.AttrPK, "#sk": persons.AttrSK,
			},
			ExpressionAttributeValues: map[string]types.AttributeValue{
				":pk":    &types.AttributeValueMemberS{Value: pk},
				":bound": &types.AttributeValueMemberS{Value: bound},
			},
			ExclusiveStartKey: map[string]types.AttributeValue{
				persons.AttrPK: &types.AttributeValueMemberS{Value: pk},
				persons.AttrSK: &types.AttributeValueMemberS{Value: after},
			},
			// Strongly consistent: an acknowledged entry must be seen (the lag argument).
			ConsistentRead: aws.Bool(true),
			Limit:          aws.Int32(int32(limit)),
		}
		if o.PersonID != "" {
			in.FilterExpression = aws.String("#person = :person")
			in.ExpressionAttributeNames["#person"] = attrPersonID
			in.ExpressionAttributeValues[":person"] = &types.AttributeValueMemberS{Value: o.PersonID}
		}
		n := 0
		for {
			out, err := l.DB.Query(ctx, in)
			if err != nil {
				return Page{}, fmt.Errorf("read change log %s: %w", pk, err)
			}
			for _, item := range out.Items {
				e, err := decodeEntry(item)
				if err != nil {
					return Page{}, err
				}
				all = append(all, found{item[persons.AttrSK].(*types.AttributeValueMemberS).Value, e})
				n++
			}
			if len(out.LastEvaluatedKey) == 0 {
				break
			}
			if n >= limit {
				complete = false
				break
			}
			in.ExclusiveStartKey = out.LastEvaluatedKey
		}
	}
	slices.SortFunc(all, func(a, b found) int { return strings.Compare(a.sk, b.sk) })
	page := Page{Items: make([]Entry, 0, min(len(all), limit))}
	if len(all) > limit {
		complete = false
		all = all[:limit]
	}
	for _, f := range all {
		page.Items = append(page.Items, f.e)
	}
	switch {
	case complete:
		// Every partition was read up to the bound: the next read starts there.
		page.NextCursor = encodeCursor(bound)
	case len(all) > 0:
		page.NextCursor = encodeCursor(all[len(all)-1].sk)
	default:
		page.NextCursor = o.Cursor
	}
	return page, nil
}

func decodeEntry(item map[string]types.AttributeValue) (Entry, error) {
	str := func(name string) string {
		v, _ := item[name].(*types.AttributeValueMemberS)
		if v == nil {
			return ""
		}
		return v.Value
	}
	e := Entry{Kind: str(attrKind), PersonID: str(attrPersonID), ID: str(attrID), Op: str(attrOp),
		Item: json.RawMessage(str(attrItem)), Time: str(attrTime)}
	if v, ok := item[attrVersion].(*types.AttributeValueMemberN); ok {
		n, err := strconv.ParseInt(v.Value, 10, 64)
		if err != nil {
			return Entry{}, fmt.Errorf("change log entry version %q: %w", v.Value, err)
		}
		e.Version = n
	}
	if !json.Valid(e.Item) {
		return Entry{}, fmt.Errorf("change log entry of %s %s: item is not JSON", e.Kind, e.ID)
	}
	return e, nil
}

// EncodeCursorAt is a cursor at time t: what a client that read everything up to t
// would hold. Tests and tools use it.
func EncodeCursorAt(t time.Time) string { return encodeCursor(position(t)) }
