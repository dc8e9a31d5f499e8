package persons_test

import (
	"context"
	"os"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/google/uuid"

	"github.com/personsapi/persons/pkg/ddbfault"
	"github.com/personsapi/persons/pkg/ddbtest"
	"github.com/personsapi/persons/pkg/persons"
)

// bigPerson writes a person at every cap (100 items of each kind, 401 items in all)
// straight into the table, in the form the store writes (persons.Items).
func bigPerson(t *testing.T, db *dynamodb.Client, table string) (persons.PersonDetails, int) {
	t.Helper()
	d := persons.PersonDetails{Person: newPerson("Ann", "Smith")}
	d.ID = uuid.NewString()
	d.CreatedAt, d.UpdatedAt, d.Version = "2026-01-01T00:00:00.000Z", "2026-01-01T00:00:00.000Z", 1
	for i := range persons.MaxRelatedPerKind {
		a, b, c, e := newAddress(i == 0), newBankAccount(i == 0), newContact(i == 0), newEmployment()
		a.ID, b.ID, c.ID, e.ID = uuid.NewString(), uuid.NewString(), uuid.NewString(), uuid.NewString()
		a.PersonID, b.PersonID, c.PersonID, e.PersonID = d.ID, d.ID, d.ID, d.ID
		a.Version, b.Version, c.Version, e.Version = 1, 1, 1, 1
		d.Addresses, d.BankAccounts, d.Contacts, d.Employments = append(d.Addresses, a), append(d.BankAccounts, b), append(d.Contacts, c), append(d.Employments, e)
	}
	items, err := persons.Items(d)
	if err != nil {
		t.Fatal(err)
	}
	for start := 0; start < len(items); start += 25 {
		var reqs []types.WriteRequest
		for _, item := range items[start:min(start+25, len(items))] {
			reqs = append(reqs, types.WriteRequest{PutRequest: &types.PutRequest{Item: item}})
		}
		for len(reqs) > 0 {
			out, err := db.BatchWriteItem(context.Background(), &dynamodb.BatchWriteItemInput{RequestItems: map[string][]types.WriteRequest{table: reqs}})
			if err != nil {
				t.Fatal(err)
			}
			reqs = out.UnprocessedItems[table]
		}
	}
	return d, len(items)
}

// A cascade delete of a big person whose process is killed (SIGKILL: no cleanup, no
// deferred code) half-way, between two of its BatchWriteItem requests: the person stays
// visible and marked (its related items are not found, none can be added), and running
// the delete again removes everything.
func TestKilledCascadeDelete(t *testing.T) {
	const batchesBeforeKill = 4
	if ddbfault.InChild(t) {
		db := ddbtest.Client(t, ddbfault.HangAfter("BatchWriteItem", batchesBeforeKill, func() { ddbfault.Report("deleting") }))
		err := persons.New(db, os.Getenv("TEST_TABLE")).DeletePerson(context.Background(), os.Getenv("TEST_PERSON"), 0)
		t.Fatalf("the delete returned (%v) instead of being killed", err)
	}
	f := newFixture(t)
	d, total := bigPerson(t, f.db, f.table)
	ctx := context.Background()

	child := ddbfault.StartChild(t, "TEST_TABLE="+f.table, "TEST_PERSON="+d.ID)
	if got := child.Wait(t, time.Minute); got != "deleting" {
		t.Fatalf("child reported %q", got)
	}
	child.Kill(t)

	// Exactly the first batches are gone; the PROFILE is there, marked.
	if n := len(f.partition(t, d.ID)); n != total-batchesBeforeKill*25 {
		t.Fatalf("%d items of %d left after the kill, want %d", n, total, total-batchesBeforeKill*25)
	}
	if p, err := f.store.GetPerson(ctx, d.ID); err != nil || p.ID != d.ID {
		t.Fatalf("person after the killed delete: %+v, %v; want it visible", p, err)
	}
	_, err := f.store.Addresses().List(ctx, d.ID, persons.ListOptions{})
	wantErr(t, err, persons.ErrNotFound)
	_, err = f.store.Contacts().Create(ctx, d.ID, newContact(false))
	wantErr(t, err, persons.ErrNotFound)

	// The delete again finishes the job.
	if err := f.store.DeletePerson(ctx, d.ID, 0); err != nil {
		t.Fatal(err)
	}
	if n := len(f.partition(t, d.ID)); n != 0 {
		t.Fatalf("%d items left after the re-run", n)
	}
	_, err = f.store.GetPerson(ctx, d.ID)
	wantErr(t, err, persons.ErrNotFound)
	out, err := f.db.Scan(ctx, &dynamodb.ScanInput{TableName: aws.String(f.table), Select: types.SelectCount})
	if err != nil || out.Count != 0 {
		t.Fatalf("table holds %d items (%v), want none", out.Count, err)
	}
}
