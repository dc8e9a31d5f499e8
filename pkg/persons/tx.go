package persons

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/expression"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
)

// part names one write of a transaction, so that a failed condition is reported by what
// it guarded, never by position.
type part string

const (
	partItem    part = "item"            // the item's own put or delete
	partPerson  part = "person exists"   // condition check: the PROFILE item exists
	partPointer part = "primary pointer" // the PROFILE's pointer to the kind's primary item moves
	partDemote  part = "demotion"        // the previous primary item stops being primary
	partProfile part = "profile"         // a person's PROFILE item (its delete)
)

// txWrite is one write of a transaction, as DynamoDB's single-item requests and
// TransactWriteItems both understand it.
type txWrite struct {
	name   part
	key    map[string]types.AttributeValue // update, delete, check
	item   map[string]types.AttributeValue // put
	update *expression.UpdateBuilder       // update
	delete bool
	cond   *expression.ConditionBuilder // nil: unconditional
}

// tx builds the writes of one atomic change. One write goes out as a single-item request
// (PutItem, UpdateItem or DeleteItem: half the write cost of a transaction), more as one
// TransactWriteItems.
type tx struct {
	table  string
	writes []txWrite
}

func (t *tx) put(name part, item map[string]types.AttributeValue, cond expression.ConditionBuilder) {
	t.writes = append(t.writes, txWrite{name: name, item: item, cond: &cond})
}

func (t *tx) update(name part, key map[string]types.AttributeValue, upd expression.UpdateBuilder, cond expression.ConditionBuilder) {
	t.writes = append(t.writes, txWrite{name: name, key: key, update: &upd, cond: &cond})
}

// del deletes the item at key; cond may be nil.
func (t *tx) del(name part, key map[string]types.AttributeValue, cond *expression.ConditionBuilder) {
	t.writes = append(t.writes, txWrite{name: name, key: key, delete: true, cond: cond})
}

func (t *tx) check(name part, key map[string]types.AttributeValue, cond expression.ConditionBuilder) {
	t.writes = append(t.writes, txWrite{name: name, key: key, cond: &cond})
}

// conditionError reports which parts of a write failed their condition.
type conditionError struct {
	parts []part
}

func (e *conditionError) Error() string {
	names := make([]string, len(e.parts))
	for i, p := range e.parts {
		names[i] = string(p)
	}
	return "condition failed: " + strings.Join(names, ", ")
}

// failed reports whether part p failed its condition.
func (e *conditionError) failed(p part) bool { return slices.Contains(e.parts, p) }

// only reports whether p is the only part that failed.
func (e *conditionError) only(p part) bool { return len(e.parts) == 1 && e.parts[0] == p }

// errConflict: DynamoDB cancelled a transaction that collided with another one on the
// same items. Nothing was written; trying again is right.
var errConflict = errors.New("transaction conflict")

// commit sends the writes. A failed condition is a *conditionError naming the parts that
// failed; a transaction conflict is errConflict.
func (t *tx) commit(ctx context.Context, db *dynamodb.Client) error {
	var err error
	switch len(t.writes) {
	case 0:
		return nil
	case 1:
		err = t.writes[0].send(ctx, db, t.table)
		var ccf *types.ConditionalCheckFailedException
		if errors.As(err, &ccf) {
			return &conditionError{parts: []part{t.writes[0].name}}
		}
	default:
		items := make([]types.TransactWriteItem, len(t.writes))
		for i, w := range t.writes {
			if items[i], err = w.transactItem(t.table); err != nil {
				return err
			}
		}
		_, err = db.TransactWriteItems(ctx, &dynamodb.TransactWriteItemsInput{TransactItems: items})
		if err := t.cancellation(err); err != nil {
			return err
		}
	}
	if err != nil {
		return fmt.Errorf("write %s: %w", t.writes[0].name, err)
	}
	return nil
}

