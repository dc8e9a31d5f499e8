package api_test

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/aws/smithy-go"
	"github.com/google/uuid"

	"github.com/personsapi/persons/pkg/api"
	"github.com/personsapi/persons/pkg/ddbclient"
	"github.com/personsapi/persons/pkg/ddbfault"
	"github.com/personsapi/persons/pkg/ddblocal"
	"github.com/personsapi/persons/pkg/ddbstats"
	"github.com/personsapi/persons/pkg/ddbtest"
	"github.com/personsapi/persons/pkg/persons"
)

// The faults of DynamoDB, injected between the API and a real DynamoDB Local: a proxy
// that stalls or dies, a port where nothing listens, throttling errors from SDK
// middleware, and clients that go away. Each test checks the status, Retry-After, how
// long the answer took (bounds that hold on a loaded 2-core machine) and what was stored.

// functionTimeout is the API functions' timeout (infra, apiTimeoutSec): every answer
// must come before it.
const functionTimeout = 10 * time.Second

// newServerWith is newServerFor with changed options.
func newServerWith(t *testing.T, store *persons.Store, change func(*api.Options)) *server {
	logs := &logBuffer{}
	o := api.Options{Store: store, Logger: slog.New(slog.NewJSONHandler(logs, nil)),
		CORSOrigins: []string{"http://localhost:5173"}}
	change(&o)
	return &server{t: t, h: api.WithFixedScopes(api.NewHandler(o), allScopes), store: store, logs: logs}
}

// timed sends a request and says how long the answer took.
func (s *server) timed(method, target string, body any) (response, time.Duration) {
	start := time.Now()
	res := s.do(method, target, body)
	return res, time.Since(start)
}

// wantRetryLater checks a 429, 503 or 504 problem: status, Retry-After, that it came by
// itself within bounds, and that the log has a WARN line on it and no ERROR.
func (s *server) wantRetryLater(t *testing.T, res response, took time.Duration, statuses []int, retryAfter string, min, max time.Duration) api.Problem {
	t.Helper()
	ok := false
	for _, st := range statuses {
		ok = ok || res.StatusCode == st
	}
	if !ok {
		t.Fatalf("%s %s: status %d, want one of %v; body %s", res.Request.Method, res.Request.URL, res.StatusCode, statuses, res.body)
	}
	p := res.problem(t, res.StatusCode)
	if got := res.Header.Get("Retry-After"); got != retryAfter {
		t.Errorf("Retry-After %q, want %q", got, retryAfter)
	}
	if took < min || took > max {
		t.Errorf("%s %s answered %d after %v, want between %v and %v", res.Request.Method, res.Request.URL, res.StatusCode, took, min, max)
	}
	warned := false
	for _, level := range []string{"WARN", "ERROR"} {
		for _, rec := range s.logs.levelLines(t, level) {
			if level == "ERROR" {
				t.Errorf("ERROR logged for a database fault: %v", rec)
			} else if rec["request_id"] == p.RequestID {
				warned = true
			}
		}
	}
	if !warned {
		t.Errorf("no WARN line for request %s in the log:\n%s", p.RequestID, s.logs.String())
	}
	if line := s.logs.accessLine(t, p.RequestID); line["status"] != float64(res.StatusCode) || line["level"] != "INFO" {
		t.Errorf("access log %v, want status %d at INFO", line, res.StatusCode)
	}
	return p
}

// levelLines returns the log records at level.
func (b *logBuffer) levelLines(t *testing.T, level string) []map[string]any {
	t.Helper()
	var out []map[string]any
	for _, msg := range []string{"request", "internal error", "dynamodb unavailable", "dynamodb throttled", "request deadline exceeded", "value rejected by DynamoDB"} {
		for _, rec := range b.lines(t, msg) {
			if rec["level"] == level {
				out = append(out, rec)
			}
		}
	}
	return out
}

