package seed

import (
	"context"
	"os"
	"testing"
	"time"

	"github.com/personsapi/persons/pkg/ddbfault"
	"github.com/personsapi/persons/pkg/ddbtest"
)

// A seeding process killed with SIGKILL half-way (between BatchWriteItem requests, with
// others in flight) leaves part of the data; running the seed again leaves exactly the
// generated items: nothing missing, nothing twice, nothing else.
func TestKilledSeedResumes(t *testing.T) {
	const count, seed, batchesBeforeKill = 300, 23, 40
	if ddbfault.InChild(t) {
		db := ddbtest.Client(t, ddbfault.HangAfter("BatchWriteItem", batchesBeforeKill, func() { ddbfault.Report("seeding") }))
		_, err := Run(context.Background(), db, os.Getenv("TEST_TABLE"), Options{Count: count, Seed: seed})
		t.Fatalf("the seed returned (%v) instead of being killed", err)
	}
	db, table := ddbtest.NewTable(t)
	child := ddbfault.StartChild(t, "TEST_TABLE="+table)
	if got := child.Wait(t, time.Minute); got != "seeding" {
		t.Fatalf("child reported %q", got)
	}
	child.Kill(t)

	want := generatedItems(t, seed, count)
	got := ddbtest.Items(t, db, table)
	if len(got) == 0 || len(got) >= len(want) {
		t.Fatalf("after the kill the table holds %d of %d items, want some", len(got), len(want))
	}
	t.Logf("killed after %d of %d items", len(got), len(want))
	if _, err := Run(ctxFor(t), db, table, Options{Count: count, Seed: seed}); err != nil {
		t.Fatal(err)
	}
	sameItems(t, ddbtest.Items(t, db, table), want)
}
