package persons_test

import (
	"context"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/personsapi/persons/pkg/ddbstats"
	"github.com/personsapi/persons/pkg/persons"
)

// units is a pair of read and write capacity units.
type units struct{ read, write float64 }

// TestCapacityUnits pins the capacity units of every store operation on a typical person
// (10 related items: 2 addresses, 2 bank accounts, 4 contacts, 2 employments, one primary
// of each kind but employments), twice:
//
//   - local: what DynamoDB Local reports (ReturnConsumedCapacity TOTAL, summed by
//     ddbstats), exact and machine-independent. Its transaction accounting is its own
//     (2 items: 6 WCU, 3 items: 6 WCU) and an empty Query costs it nothing, so it is not
//     AWS's bill; index writes it does count.
//   - aws: the same operation under AWS's published rules, for these item sizes (every
//     item under 1 KB, the partition under 4 KB, which the test checks): a write is 1 WCU
//     per KB of the larger of the old and new item, a transactional write 2 WCU per KB and
//     item (condition checks and updates of the PROFILE included), a strongly consistent
//     read 1 RCU per 4 KB (a Query sums the items it reads, BatchGetItem rounds each item,
//     an empty result still costs the minimum, 1 RCU), an eventually consistent one half. GSI1
//     projects ALL, so every write of a PROFILE also writes its index entry, 1 WCU per KB
//     (a changed index key: a delete and a put, 2 WCU); DynamoDB applies index changes
//     after the transaction, outside it, so they are not doubled.
//
// Refused writes (a failed condition) are left out: DynamoDB answers them with an error
// that carries no consumed capacity, although AWS bills them as writes.
func TestCapacityUnits(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	p := f.createPerson(t, "Ann", "Smith")
	f.createPerson(t, "Bob", "Jones")
	a, b, c, e := f.store.Addresses(), f.store.BankAccounts(), f.store.Contacts(), f.store.Employments()
	addr := mustCreate(t, a, p.ID, newAddress(true))
	mustCreate(t, a, p.ID, newAddress(false))
	mustCreate(t, b, p.ID, newBankAccount(true))
	mustCreate(t, b, p.ID, newBankAccount(false))
	mustCreate(t, c, p.ID, newContact(true))
	var other string
	for range 3 {
		other = mustCreate(t, c, p.ID, newContact(false)).ID
	}
	emp := mustCreate(t, e, p.ID, newEmployment())
	mustCreate(t, e, p.ID, newEmployment())
	f.checkSizes(t, p.ID, 11)

	var created string
	tests := []struct {
		name       string
		local, aws units
		op         func(ctx context.Context) error
	}{
		// Reads for display: eventually consistent.
		{"GetPerson", units{0.5, 0}, units{0.5, 0}, func(ctx context.Context) error {
			_, err := f.store.GetPerson(ctx, p.ID)
			return err
		}},
		{"GetPersonDetails (11 items)", units{0.5, 0}, units{0.5, 0}, func(ctx context.Context) error {
			_, err := f.store.GetPersonDetails(ctx, p.ID)
			return err
		}},
		{"ListPersons (GSI1, always eventually consistent)", units{0.5, 0}, units{0.5, 0}, func(ctx context.Context) error {
			_, err := f.store.ListPersons(ctx, persons.ListPersonsOptions{})
			return err
		}},
		{"Related.List: PROFILE + Query", units{1, 0}, units{1, 0}, func(ctx context.Context) error {
			_, err := c.List(ctx, p.ID, persons.ListOptions{})
			return err
		}},
		{"Related.Get: BatchGetItem of 2", units{1, 0}, units{1, 0}, func(ctx context.Context) error {
			_, err := a.Get(ctx, p.ID, addr.ID)
			return err
		}},
		// Writes: each reads strongly consistent what it conditions on.
		{"CreatePerson: Query (empty) + PutItem, index entry", units{0, 2}, units{1, 2}, func(ctx context.Context) error {
			_, err := f.store.CreatePerson(ctx, newPerson("Cy", "Young"))
			return err
		}},
		{"UpdatePerson (name: a new index key)", units{1, 3}, units{1, 3}, func(ctx context.Context) error {
			_, err := f.store.UpdatePerson(ctx, p.ID, merge[persons.Person](`{"firstName":"Anne"}`), 0)
			return err
		}},
		{"UpdatePerson (gender)", units{1, 2}, units{1, 2}, func(ctx context.Context) error {
			_, err := f.store.UpdatePerson(ctx, p.ID, merge[persons.Person](`{"gender":"other"}`), 0)
			return err
		}},
		{"UpdatePerson (no change)", units{1, 0}, units{1, 0}, func(ctx context.Context) error {
			_, err := f.store.UpdatePerson(ctx, p.ID, merge[persons.Person](`{}`), 0)
			return err
		}},
		{"Related.Create: tx put + PROFILE count", units{0, 6}, units{0, 2*2 + 1}, func(ctx context.Context) error {
			v, err := e.Create(ctx, p.ID, newEmployment())
			created = v.Item.ID
			return err
		}},
		{"Related.Create primary, demoting one: PROFILE, previous + tx of 3", units{2, 6}, units{2, 3*2 + 1}, func(ctx context.Context) error {
			_, err := c.Create(ctx, p.ID, newContact(true))
			return err
		}},
		{"Related.Update: BatchGetItem + PutItem", units{2, 1}, units{2, 1}, func(ctx context.Context) error {
			_, err := e.Update(ctx, p.ID, emp.ID, merge[persons.Employment](`{"position":"Lead"}`), 0)
			return err
		}},
		{"Related.Update (no change)", units{2, 0}, units{2, 0}, func(ctx context.Context) error {
			_, err := e.Update(ctx, p.ID, emp.ID, merge[persons.Employment](`{}`), 0)
			return err
		}},
		{"Related.Update becomes primary, demoting one: + previous, tx of 3", units{3, 6}, units{3, 3*2 + 1}, func(ctx context.Context) error {
			_, err := c.Update(ctx, p.ID, other, merge[persons.ContactInfo](`{"isPrimary":true}`), 0)
			return err
		}},
		{"Related.Replace: BatchGetItem + PutItem", units{2, 1}, units{2, 1}, func(ctx context.Context) error {
			_, err := e.Replace(ctx, p.ID, emp.ID, newEmployment(), 0)
			return err
		}},
		{"Related.Delete: BatchGetItem + DeleteItem", units{2, 1}, units{2, 1}, func(ctx context.Context) error {
			return e.Delete(ctx, p.ID, created, 0)
		}},
		{"Related.Delete primary: BatchGetItem + tx delete + PROFILE pointer", units{2, 6}, units{2, 2*2 + 1}, func(ctx context.Context) error {
			return a.Delete(ctx, p.ID, addr.ID, 0)
		}},
		{"Related.Create primary, none before: PROFILE + tx put + PROFILE", units{1, 6}, units{1, 2*2 + 1}, func(ctx context.Context) error {
			_, err := a.Create(ctx, p.ID, newAddress(true))
			return err
		}},
		{"Related.Update un-priming: BatchGetItem + tx put + PROFILE pointer", units{2, 6}, units{2, 2*2 + 1}, func(ctx context.Context) error {
			_, err := c.Update(ctx, p.ID, other, merge[persons.ContactInfo](`{"isPrimary":false}`), 0)
			return err
		}},
		// 11 related items now (one contact more than at the start): the mark, 11 plain
		// deletes and the PROFILE, with the index entry twice: n + 4 WCU in AWS.
		{"DeletePerson (11 related)", units{2, 15}, units{2, 1 + 1 + 11 + 1 + 1}, func(ctx context.Context) error {
			return f.store.DeletePerson(ctx, p.ID, 0)
		}},
	}
	for _, tt := range tests {
		cctx, n := ddbstats.WithCounter(ctx)
		if err := tt.op(cctx); err != nil {
			t.Fatalf("%s: %v", tt.name, err)
		}
		got := units{n.ReadUnits(), n.WriteUnits()}
		if got != tt.local {
			t.Errorf("%s: DynamoDB Local reports %v RCU %v WCU, want %v and %v", tt.name, got.read, got.write, tt.local.read, tt.local.write)
		}
		t.Logf("%-70s local %4.1f RCU %4.1f WCU   AWS %4.1f RCU %4.1f WCU", tt.name, got.read, got.write, tt.aws.read, tt.aws.write)
	}
}

