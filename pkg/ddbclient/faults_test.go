package ddbclient_test

import (
	"bytes"
	"context"
	"errors"
	"io"
	"log/slog"
	"net"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/aws/smithy-go/logging"

	"github.com/personsapi/persons/pkg/ddbclient"
	"github.com/personsapi/persons/pkg/ddbfault"
	"github.com/personsapi/persons/pkg/ddblocal"
	"github.com/personsapi/persons/pkg/ddbtest"
	"github.com/personsapi/persons/pkg/deploy"
	"github.com/personsapi/persons/pkg/persons"
)

func TestMain(m *testing.M) { os.Exit(ddbtest.Main(m)) }

// newClient builds the service's client (New) on endpoint.
func newClient(t *testing.T, endpoint string) *dynamodb.Client {
	t.Helper()
	isolate(t)
	t.Setenv(deploy.EnvDynamoDBEndpoint, endpoint)
	db, err := ddbclient.New(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return db
}

// A stalled endpoint (it accepts connections and never answers): a call gives up after
// MaxAttempts attempts of AttemptTimeout each, within CallBudget. The SDK's defaults
// waited forever.
func TestStalledEndpointEndsTheCall(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	var mu sync.Mutex
	var conns []net.Conn
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			mu.Lock()
			conns = append(conns, c) // read nothing, answer nothing
			mu.Unlock()
		}
	}()
	defer func() {
		mu.Lock()
		defer mu.Unlock()
		for _, c := range conns {
			c.Close()
		}
	}()
	db := newClient(t, "http://"+ln.Addr().String())
	start := time.Now()
	_, err = db.ListTables(context.Background(), &dynamodb.ListTablesInput{})
	took := time.Since(start)
	var ne net.Error
	if !errors.As(err, &ne) || !ne.Timeout() {
		t.Fatalf("err = %v, want a timeout", err)
	}
	min := ddbclient.MaxAttempts * ddbclient.AttemptTimeout
	if took < min || took > ddbclient.CallBudget+2*time.Second {
		t.Errorf("the call ended after %v, want between %v and %v", took, min, ddbclient.CallBudget+2*time.Second)
	}
	mu.Lock()
	if len(conns) != ddbclient.MaxAttempts {
		t.Errorf("%d connections, want one per attempt (%d)", len(conns), ddbclient.MaxAttempts)
	}
	mu.Unlock()
}

// A dead endpoint (connection refused) and throttling: MaxAttempts attempts, with
// backoff capped at MaxBackoff, then the error.
func TestRetriesAreBounded(t *testing.T) {
	for _, c := range []struct {
		name string
		opts []func(*dynamodb.Options)
		end  string
	}{
		{"connection refused", nil, ddbfault.DeadEndpoint(t)},
		{"throttled", []func(*dynamodb.Options){ddbfault.Inject(nil, ddbfault.Always(ddbfault.ProvisionedThroughputExceeded))}, ddbtest.Endpoint(t)},
	} {
		t.Run(c.name, func(t *testing.T) {
			var attempts ddbfault.Attempts
			// The counter first: it sees every attempt before a fault ends it.
			db := ddblocal.Client(c.end, append([]func(*dynamodb.Options){ddbfault.Inject(&attempts, func(string) error { return nil })}, c.opts...)...)
			start := time.Now()
			_, err := db.ListTables(context.Background(), &dynamodb.ListTablesInput{})
			took := time.Since(start)
			if err == nil {
				t.Fatal("no error")
			}
			if n := attempts.Total.Load(); n != ddbclient.MaxAttempts {
				t.Errorf("%d attempts, want %d", n, ddbclient.MaxAttempts)
			}
			if max := time.Duration(ddbclient.MaxAttempts-1)*ddbclient.MaxBackoff + time.Second; took > max {
				t.Errorf("the call took %v, want at most %v", took, max)
			}
		})
	}
}

