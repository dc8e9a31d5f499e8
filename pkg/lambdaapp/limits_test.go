package lambdaapp_test

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/google/uuid"

	"github.com/personsapi/persons/pkg/api"
	"github.com/personsapi/persons/pkg/ddbtest"
	"github.com/personsapi/persons/pkg/lambdaapp"
	"github.com/personsapi/persons/pkg/persons"
)

// lambdaResponseLimit is Lambda's limit on a synchronous invocation's response
// (aws-lambda-rie enforces the same number).
const lambdaResponseLimit = 6_291_556

// functionTable gives a test its own table and points the function's environment at it,
// as the stack configures a deployed function.
func functionTable(t *testing.T) (*dynamodb.Client, string) {
	t.Helper()
	db, table := ddbtest.NewTable(t)
	for k, v := range localEnv(t, table) {
		t.Setenv(k, v)
	}
	return db, table
}

// worst fills n characters so that they cost the most bytes in the Lambda response: the
// adapter's JSON envelope escapes '<' as the 6-byte \u003c. A letter first, because names
// need one.
func worst(n int) string { return "a" + strings.Repeat("<", n-1) }

// TestLargestPersonFitsALambdaResponse fills a person to every cap with items whose text
// fields are all at their maximum length, in the characters that grow most when encoded,
// and reads it with include=all through the function's adapter: the response, as Lambda
// returns it, must stay below 6 MB. Then the cascade delete of that person must take no
// more DynamoDB requests than persons documents (4 + ⌈n/25⌉): its time is that many
// round trips, well inside the function's 10 s timeout on AWS, and the API's request
// deadline answers (504) before the timeout whatever the latency (faults tests).
// Requests, not wall-clock time: on a loaded CI machine sharing one DynamoDB Local the
// same delete took from 0.3 to 6 s.
func TestLargestPersonFitsALambdaResponse(t *testing.T) {
	if testing.Short() {
		t.Skip("creates 400 items")
	}
	ctx := context.Background()
	db, table := functionTable(t)
	store := persons.New(db, table)
	p, err := store.CreatePerson(ctx, persons.Person{FirstName: worst(100), LastName: worst(100)})
	if err != nil {
		t.Fatal(err)
	}
	salary, end := 999_999_999_999.99, "2020-01-01T00:00:00Z"
	dept, iban, bic := worst(100), "GB82WEST12345698765432", "DEUTDEFF500"
	for i := range persons.MaxRelatedPerKind {
		primary := persons.Primary{IsPrimary: i == 0}
		if _, err := store.Addresses().Create(ctx, p.ID, persons.Address{Type: "shipping", Street: worst(200), City: worst(100),
			State: worst(100), PostalCode: worst(20), Country: worst(100), Primary: primary}); err != nil {
			t.Fatal(err)
		}
		if _, err := store.BankAccounts().Create(ctx, p.ID, persons.BankAccount{BankName: worst(100), AccountType: "investment",
			AccountNumberLast4: "5432", IBAN: &iban, BIC: &bic, Primary: primary}); err != nil {
			t.Fatal(err)
		}
		if _, err := store.Contacts().Create(ctx, p.ID, persons.ContactInfo{Type: "linkedin", Value: worst(200), Primary: primary}); err != nil {
			t.Fatal(err)
		}
		if _, err := store.Employments().Create(ctx, p.ID, persons.Employment{CompanyName: worst(200), Position: worst(100),
			Department: &dept, StartDate: "2010-01-01T00:00:00Z", EndDate: &end, Salary: &salary, Currency: "GBP"}); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := store.Contacts().Create(ctx, p.ID, persons.ContactInfo{Type: "phone", Value: "1"}); err == nil {
		t.Fatal("a contact beyond the cap was created")
	}

	logs := &lockedBuffer{}
	h, err := lambdaapp.Handler(ctx, api.FunctionPersons, slog.New(slog.NewJSONHandler(logs, nil)))
	if err != nil {
		t.Fatal(err)
	}
	invoke := invokeAdapter(h)
	pp := map[string]string{"personId": p.ID}
	res := invoke(t, event(t, request{route: "GET /persons/{personId}", path: "/persons/" + p.ID, query: "include=all", params: pp}, "big"))
	if res.StatusCode != http.StatusOK {
		t.Fatalf("include=all: %d %.300s", res.StatusCode, res.Body)
	}
	payload, err := json.Marshal(res) // what the Lambda runtime sends back
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("largest include=all: body %d bytes, Lambda response %d bytes (%.0f%% of the 6 MB limit)",
		len(res.Body), len(payload), 100*float64(len(payload))/lambdaResponseLimit)
	if len(payload) >= lambdaResponseLimit {
		t.Fatalf("the Lambda response is %d bytes, over Lambda's limit of %d", len(payload), lambdaResponseLimit)
	}
	if strings.Contains(res.Body, `\u003c`) {
		t.Error("the body is HTML-escaped")
	}

	start := time.Now()
	res = invoke(t, event(t, request{route: "DELETE /persons/{personId}", path: "/persons/" + p.ID, params: pp}, "del"))
	took := time.Since(start)
	if res.StatusCode != http.StatusNoContent {
		t.Fatalf("delete: %d %s", res.StatusCode, res.Body)
	}
	related := 4 * persons.MaxRelatedPerKind
	want := 4 + (related+24)/25 // pkg/persons doc.go: DeletePerson
	var reqs float64
	for _, l := range logs.lines(t) {
		if l["msg"] == "request" && l["request_id"] == "del" {
			reqs, _ = l["ddb_requests"].(float64)
		}
	}
	t.Logf("cascade delete of %d items: %d DynamoDB requests, %v here", 1+related, int(reqs), took.Round(time.Millisecond))
	if reqs == 0 || int(reqs) > want {
		t.Errorf("the cascade delete of %d items made %d DynamoDB requests, want at most %d", 1+related, int(reqs), want)
	}
	if items := ddbtest.Items(t, db, table); len(items) != 0 {
		t.Errorf("%d items left", len(items))
	}
}

// TestLargestPersonsPageFitsALambdaResponse stores persons.MaxPersonsLimit persons with
// every field set, their names at the maximum length in the characters that grow most
// in the Lambda response, and lists them all in one page through the function's adapter:
// the response, as Lambda returns it, must stay far below 6 MB.
func TestLargestPersonsPageFitsALambdaResponse(t *testing.T) {
	if testing.Short() {
		t.Skip("writes 1,000 persons")
	}
	ctx := context.Background()
	db, table := functionTable(t)
	now := persons.Timestamp(time.Now())
	var reqs []types.WriteRequest
	for range persons.MaxPersonsLimit {
		dob, gender := "1900-01-01T00:00:00.000Z", "prefer_not_to_say"
		p := persons.Person{ID: uuid.NewString(), FirstName: worst(100), LastName: worst(100), DateOfBirth: &dob, Gender: &gender,
			CreatedAt: now, UpdatedAt: now, Versioned: persons.Versioned{Version: 999_999}}
		items, err := persons.Items(persons.PersonDetails{Person: p})
		if err != nil {
			t.Fatal(err)
		}
		reqs = append(reqs, types.WriteRequest{PutRequest: &types.PutRequest{Item: items[0]}})
	}
	batchWrite(t, db, table, reqs)

	h, err := lambdaapp.Handler(ctx, api.FunctionPersons, slog.New(slog.NewJSONHandler(io.Discard, nil)))
	if err != nil {
		t.Fatal(err)
	}
	res := invokeAdapter(h)(t, event(t, request{route: "GET /persons", path: "/persons", query: "limit=1000"}, "page"))
	if res.StatusCode != http.StatusOK {
		t.Fatalf("list: %d %.300s", res.StatusCode, res.Body)
	}
	var page struct {
		Items      []json.RawMessage
		NextCursor *string
	}
	if err := json.Unmarshal([]byte(res.Body), &page); err != nil || len(page.Items) != persons.MaxPersonsLimit || page.NextCursor != nil {
		t.Fatalf("page of %d items (cursor %v), %v; want all %d", len(page.Items), page.NextCursor, err, persons.MaxPersonsLimit)
	}
	payload, err := json.Marshal(res) // what the Lambda runtime sends back
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("a page of %d largest persons: body %d bytes, Lambda response %d bytes (%.0f%% of the 6 MB limit)",
		len(page.Items), len(res.Body), len(payload), 100*float64(len(payload))/lambdaResponseLimit)
	if len(payload) > lambdaResponseLimit/2 {
		t.Fatalf("the Lambda response is %d bytes, not far below Lambda's limit of %d", len(payload), lambdaResponseLimit)
	}
}

// batchWrite writes reqs with BatchWriteItem, 25 at a time, until none is left unprocessed.
func batchWrite(t *testing.T, db *dynamodb.Client, table string, reqs []types.WriteRequest) {
	t.Helper()
	for len(reqs) > 0 {
		n := min(25, len(reqs))
		out, err := db.BatchWriteItem(context.Background(), &dynamodb.BatchWriteItemInput{
			RequestItems: map[string][]types.WriteRequest{table: reqs[:n]},
		})
		if err != nil {
			t.Fatal(err)
		}
		reqs = append(out.UnprocessedItems[table], reqs[n:]...)
	}
}