func (b *logBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// storedPerson reads a person's PROFILE item straight from the engine.
func storedPerson(t *testing.T, db *dynamodb.Client, table, id string) map[string]types.AttributeValue {
	t.Helper()
	out, err := db.GetItem(context.Background(), &dynamodb.GetItemInput{TableName: aws.String(table), ConsistentRead: aws.Bool(true),
		Key: map[string]types.AttributeValue{persons.AttrPK: &types.AttributeValueMemberS{Value: persons.PersonPKPrefix + id},
			persons.AttrSK: &types.AttributeValueMemberS{Value: "PROFILE"}}})
	if err != nil {
		t.Fatal(err)
	}
	return out.Item
}

// A stalled DynamoDB (a proxy that stops forwarding, as a paused engine): requests get a
// 503 or 504 by themselves, before the function's timeout, not after the stall. A create
// whose write was held by the stall is applied when the stall ends, and the client's
// retry with the same id then gets the stored person, not a 409.
func TestStalledDatabase(t *testing.T) {
	direct, table := ddbtest.NewTable(t)
	proxy := ddbfault.NewProxy(t, ddbtest.Endpoint(t))
	// The stall starts when the create's PutItem is about to go out (after the create's
	// Query for leftovers), so that the write itself is what the stall holds.
	var armed atomic.Bool
	stalled := make(chan struct{})
	db := ddblocal.Client(proxy.Endpoint, ddbstats.Counting, ddbfault.Inject(nil, func(op string) error {
		if op == "PutItem" && armed.CompareAndSwap(true, false) {
			proxy.Stall()
			close(stalled)
		}
		return nil
	}))
	s := newServerFor(t, persons.New(db, table))
	existing := s.createPerson(t)

	id := uuid.NewString()
	armed.Store(true)
	type result struct {
		res  response
		took time.Duration
	}
	created := make(chan result, 1)
	go func() {
		res, took := s.timed("POST", "/persons", personBody(id))
		created <- result{res, took}
	}()
	<-stalled
	res, took := s.timed("GET", "/persons/"+existing, nil)
	statuses := []int{http.StatusServiceUnavailable, http.StatusGatewayTimeout}
	// At least one attempt's timeout; at most the request deadline, with room for a
	// loaded machine, but below the function timeout.
	s.wantRetryLater(t, res, took, statuses, "5", ddbclient.AttemptTimeout, api.DefaultRequestTimeout+1500*time.Millisecond)
	post := <-created
	s.wantRetryLater(t, post.res, post.took, statuses, "5", ddbclient.AttemptTimeout, api.DefaultRequestTimeout+1500*time.Millisecond)
	if max := api.DefaultRequestTimeout + 1500*time.Millisecond; max >= functionTimeout {
		t.Fatalf("bound %v is not below the function timeout", max)
	}
	t.Logf("stalled: GET %d after %v, POST %d after %v", res.StatusCode, took.Round(time.Millisecond), post.res.StatusCode, post.took.Round(time.Millisecond))

	// The stall ends: the held write reaches the engine, after its client gave up.
	proxy.Resume()
	deadline := time.Now().Add(10 * time.Second)
	for storedPerson(t, direct, table, id) == nil {
		if time.Now().After(deadline) {
			t.Fatalf("the create held by the stall was not applied after it")
		}
		time.Sleep(20 * time.Millisecond)
	}
	var stored persons.Person
	s.do("GET", "/persons/"+id, nil).want(t, http.StatusOK).decode(t, &stored)

	// The client's retry with the same id and body gets the stored person; another body
	// with that id is a conflict.
	var retried persons.Person
	again := s.do("POST", "/persons", personBody(id)).want(t, http.StatusCreated)
	again.decode(t, &retried)
	if retried != (persons.Person{}) && (retried.ID != id || retried.CreatedAt != stored.CreatedAt || retried.Version != 1 ||
		again.Header.Get("ETag") != `"1"` || again.Header.Get("Location") != "/persons/"+id) {
		t.Errorf("retry got %+v (ETag %s, Location %s), want the stored %+v", retried, again.Header.Get("ETag"), again.Header.Get("Location"), stored)
	}
	other := personBody(id)
	other["firstName"] = "Augusta"
	s.do("POST", "/persons", other).problem(t, http.StatusConflict)
	var page persons.Page[persons.Person]
	s.do("GET", "/persons?limit=100", nil).want(t, http.StatusOK).decode(t, &page)
	n := 0
	for _, p := range page.Items {
		if p.ID == id {
			n++
		}
	}
	if n != 1 || len(page.Items) != 2 {
		t.Errorf("listed %d persons, %d with the retried id; want 2 and 1", len(page.Items), n)
	}
}

// The request's own deadline: with DynamoDB stalled past it, the answer is a 504 at the
// deadline, not when DynamoDB comes back.
func TestRequestDeadline(t *testing.T) {
	_, table := ddbtest.NewTable(t)
	proxy := ddbfault.NewProxy(t, ddbtest.Endpoint(t))
	s := newServerWith(t, persons.New(ddblocal.Client(proxy.Endpoint, ddbstats.Counting), table), func(o *api.Options) {
		o.RequestTimeout = time.Second
	})
	id := s.createPerson(t)
	proxy.Stall()
	for _, c := range []struct {
		method, path string
		body         any
	}{
		{"GET", "/persons/" + id, nil},
		{"PATCH", "/persons/" + id, map[string]any{"firstName": "Augusta"}},
		{"DELETE", "/persons/" + id, nil},
		{"POST", "/persons/" + id + "/contacts", map[string]any{"type": "email", "value": "ada@example.com"}},
	} {
		res, took := s.timed(c.method, c.path, c.body)
		p := s.wantRetryLater(t, res, took, []int{http.StatusGatewayTimeout}, "5", 900*time.Millisecond, 3*time.Second)
		if !strings.Contains(p.Detail, "deadline") {
			t.Errorf("504 detail %q", p.Detail)
		}
	}
	proxy.Resume()
	// Nothing of it was applied: the stall held every write past its deadline, but each
	// was conditioned on what it read, or never sent.
	var got persons.Person
	s.do("GET", "/persons/"+id, nil).want(t, http.StatusOK).decode(t, &got)
	if got.FirstName != "Ada" {
		t.Logf("the PATCH held by the stall was applied after it: %+v", got)
	}
}

// A dead DynamoDB (a closed port; a proxy that was alive and died): a quick 503 with
// Retry-After, nothing written.
func TestDeadDatabase(t *testing.T) {
	t.Run("never reachable", func(t *testing.T) {
		s := newServerFor(t, persons.New(ddblocal.Client(ddbfault.DeadEndpoint(t), ddbstats.Counting), "persons"))
		for _, target := range []string{"/persons", "/persons/" + uuid.NewString(), "/persons/" + uuid.NewString() + "/addresses"} {
			res, took := s.timed("GET", target, nil)
			s.wantRetryLater(t, res, took, []int{http.StatusServiceUnavailable}, "5", 0, 3*time.Second)
		}
	})
	t.Run("died", func(t *testing.T) {
		direct, table := ddbtest.NewTable(t)
		proxy := ddbfault.NewProxy(t, ddbtest.Endpoint(t))
		s := newServerFor(t, persons.New(ddblocal.Client(proxy.Endpoint, ddbstats.Counting), table))
		existing := s.createPerson(t)
		proxy.Close()
		id := uuid.NewString()
		res, took := s.timed("POST", "/persons", personBody(id))
		s.wantRetryLater(t, res, took, []int{http.StatusServiceUnavailable}, "5", 0, 3*time.Second)
		res, took = s.timed("PATCH", "/persons/"+existing, map[string]any{"firstName": "Augusta"})
		s.wantRetryLater(t, res, took, []int{http.StatusServiceUnavailable}, "5", 0, 3*time.Second)
		if storedPerson(t, direct, table, id) != nil {
			t.Errorf("the create was stored although DynamoDB was down")
		}
		if v := storedPerson(t, direct, table, existing)["firstName"].(*types.AttributeValueMemberS).Value; v != "Ada" {
			t.Errorf("firstName %q after a PATCH that got 503", v)
		}
	})
}

// DynamoDB's throttling errors, from SDK middleware on every attempt: the SDK retries a
// bounded number of times, then the API answers 429 with Retry-After, quickly; nothing
// is written. One throttled attempt is absorbed by the SDK's retry. A DynamoDB server
// error is a 503.
func TestThrottling(t *testing.T) {
	direct, table := ddbtest.NewTable(t)
	seedStore := persons.New(direct, table)
	existing, err := seedStore.CreatePerson(context.Background(), persons.Person{FirstName: "Ada", LastName: "Lovelace"})
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		err    error
		status int
		after  string
	}{
		{ddbfault.ProvisionedThroughputExceeded, http.StatusTooManyRequests, "1"},
		{ddbfault.Throttling, http.StatusTooManyRequests, "1"},
		{ddbfault.RequestLimitExceeded, http.StatusTooManyRequests, "1"},
		{ddbfault.InternalServerError(), http.StatusServiceUnavailable, "5"},
		{ddbfault.BadGateway(), http.StatusServiceUnavailable, "5"},
	} {
		var ae smithy.APIError
		if !errors.As(c.err, &ae) {
			t.Fatalf("%v is no API error", c.err)
		}
		t.Run(ae.ErrorCode(), func(t *testing.T) {
			var attempts ddbfault.Attempts
			s := newServerFor(t, persons.New(ddbtest.Client(t, ddbstats.Counting, ddbfault.Inject(&attempts, ddbfault.Always(c.err))), table))
			res, took := s.timed("GET", "/persons/"+existing.ID, nil)
			s.wantRetryLater(t, res, took, []int{c.status}, c.after, 0, 3*time.Second)
			if n := attempts.Total.Load(); n != ddbclient.MaxAttempts {
				t.Errorf("%d attempts of one GetItem, want the retryer's %d", n, ddbclient.MaxAttempts)
			}
			id := uuid.NewString()
			res, took = s.timed("POST", "/persons", personBody(id))
			s.wantRetryLater(t, res, took, []int{c.status}, c.after, 0, 3*time.Second)
			if storedPerson(t, direct, table, id) != nil {
				t.Errorf("a throttled create was stored")
			}
		})
	}
	t.Run("once", func(t *testing.T) {
		var attempts ddbfault.Attempts
		var n atomic.Int64
		s := newServerFor(t, persons.New(ddbtest.Client(t, ddbstats.Counting, ddbfault.Inject(&attempts, func(string) error {
			if n.Add(1) == 1 {
				return ddbfault.ProvisionedThroughputExceeded
			}
			return nil
		})), table))
		s.do("GET", "/persons/"+existing.ID, nil).want(t, http.StatusOK)
		if attempts.Total.Load() != 2 || attempts.Failed.Load() != 1 {
			t.Errorf("attempts %d (%d failed), want 2 (1)", attempts.Total.Load(), attempts.Failed.Load())
		}
	})
}