// contention makes DynamoDB Local answer with errors: failed conditions, cancelled
// transactions and a missing table, many at once, as concurrent writers of one person do.
func contention(t *testing.T, db *dynamodb.Client, table string) {
	t.Helper()
	ctx := context.Background()
	key := func(sk string) map[string]types.AttributeValue {
		return map[string]types.AttributeValue{persons.AttrPK: &types.AttributeValueMemberS{Value: "PERSON#x"}, persons.AttrSK: &types.AttributeValueMemberS{Value: sk}}
	}
	var wg sync.WaitGroup
	for range 8 {
		wg.Go(func() {
			for range 10 {
				_, _ = db.TransactWriteItems(ctx, &dynamodb.TransactWriteItemsInput{TransactItems: []types.TransactWriteItem{
					{Update: &types.Update{TableName: aws.String(table), Key: key("PROFILE"), UpdateExpression: aws.String("ADD n :one"),
						ExpressionAttributeValues: map[string]types.AttributeValue{":one": &types.AttributeValueMemberN{Value: "1"}}}},
					{Put: &types.Put{TableName: aws.String(table), Item: key("ADDRESS#1"), ConditionExpression: aws.String("attribute_not_exists(pk)")}},
				}})
				_, _ = db.PutItem(ctx, &dynamodb.PutItemInput{TableName: aws.String(table), Item: key("ADDRESS#1"),
					ConditionExpression: aws.String("attribute_not_exists(pk)")})
			}
		})
	}
	wg.Wait()
	_, _ = db.DescribeTable(ctx, &dynamodb.DescribeTableInput{TableName: aws.String("no_such_table")})
}

// captureStderr runs f with the process's stderr going to a pipe and returns what was
// written: the SDK's default logger writes plain-text lines there.
func captureStderr(t *testing.T, f func()) string {
	t.Helper()
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	saved := os.Stderr
	os.Stderr = w
	out := make(chan string)
	go func() {
		b, _ := io.ReadAll(r)
		out <- string(b)
	}()
	defer func() { os.Stderr = saved }()
	f()
	w.Close()
	os.Stderr = saved
	return <-out
}

// Under contention DynamoDB Local answers errors with a CRC32 checksum header of 0; the
// SDK's default client printed "response did not match expected checksum" to stderr in
// plain text for each. The service's clients (New, ddblocal.Client) print nothing but
// slog lines, and nothing at all at slog's default level.
func TestNoPlainTextLogLines(t *testing.T) {
	_, table := ddbtest.NewTable(t)

	// What the SDK did without the service's settings: the test can see the noise.
	var sdkLog bytes.Buffer
	isolate(t)
	cfg, err := config.LoadDefaultConfig(context.Background(), config.WithLogger(logging.NewStandardLogger(&sdkLog)))
	if err != nil {
		t.Fatal(err)
	}
	plain := dynamodb.NewFromConfig(cfg, func(o *dynamodb.Options) { o.BaseEndpoint = aws.String(ddbtest.Endpoint(t)) })
	contention(t, plain, table)
	if !strings.Contains(sdkLog.String(), "did not match expected checksum") {
		t.Logf("the SDK's default client logged no checksum warning here (%d bytes logged)", sdkLog.Len())
	} else {
		t.Logf("the SDK's default client, same requests: %d lines like %q", strings.Count(sdkLog.String(), "\n"),
			strings.SplitN(sdkLog.String(), "\n", 2)[0])
	}

	var logged bytes.Buffer
	saved := slog.Default()
	slog.SetDefault(slog.New(slog.NewJSONHandler(&logged, nil))) // INFO, the default level
	defer slog.SetDefault(saved)
	stderr := captureStderr(t, func() {
		contention(t, newClient(t, ddbtest.Endpoint(t)), table)
		contention(t, ddblocal.Client(ddbtest.Endpoint(t)), table)
	})
	if stderr != "" || logged.Len() != 0 {
		t.Errorf("the service's clients wrote to stderr:\n%s\nand to slog at INFO:\n%s", stderr, logged.String())
	}

	// At DEBUG, what the SDK logs arrives as JSON.
	logged.Reset()
	slog.SetDefault(slog.New(slog.NewJSONHandler(&logged, &slog.HandlerOptions{Level: slog.LevelDebug})))
	ddbclient.Logger{}.Logf(logging.Warn, "failed to close HTTP response body: %v", "example")
	if !strings.Contains(logged.String(), `"level":"DEBUG","msg":"aws sdk","sdk_level":"WARN"`) {
		t.Errorf("SDK line at DEBUG: %s", logged.String())
	}
}
