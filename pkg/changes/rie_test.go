package changes_test

import (
	"context"
	"encoding/json"
	"testing"

	"github.com/aws/aws-lambda-go/events"

	"github.com/personsapi/persons/pkg/changes"
	"github.com/personsapi/persons/pkg/ddbtest"
	"github.com/personsapi/persons/pkg/deploy"
	"github.com/personsapi/persons/pkg/persons"
	"github.com/personsapi/persons/pkg/rie"
)

// The deployed processor: functions/changes under the real Lambda runtime API, handed the
// JSON of a DynamoDB stream event read from DynamoDB Local's stream, writes the entry and
// answers an empty batchItemFailures.
func TestFunctionUnderEmulator(t *testing.T) {
	f := newFeed(t)
	start := f.startCursor()
	p, err := f.store.CreatePerson(context.Background(), persons.Person{FirstName: "Ada", LastName: "Lovelace"})
	if err != nil {
		t.Fatal(err)
	}
	var got []events.DynamoDBEvent
	f.handler = func(_ context.Context, ev events.DynamoDBEvent) (events.DynamoDBEventResponse, error) {
		got = append(got, ev)
		return events.DynamoDBEventResponse{}, nil
	}
	f.drain()
	if len(got) == 0 {
		t.Fatal("no stream records")
	}
	body, err := json.Marshal(got[0])
	if err != nil {
		t.Fatal(err)
	}
	fn := rie.Start(t, rie.Build(t, "./functions/changes"), map[string]string{
		deploy.EnvTableName:        f.table,
		deploy.EnvDynamoDBEndpoint: ddbtest.Endpoint(t),
		"AWS_ACCESS_KEY_ID":        "local",
		"AWS_SECRET_ACCESS_KEY":    "local",
		"AWS_REGION":               "eu-west-1",
	})
	out := fn.Invoke(t, body)
	var resp events.DynamoDBEventResponse
	if err := json.Unmarshal(out, &resp); err != nil || len(resp.BatchItemFailures) != 0 {
		t.Fatalf("answer %s: want no failures", out)
	}
	f.past()
	entries, _ := f.readAll(start, changes.ReadOptions{})
	if len(entries) != 1 || entries[0].ID != p.ID || entries[0].Op != changes.OpUpsert {
		t.Fatalf("feed = %+v, want Ada's create", entries)
	}
}