// A client that goes away while its request waits for DynamoDB: the request ends as
// soon as the server notices, with an access log line of status 499 at INFO and no
// ERROR; the same for a client that goes away while it sends its body.
func TestClientDisconnect(t *testing.T) {
	_, table := ddbtest.NewTable(t)
	proxy := ddbfault.NewProxy(t, ddbtest.Endpoint(t))
	s := newServerFor(t, persons.New(ddblocal.Client(proxy.Endpoint, ddbstats.Counting), table))
	srv := httptest.NewServer(s.h)
	defer srv.Close()

	// accessLine waits for the access log line of the request with the given id.
	accessLine := func(id string) map[string]any {
		t.Helper()
		for deadline := time.Now().Add(5 * time.Second); time.Now().Before(deadline); time.Sleep(10 * time.Millisecond) {
			for _, rec := range s.logs.lines(t, "request") {
				if rec["request_id"] == id {
					return rec
				}
			}
		}
		t.Fatalf("no access log line for %s within 5s of the disconnect:\n%s", id, s.logs.String())
		return nil
	}

	t.Run("waiting for DynamoDB", func(t *testing.T) {
		proxy.Stall()
		defer proxy.Resume()
		ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
		defer cancel()
		req, err := http.NewRequestWithContext(ctx, "GET", srv.URL+"/persons", nil)
		if err != nil {
			t.Fatal(err)
		}
		req.Header.Set(api.RequestIDHeader, "gone-while-waiting")
		if res, err := http.DefaultClient.Do(req); err == nil {
			res.Body.Close()
			t.Fatalf("the request was answered (%d) although DynamoDB is stalled", res.StatusCode)
		}
		line := accessLine("gone-while-waiting")
		// The server noticed within a second or two, long before an attempt's timeout
		// plus retries would have ended the request.
		if line["status"] != float64(api.StatusClientClosedRequest) || line["level"] != "INFO" || line["duration_ms"].(float64) > 2000 {
			t.Errorf("access log %v, want status 499 at INFO within 2000 ms", line)
		}
	})
	t.Run("sending its body", func(t *testing.T) {
		conn, err := net.Dial("tcp", strings.TrimPrefix(srv.URL, "http://"))
		if err != nil {
			t.Fatal(err)
		}
		fmt.Fprintf(conn, "POST /persons HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"+
			"X-Request-Id: gone-while-sending\r\nContent-Length: 200\r\n\r\n{\"firstName\":")
		time.Sleep(100 * time.Millisecond)
		conn.Close()
		if line := accessLine("gone-while-sending"); line["status"] != float64(api.StatusClientClosedRequest) || line["level"] != "INFO" {
			t.Errorf("access log %v, want status 499 at INFO", line)
		}
	})
	if errs := s.logs.levelLines(t, "ERROR"); len(errs) > 0 {
		t.Errorf("ERROR lines for clients that went away: %v", errs)
	}
	if errs := s.logs.levelLines(t, "WARN"); len(errs) > 0 {
		t.Errorf("WARN lines for clients that went away: %v", errs)
	}
}

