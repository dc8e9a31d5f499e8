package main

import (
	"fmt"
	"slices"
	"testing"

	"github.com/personsapi/persons/pkg/changes"
	"github.com/personsapi/persons/pkg/persons"
)

// TestChangeFeedWiring: the table streams new and old images and expires entries by
// TTL; the processor's event source mapping batches, bisects, retries a bounded number
// of times, reports item failures and sends what it gives up on to an encrypted queue
// with an alarm.
func TestChangeFeedWiring(t *testing.T) {
	v := synth(t, defaults, nil)
	tpl := v.tpl
	tableID := only(t, tpl.ofType("AWS::DynamoDB::Table"), "tables")
	tp := tpl.Resources[tableID].Properties
	if !sameJSON(tp["StreamSpecification"], map[string]any{"StreamViewType": "NEW_AND_OLD_IMAGES"}) {
		t.Errorf("table stream %s, want NEW_AND_OLD_IMAGES", js(tp["StreamSpecification"]))
	}
	if !sameJSON(tp["TimeToLiveSpecification"], map[string]any{"AttributeName": persons.AttrTTL, "Enabled": true}) {
		t.Errorf("table TTL %s, want %s", js(tp["TimeToLiveSpecification"]), persons.AttrTTL)
	}
	fnID := v.stack.logicalID(v.stack.Functions[changesFunction].Function.Node().DefaultChild())
	esm := tpl.Resources[only(t, tpl.ofType("AWS::Lambda::EventSourceMapping"), "event source mappings")].Properties
	queueID := only(t, tpl.ofType("AWS::SQS::Queue"), "queues")
	want := map[string]any{
		"FunctionName":               ref(fnID),
		"EventSourceArn":             map[string]any{"Fn::GetAtt": []any{tableID, "StreamArn"}},
		"StartingPosition":           "TRIM_HORIZON",
		"BatchSize":                  changesBatchSize,
		"BisectBatchOnFunctionError": true,
		"MaximumRetryAttempts":       changesRetryAttempts,
		"FunctionResponseTypes":      []any{"ReportBatchItemFailures"},
		"DestinationConfig":          map[string]any{"OnFailure": map[string]any{"Destination": arnOf(queueID)}},
	}
	for k, w := range want {
		if !sameJSON(esm[k], w) {
			t.Errorf("event source mapping %s = %s, want %s", k, js(esm[k]), js(w))
		}
	}
	if q := tpl.Resources[queueID].Properties; q["SqsManagedSseEnabled"] != true {
		t.Errorf("dead-letter queue %s: want SSE", js(q))
	}
	alarm := tpl.Resources[v.stack.logicalID(v.stack.ChangeFeed.Alarm.Node().DefaultChild())].Properties
	if alarm["MetricName"] != "ApproximateNumberOfMessagesVisible" || alarm["Threshold"] != float64(1) {
		t.Errorf("alarm %s: want messages visible >= 1 on the dead-letter queue", js(alarm))
	}
}

// TestChangeFeedIAM: the processor writes only to the log's partitions (LeadingKeys),
// reads only the table's stream, and sends only to its queue.
func TestChangeFeedIAM(t *testing.T) {
	v := synth(t, defaults, nil)
	tpl := v.tpl
	tableID := only(t, tpl.ofType("AWS::DynamoDB::Table"), "tables")
	roleID := v.stack.logicalID(v.stack.Functions[changesFunction].Role.Node().DefaultChild())
	var stmts []map[string]any
	for _, id := range tpl.ofType("AWS::IAM::Policy") {
		p := tpl.Resources[id].Properties
		if rs := list(p["Roles"]); len(rs) == 1 && sameJSON(rs[0], ref(roleID)) {
			for _, s := range list(p["PolicyDocument"].(map[string]any)["Statement"]) {
				stmts = append(stmts, s.(map[string]any))
			}
		}
	}
	found := map[string]bool{}
	for _, st := range stmts {
		actions := fmt.Sprint(st["Action"])
		switch {
		case sameJSON(st["Resource"], arnOf(tableID)):
			cond := map[string]any{"ForAllValues:StringLike": map[string]any{"dynamodb:LeadingKeys": []any{changes.PKPrefix + "*"}}}
			if actions != "dynamodb:BatchWriteItem" || !sameJSON(st["Condition"], cond) {
				t.Errorf("table statement %s: want BatchWriteItem on %s* only", js(st), changes.PKPrefix)
			}
			found["table"] = true
		case sameJSON(st["Resource"], map[string]any{"Fn::GetAtt": []any{tableID, "StreamArn"}}):
			found["stream"] = true
		case st["Resource"] == "*":
			// ListStreams, and (merged into the same statement) active tracing's X-Ray writes.
			for _, a := range stringsOf(list(st["Action"])) {
				if a != "dynamodb:ListStreams" && !slices.Contains(xrayWriteActions, a) {
					t.Errorf("wildcard resource for %s: only ListStreams and the X-Ray writes have no resource-level permissions", a)
				}
			}
		case sameJSON(st["Resource"], arnOf(only(t, tpl.ofType("AWS::SQS::Queue"), "queues"))):
			if actions != "[sqs:GetQueueAttributes sqs:GetQueueUrl sqs:SendMessage]" {
				t.Errorf("queue actions %s", actions)
			}
			found["queue"] = true
		case actions == "kms:Decrypt":
			// The table (and so its stream) is encrypted with the stack's key.
		case len(actions) > 5 && actions[:5] == "[logs":
		default:
			t.Errorf("unexpected statement %s", js(st))
		}
	}
	for _, k := range []string{"table", "stream", "queue"} {
		if !found[k] {
			t.Errorf("no %s statement in %v", k, stmts)
		}
	}
}
