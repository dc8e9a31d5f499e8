package persons

import (
	"errors"
	"fmt"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
)

// TestTxCancellationNamesParts: a cancelled transaction's reasons come in the order of
// its writes; the builder reports the failed ones by name.
func TestTxCancellationNamesParts(t *testing.T) {
	t3 := &tx{writes: []txWrite{{name: partItem}, {name: partPerson}, {name: partDemote}}}
	reasons := func(codes ...string) error {
		var rs []types.CancellationReason
		for _, c := range codes {
			rs = append(rs, types.CancellationReason{Code: aws.String(c)})
		}
		return fmt.Errorf("wrapped: %w", &types.TransactionCanceledException{CancellationReasons: rs})
	}
	tests := []struct {
		name     string
		err      error
		failed   []part
		conflict bool
	}{
		{"demotion only", reasons("None", "None", "ConditionalCheckFailed"), []part{partDemote}, false},
		{"item and person", reasons("ConditionalCheckFailed", "ConditionalCheckFailed", "None"), []part{partItem, partPerson}, false},
		{"conflict", reasons("None", "TransactionConflict", "None"), nil, true},
		{"conflict exception", &types.TransactionConflictException{}, nil, true},
		{"condition wins over conflict", reasons("TransactionConflict", "ConditionalCheckFailed", "None"), []part{partPerson}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := t3.cancellation(tt.err)
			if tt.conflict {
				if !errors.Is(err, errConflict) {
					t.Fatalf("err = %v, want errConflict", err)
				}
				return
			}
			var ce *conditionError
			if !errors.As(err, &ce) || fmt.Sprint(ce.parts) != fmt.Sprint(tt.failed) {
				t.Fatalf("err = %v, want failed parts %v", err, tt.failed)
			}
			for _, p := range tt.failed {
				if !ce.failed(p) {
					t.Errorf("failed(%s) = false", p)
				}
			}
			if ce.only(partDemote) != (len(tt.failed) == 1 && tt.failed[0] == partDemote) {
				t.Errorf("only(demotion) = %v", ce.only(partDemote))
			}
		})
	}
	if err := t3.cancellation(errors.New("other")); err != nil {
		t.Errorf("a non-transaction error became %v", err)
	}
}