// The configured request timeout: PERSONS_REQUEST_TIMEOUT's values.
func TestParseRequestTimeout(t *testing.T) {
	for in, want := range map[string]time.Duration{"": api.DefaultRequestTimeout, "8s": 8 * time.Second, "2500ms": 2500 * time.Millisecond} {
		if got, err := api.ParseRequestTimeout(in); err != nil || got != want {
			t.Errorf("ParseRequestTimeout(%q) = %v, %v; want %v", in, got, err, want)
		}
	}
	for _, in := range []string{"8", "0s", "-1s", "1h", "soon"} {
		if _, err := api.ParseRequestTimeout(in); err == nil {
			t.Errorf("ParseRequestTimeout(%q) accepted", in)
		}
	}
	// The budget of one DynamoDB call fits in the default deadline, which fits in the
	// function timeout with room for the answer.
	if ddbclient.CallBudget >= api.DefaultRequestTimeout || api.DefaultRequestTimeout+time.Second > functionTimeout {
		t.Errorf("call budget %v, request deadline %v, function timeout %v: want each inside the next", ddbclient.CallBudget, api.DefaultRequestTimeout, functionTimeout)
	}
}

// Retry-After is readable by browser clients on other origins.
func TestRetryAfterExposedToBrowsers(t *testing.T) {
	s := newServerFor(t, persons.New(ddblocal.Client(ddbfault.DeadEndpoint(t)), "persons"))
	res := s.do("GET", "/persons", nil, "Origin", "http://localhost:5173")
	res.problem(t, http.StatusServiceUnavailable)
	if exposed := res.Header.Get("Access-Control-Expose-Headers"); !strings.Contains(exposed, "Retry-After") {
		t.Errorf("Access-Control-Expose-Headers %q lacks Retry-After", exposed)
	}
	if n, err := strconv.Atoi(res.Header.Get("Retry-After")); err != nil || n < 1 {
		t.Errorf("Retry-After %q", res.Header.Get("Retry-After"))
	}
}
