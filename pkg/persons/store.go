package persons

import (
	"context"
	"fmt"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/expression"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/google/uuid"
)

// Store reads and writes persons and their related items in the single table.
// It is safe for concurrent use; build one per process and share it.
type Store struct {
	db    *dynamodb.Client
	table string
	now   func() time.Time
	newID func() string
	// retryBudget bounds the time the optimistic retry loops (isPrimary switches,
	// writes without an expected version) spend under contention; see retry.
	retryBudget time.Duration
	cursorKeys  [][]byte // the first signs cursors, all verify them
}

// New returns a Store on the named table. Without WithCursorKeys the store signs its
// cursors with a random key of its own, which no other process accepts.
func New(db *dynamodb.Client, table string, opts ...Option) *Store {
	s := &Store{
		db:          db,
		table:       table,
		now:         time.Now,
		newID:       uuid.NewString,
		retryBudget: DefaultRetryBudget,
	}
	for _, o := range opts {
		o(s)
	}
	if len(s.cursorKeys) == 0 {
		s.cursorKeys = [][]byte{randomCursorKey()}
	}
	return s
}

// Table is the name of the table the store uses.
func (s *Store) Table() string { return s.table }

// Timestamp formats t the way the server writes every date-time it sets: RFC 3339, UTC,
// milliseconds.
func Timestamp(t time.Time) string { return t.UTC().Format("2006-01-02T15:04:05.000Z07:00") }

func key(pk, sk string) map[string]types.AttributeValue {
	return map[string]types.AttributeValue{AttrPK: sv(pk), AttrSK: sv(sk)}
}

func (s *Store) tx() *tx { return &tx{table: s.table} }

// consistency is how a read sees recent writes. DynamoDB bills a strongly consistent
// read 1 RCU per 4 KB, an eventually consistent one half of that.
type consistency bool

const (
	// strong sees every write acknowledged before the read: for the reads a write is
	// conditioned on (a write must not start from a stale copy, or it would be refused
	// and retried), and for the cascade delete's reads (each must see every item
	// written before the PROFILE was marked).
	strong consistency = true
	// eventual may miss writes of the last second or so: for the reads that only
	// answer a GET. Nothing is written from them, and an ETag (version) read stale
	// cannot lose an update: the write it conditions is refused with 412 and the
	// current item (ErrVersionMismatch), which the client merges.
	eventual consistency = false
)

// getItem reads one item; ErrNotFound when it does not exist.
func (s *Store) getItem(ctx context.Context, pk, sk string, c consistency) (map[string]types.AttributeValue, error) {
	out, err := s.db.GetItem(ctx, &dynamodb.GetItemInput{
		TableName:      aws.String(s.table),
		Key:            key(pk, sk),
		ConsistentRead: aws.Bool(bool(c)),
	})
	if err != nil {
		return nil, fmt.Errorf("get %s %s: %w", pk, sk, err)
	}
	if len(out.Item) == 0 {
		return nil, ErrNotFound
	}
	return out.Item, nil
}

// queryPage reads up to limit items of a query, following DynamoDB pages (1 MB each)
// only while fewer items than limit+1 have been read. It reads one item more than asked
// so that the last page carries no cursor. It returns the items and the cursor. The
// cursor, when given, replaces in's ExclusiveStartKey.
//
// With a FilterExpression a Query returns fewer items than it read: the page goes on
// reading, each Query's Limit sized by the share of matches so far (readLimit), until it
// is full, the list ends, or maxReadsPerPage Queries are spent: then it ends with the
// items it has and a cursor at the last key read.
func (s *Store) queryPage(ctx context.Context, in *dynamodb.QueryInput, l listRef, limit int, cursor string) ([]map[string]types.AttributeValue, string, error) {
	start, err := s.decodeCursor(l, cursor)
	if err != nil {
		return nil, "", err
	}
	if start != nil {
		in.ExclusiveStartKey = start
	}
	var items []map[string]types.AttributeValue
	scanned := 0
	for reads := 1; ; reads++ {
		in.Limit = aws.Int32(readLimit(limit+1-len(items), scanned, len(items)))
		out, err := s.db.Query(ctx, in)
		if err != nil {
			return nil, "", fmt.Errorf("query: %w", err)
		}
		items, scanned = append(items, out.Items...), scanned+int(out.ScannedCount)
		switch {
		case len(items) > limit:
			next, err := s.encodeCursor(l, items[limit-1])
			return items[:limit], next, err
		case len(out.LastEvaluatedKey) == 0:
			return items, "", nil
		case reads == maxReadsPerPage:
			next, err := s.encodeCursor(l, out.LastEvaluatedKey)
			return items, next, err
		}
		in.ExclusiveStartKey = out.LastEvaluatedKey
	}
}

// queryAll reads every item of a query, page by page.
func (s *Store) queryAll(ctx context.Context, in *dynamodb.QueryInput) ([]map[string]types.AttributeValue, error) {
	var items []map[string]types.AttributeValue
	p := dynamodb.NewQueryPaginator(s.db, in)
	for p.HasMorePages() {
		out, err := p.NextPage(ctx)
		if err != nil {
			return nil, fmt.Errorf("query: %w", err)
		}
		items = append(items, out.Items...)
	}
	return items, nil
}

func partitionQuery(table, pk string, cond *expression.KeyConditionBuilder, proj *expression.ProjectionBuilder, c consistency) (*dynamodb.QueryInput, error) {
	kc := expression.Key(AttrPK).Equal(expression.Value(pk))
	if cond != nil {
		kc = kc.And(*cond)
	}
	b := expression.NewBuilder().WithKeyCondition(kc)
	if proj != nil {
		b = b.WithProjection(*proj)
	}
	e, err := b.Build()
	if err != nil {
		return nil, err
	}
	return &dynamodb.QueryInput{
		TableName:                 aws.String(table),
		KeyConditionExpression:    e.KeyCondition(),
		ProjectionExpression:      e.Projection(),
		ExpressionAttributeNames:  e.Names(),
		ExpressionAttributeValues: e.Values(),
		ConsistentRead:            aws.Bool(bool(c)),
	}, nil
}