// checkSizes checks the premise of the AWS column of TestCapacityUnits: the person's
// partition holds want items, each under 1 KB, together under 4 KB (itemSize: AWS's rules).
func (f *fixture) checkSizes(t *testing.T, personID string, want int) {
	t.Helper()
	out, err := f.db.Query(context.Background(), &dynamodb.QueryInput{
		TableName:                 aws.String(f.table),
		KeyConditionExpression:    aws.String("pk = :pk"),
		ExpressionAttributeValues: map[string]types.AttributeValue{":pk": &types.AttributeValueMemberS{Value: "PERSON#" + personID}},
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(out.Items) != want {
		t.Fatalf("partition holds %d items, want %d", len(out.Items), want)
	}
	total := 0
	for _, it := range out.Items {
		n := itemSize(t, it)
		if n > 1024 {
			t.Errorf("item %v is %d bytes, over 1 KB", it["sk"], n)
		}
		total += n
	}
	if total > 4096 {
		t.Errorf("partition is %d bytes, over 4 KB", total)
	}
	t.Logf("partition: %d items, %d bytes", len(out.Items), total)
}

// The cascade delete writes 1 unit per item plus a constant, whatever the number of
// items: DeletePerson of a person with n related items (every item under 1 KB) costs
// n + 4 write units (the mark and the PROFILE's delete, each with its index entry), in
// 4 + ⌈n/25⌉ requests (3 for a person alone: the first read finds nothing to delete).
// Its reads grow with the partition: a Query bills the whole items it reads, projection
// or not, 1 RCU per 4 KB.
func TestCascadeDeleteUnitsPerItem(t *testing.T) {
	f := newFixture(t)
	for _, n := range []int{0, 1, 25, 60} {
		p := f.createPerson(t, "Ann", "Smith")
		for i := range n {
			mustCreate(t, f.store.Contacts(), p.ID, newContact(i == 0))
		}
		ctx, c := ddbstats.WithCounter(context.Background())
		if err := f.store.DeletePerson(ctx, p.ID, 0); err != nil {
			t.Fatal(err)
		}
		wantReq := int64(4 + (n+24)/25)
		if n == 0 {
			wantReq = 3
		}
		if c.WriteUnits() != float64(n+4) || c.Load() != wantReq {
			t.Errorf("%d related: %v WCU in %d requests, want %d WCU in %d", n, c.WriteUnits(), c.Load(), n+4, wantReq)
		}
		t.Logf("%2d related: %4.1f WCU %4.1f RCU %d requests", n, c.WriteUnits(), c.ReadUnits(), c.Load())
	}
}
