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
	partItem part = "item" // the item's own put or delete
	// partPerson is the related item's person, its PROFILE item: it exists and is not
	// being deleted; a create counts the item there, under the cap; a write that changes
	// which item is primary moves the pointer there, on condition that it did not move.
	partPerson  part = "person"
	partDemote  part = "demotion" // the previous primary item stops being primary
	partProfile part = "profile"  // a person's own write of its PROFILE item
)

// txWrite is one write of a transaction, as DynamoDB's single-item requests and
// TransactWriteItems both understand it: a put, an update or a delete. (No condition
// checks: every condition the store needs sits on an item it writes anyway, and a
// ConditionCheck costs a write unit like a write.)
type txWrite struct {
	name   part
	key    map[string]types.AttributeValue // update, delete
	item   map[string]types.AttributeValue // put
	update *expression.UpdateBuilder       // update
	cond   *expression.ConditionBuilder    // nil: unconditional
	// returnOld asks DynamoDB for the item as it was when the condition failed, so that
	// the caller can tell why (conditionError.old).
	returnOld bool
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

// returnOld asks for the item as it was should the condition of part name fail: a
// conflict then reports the stored item without another read.
func (t *tx) returnOld(name part) {
	for i := range t.writes {
		if t.writes[i].name == name {
			t.writes[i].returnOld = true
		}
	}
}

// del deletes the item at key; cond may be nil.
func (t *tx) del(name part, key map[string]types.AttributeValue, cond *expression.ConditionBuilder) {
	t.writes = append(t.writes, txWrite{name: name, key: key, cond: cond})
}

// conditionError reports which parts of a write failed their condition.
type conditionError struct {
	parts []part
	// old holds, for the failed parts that asked for it, the item as it was; a failed
	// part on an item that does not exist has no entry.
	old map[part]map[string]types.AttributeValue
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
		w := t.writes[0]
		err = w.send(ctx, db, t.table)
		var ccf *types.ConditionalCheckFailedException
		if errors.As(err, &ccf) {
			ce := &conditionError{parts: []part{w.name}}
			if w.returnOld && len(ccf.Item) > 0 {
				ce.old = map[part]map[string]types.AttributeValue{w.name: ccf.Item}
			}
			return ce
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
			if i >= len(t.writes) {
				continue
			}
			w := t.writes[i]
			ce.parts = append(ce.parts, w.name)
			if w.returnOld && len(r.Item) > 0 {
				if ce.old == nil {
					ce.old = map[part]map[string]types.AttributeValue{}
				}
				ce.old[w.name] = r.Item
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

func (w txWrite) onFailure() types.ReturnValuesOnConditionCheckFailure {
	if w.returnOld {
		return types.ReturnValuesOnConditionCheckFailureAllOld
	}
	return ""
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
			ConditionExpression: e.Condition(), ExpressionAttributeNames: e.Names(), ExpressionAttributeValues: e.Values(),
			ReturnValuesOnConditionCheckFailure: w.onFailure()})
	case w.update != nil:
		_, err = db.UpdateItem(ctx, &dynamodb.UpdateItemInput{TableName: &table, Key: w.key, UpdateExpression: e.Update(),
			ConditionExpression: e.Condition(), ExpressionAttributeNames: e.Names(), ExpressionAttributeValues: e.Values(),
			ReturnValuesOnConditionCheckFailure: w.onFailure()})
	default:
		_, err = db.DeleteItem(ctx, &dynamodb.DeleteItemInput{TableName: &table, Key: w.key,
			ConditionExpression: e.Condition(), ExpressionAttributeNames: e.Names(), ExpressionAttributeValues: e.Values(),
			ReturnValuesOnConditionCheckFailure: w.onFailure()})
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
			ConditionExpression: e.Condition(), ExpressionAttributeNames: e.Names(), ExpressionAttributeValues: e.Values(),
			ReturnValuesOnConditionCheckFailure: w.onFailure()}}, nil
	case w.update != nil:
		return types.TransactWriteItem{Update: &types.Update{TableName: &table, Key: w.key, UpdateExpression: e.Update(),
			ConditionExpression: e.Condition(), ExpressionAttributeNames: e.Names(), ExpressionAttributeValues: e.Values(),
			ReturnValuesOnConditionCheckFailure: w.onFailure()}}, nil
	default:
		return types.TransactWriteItem{Delete: &types.Delete{TableName: &table, Key: w.key,
			ConditionExpression: e.Condition(), ExpressionAttributeNames: e.Names(), ExpressionAttributeValues: e.Values(),
			ReturnValuesOnConditionCheckFailure: w.onFailure()}}, nil
	}
}