// cancellation translates a cancelled transaction: its reasons are in the order of the
// writes. It returns nil for other errors.
func (t *tx) cancellation(err error) error {
	var tcf *types.TransactionConflictException
	if errors.As(err, &tcf) {
		return errConflict
	}
	var tce *types.TransactionCanceledException
	if !errors.As(err, &tce) {
		return nil
	}
	ce := &conditionError{}
	conflict := false
	for i, r := range tce.CancellationReasons {
		switch aws.ToString(r.Code) {
		case "ConditionalCheckFailed":
			if i < len(t.writes) {
				ce.parts = append(ce.parts, t.writes[i].name)
			}
		case "TransactionConflict":
			conflict = true
		}
	}
	switch {
	case len(ce.parts) > 0:
		return ce
	case conflict:
		return errConflict
	default:
		return fmt.Errorf("transaction cancelled: %w", err)
	}
}

func (w txWrite) expr() (expression.Expression, error) {
	b := expression.NewBuilder()
	if w.update != nil {
		b = b.WithUpdate(*w.update)
	}
	if w.cond != nil {
		b = b.WithCondition(*w.cond)
	}
	if w.update == nil && w.cond == nil {
		return expression.Expression{}, nil
	}
	e, err := b.Build()
	if err != nil {
		return e, fmt.Errorf("%s expression: %w", w.name, err)
	}
	return e, nil
}

// send issues w as a single-item request.
func (w txWrite) send(ctx context.Context, db *dynamodb.Client, table string) error {
	e, err := w.expr()
	if err != nil {
		return err
	}
	switch {
	case w.item != nil:
		_, err = db.PutItem(ctx, &dynamodb.PutItemInput{TableName: &table, Item: w.item,
			ConditionExpression: e.Condition(), ExpressionAttributeNames: e.Names(), ExpressionAttributeValues: e.Values()})
	case w.update != nil:
		_, err = db.UpdateItem(ctx, &dynamodb.UpdateItemInput{TableName: &table, Key: w.key, UpdateExpression: e.Update(),
			ConditionExpression: e.Condition(), ExpressionAttributeNames: e.Names(), ExpressionAttributeValues: e.Values()})
	case w.delete:
		_, err = db.DeleteItem(ctx, &dynamodb.DeleteItemInput{TableName: &table, Key: w.key,
			ConditionExpression: e.Condition(), ExpressionAttributeNames: e.Names(), ExpressionAttributeValues: e.Values()})
	default:
		// A condition check alone writes nothing: DynamoDB has no single-item request for it.
		return fmt.Errorf("%s: a condition check needs a write beside it", w.name)
	}
	return err
}

// transactItem renders w as a part of TransactWriteItems.
func (w txWrite) transactItem(table string) (types.TransactWriteItem, error) {
	e, err := w.expr()
	if err != nil {
		return types.TransactWriteItem{}, err
	}
	switch {
	case w.item != nil:
		return types.TransactWriteItem{Put: &types.Put{TableName: &table, Item: w.item,
			ConditionExpression: e.Condition(), ExpressionAttributeNames: e.Names(), ExpressionAttributeValues: e.Values()}}, nil
	case w.update != nil:
		return types.TransactWriteItem{Update: &types.Update{TableName: &table, Key: w.key, UpdateExpression: e.Update(),
			ConditionExpression: e.Condition(), ExpressionAttributeNames: e.Names(), ExpressionAttributeValues: e.Values()}}, nil
	case w.delete:
		return types.TransactWriteItem{Delete: &types.Delete{TableName: &table, Key: w.key,
			ConditionExpression: e.Condition(), ExpressionAttributeNames: e.Names(), ExpressionAttributeValues: e.Values()}}, nil
	default:
		return types.TransactWriteItem{ConditionCheck: &types.ConditionCheck{TableName: &table, Key: w.key,
			ConditionExpression: e.Condition(), ExpressionAttributeNames: e.Names(), ExpressionAttributeValues: e.Values()}}, nil
	}
}
