// Package ddbtest gives integration tests a real DynamoDB engine: the one the Makefile
// started (its endpoint in PERSONS_DYNAMODB_ENDPOINT), or else one it starts itself for
// the test binary. Each test gets its own freshly created persons table.
package ddbtest

import (
	"context"
	"fmt"
	"os"
	"regexp"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/personsapi/persons/pkg/ddblocal"
	"github.com/personsapi/persons/pkg/persons"
)

var endpoint string

// Main runs the tests of a package against DynamoDB Local; use it from TestMain:
//
//	func TestMain(m *testing.M) { os.Exit(ddbtest.Main(m)) }
func Main(m *testing.M) int {
	endpoint = os.Getenv(ddblocal.EndpointEnv)
	if endpoint == "" {
		srv, err := ddblocal.Start(context.Background(), ddblocal.Options{})
		if err != nil {
			fmt.Fprintln(os.Stderr, "ddbtest:", err)
			return 1
		}
		defer srv.Stop()
		endpoint = srv.Endpoint
		// Child processes (Lambda binaries under test) find the engine the same way.
		os.Setenv(ddblocal.EndpointEnv, endpoint)
	}
	return m.Run()
}

// Endpoint is the URL of the engine the tests use.
func Endpoint(t testing.TB) string {
	t.Helper()
	if endpoint == "" {
		t.Fatal("ddbtest: call ddbtest.Main from TestMain")
	}
	return endpoint
}

// Client returns a client for the test engine; optFns can add middleware.
func Client(t testing.TB, optFns ...func(*dynamodb.Options)) *dynamodb.Client {
	return ddblocal.Client(Endpoint(t), optFns...)
}

var seq atomic.Int64

var unsafeChars = regexp.MustCompile(`[^a-zA-Z0-9_.-]+`)

// TableName returns a table name unique to this test (and this process).
func TableName(t testing.TB) string {
	name := unsafeChars.ReplaceAllString(t.Name(), "_")
	if len(name) > 150 {
		name = name[:150]
	}
	return fmt.Sprintf("t%d_%d_%s", os.Getpid(), seq.Add(1), name)
}

// NewTable creates a fresh persons table for the test and deletes it when the test ends.
// It returns a client (built with optFns) and the table name.
func NewTable(t testing.TB, optFns ...func(*dynamodb.Options)) (*dynamodb.Client, string) {
	t.Helper()
	db := Client(t, optFns...)
	name := TableName(t)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	if _, err := persons.CreateTable(ctx, db, name); err != nil {
		t.Fatalf("ddbtest: %v", err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		_, _ = db.DeleteTable(ctx, &dynamodb.DeleteTableInput{TableName: aws.String(name)})
	})
	return db, name
}

// Items scans the whole table: every item, keyed by ItemKey. Tests use it to see what is
// really stored.
func Items(t testing.TB, db *dynamodb.Client, table string) map[string]map[string]types.AttributeValue {
	t.Helper()
	all := map[string]map[string]types.AttributeValue{}
	p := dynamodb.NewScanPaginator(db, &dynamodb.ScanInput{TableName: aws.String(table)})
	for p.HasMorePages() {
		page, err := p.NextPage(context.Background())
		if err != nil {
			t.Fatalf("ddbtest: scan %s: %v", table, err)
		}
		for _, item := range page.Items {
			all[ItemKey(item)] = item
		}
	}
	return all
}

// ItemKey is "<pk> <sk>" of an item.
func ItemKey(item map[string]types.AttributeValue) string {
	str := func(name string) string {
		v, _ := item[name].(*types.AttributeValueMemberS)
		if v == nil {
			return ""
		}
		return v.Value
	}
	return str(persons.AttrPK) + " " + str(persons.AttrSK)
}
