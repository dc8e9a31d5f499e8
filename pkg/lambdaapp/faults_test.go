package lambdaapp_test

import (
	"bufio"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/awslabs/aws-lambda-go-api-proxy/httpadapter"

	"github.com/personsapi/persons/pkg/api"
	"github.com/personsapi/persons/pkg/ddbfault"
	"github.com/personsapi/persons/pkg/ddbtest"
	"github.com/personsapi/persons/pkg/deploy"
	"github.com/personsapi/persons/pkg/lambdaapp"
	"github.com/personsapi/persons/pkg/persons"
	"github.com/personsapi/persons/pkg/rie"
)

// functionTimeout is the API functions' timeout (infra, apiTimeoutSec), given to the
// emulator as AWS_LAMBDA_FUNCTION_TIMEOUT.
const functionTimeout = 10 * time.Second

// PERSONS_REQUEST_TIMEOUT must be a duration; anything else fails the init, naming it.
func TestRequestTimeoutConfig(t *testing.T) {
	t.Setenv(deploy.EnvTableName, "t")
	t.Setenv(deploy.EnvCursorKeys, testCursorKeys)
	for _, v := range []string{"8", "0s", "forever"} {
		t.Setenv(deploy.EnvRequestTimeout, v)
		_, err := lambdaapp.Handler(context.Background(), api.FunctionPersons, slog.Default())
		if err == nil || !strings.Contains(err.Error(), deploy.EnvRequestTimeout) {
			t.Errorf("%s=%q: %v", deploy.EnvRequestTimeout, v, err)
		}
	}
}

// stalledFunction is lambdaapp.Handler on a table behind a stalled proxy, and an
// existing person's id.
func stalledFunction(t *testing.T, env map[string]string) (*ddbfault.Proxy, string, map[string]string) {
	t.Helper()
	db, table := ddbtest.NewTable(t)
	p, err := persons.New(db, table).CreatePerson(context.Background(), persons.Person{FirstName: "Ada", LastName: "Lovelace"})
	if err != nil {
		t.Fatal(err)
	}
	proxy := ddbfault.NewProxy(t, ddbtest.Endpoint(t))
	e := localEnv(t, table)
	e[deploy.EnvDynamoDBEndpoint] = proxy.Endpoint
	for k, v := range env {
		e[k] = v
	}
	return proxy, p.ID, e
}

// The invocation's deadline wins over the request timeout when it is closer: the
// function answers DeadlineMargin before it, by itself.
func TestInvocationDeadline(t *testing.T) {
	proxy, id, env := stalledFunction(t, nil)
	for k, v := range env {
		t.Setenv(k, v)
	}
	h, err := lambdaapp.Handler(context.Background(), api.FunctionPersons, slog.New(slog.NewJSONHandler(io.Discard, nil)))
	if err != nil {
		t.Fatal(err)
	}
	proxy.Stall()
	var ev events.APIGatewayV2HTTPRequest
	if err := json.Unmarshal(event(t, request{route: "GET /persons/{personId}", path: "/persons/" + id,
		params: map[string]string{"personId": id}}, "apigw-deadline"), &ev); err != nil {
		t.Fatal(err)
	}
	// A function timeout of 4 s: the request must end DeadlineMargin before it, at 3 s,
	// well before the default request timeout.
	invocation := 4 * time.Second
	ctx, cancel := context.WithTimeout(context.Background(), invocation)
	defer cancel()
	start := time.Now()
	res, err := httpadapter.NewV2(h).ProxyWithContext(ctx, ev)
	took := time.Since(start)
	if err != nil {
		t.Fatal(err)
	}
	if res.StatusCode != http.StatusGatewayTimeout || res.Headers["Retry-After"] == "" {
		t.Errorf("response %d %v %s, want 504 with Retry-After", res.StatusCode, res.Headers, res.Body)
	}
	if want := invocation - lambdaapp.DeadlineMargin; took < want-300*time.Millisecond || took >= invocation-100*time.Millisecond {
		t.Errorf("answered after %v, want about %v (the invocation deadline less %v)", took, want, lambdaapp.DeadlineMargin)
	}
}

// Under the Lambda emulator with the functions' timeout, a stalled DynamoDB gets a 503
// or 504 problem from the function itself, before the timeout (before, the emulator
// reported "Task timed out after 10.00 seconds"). Every line the function writes is a
// JSON slog line.
func TestStalledDatabaseUnderEmulator(t *testing.T) {
	if testing.Short() {
		t.Skip("builds a Lambda binary and waits for seconds")
	}
	proxy, id, env := stalledFunction(t, map[string]string{
		"AWS_LAMBDA_FUNCTION_TIMEOUT": strconv.Itoa(int(functionTimeout / time.Second)),
	})
	fnc := rie.Start(t, rie.Build(t, "./functions/persons"), env)
	get := event(t, request{route: "GET /persons/{personId}", path: "/persons/" + id, params: map[string]string{"personId": id}}, "apigw-stalled")
	// A first invocation while DynamoDB is fine: the function is warm, its connections open.
	if status, out, err := fnc.InvokeContext(context.Background(), get); err != nil || status != http.StatusOK || !strings.Contains(string(out), `"statusCode":200`) {
		t.Fatalf("healthy invocation: %d %s %v", status, out, err)
	}
	proxy.Stall()
	defer proxy.Resume()
	start := time.Now()
	status, out, err := fnc.InvokeContext(context.Background(), get)
	took := time.Since(start)
	if err != nil || status != http.StatusOK {
		t.Fatalf("invocation: %d %s %v", status, out, err)
	}
	var res events.APIGatewayV2HTTPResponse
	if err := json.Unmarshal(out, &res); err != nil || res.StatusCode == 0 {
		t.Fatalf("not an HTTP response (%v): %s\nlog:\n%s", err, out, fnc.Log())
	}
	if res.StatusCode != http.StatusServiceUnavailable && res.StatusCode != http.StatusGatewayTimeout {
		t.Errorf("status %d, want 503 or 504; body %s", res.StatusCode, res.Body)
	}
	if res.Headers["Retry-After"] == "" || res.Headers["Content-Type"] != api.ProblemContentType {
		t.Errorf("headers %v, want a problem with Retry-After", res.Headers)
	}
	if took >= functionTimeout-500*time.Millisecond {
		t.Errorf("answered after %v, too close to the function timeout %v", took, functionTimeout)
	}
	t.Logf("stalled DynamoDB under the emulator: %d after %v", res.StatusCode, took.Round(time.Millisecond))
	if strings.Contains(fnc.Log(), "Task timed out") {
		t.Errorf("the function timed out:\n%s", fnc.Log())
	}
	if !fnc.LogContains(`"msg":"dynamodb unavailable"`, 5*time.Second) && !fnc.LogContains(`"msg":"request deadline exceeded"`, time.Second) {
		t.Errorf("no WARN line on the fault in:\n%s", fnc.Log())
	}
	// The function's own lines are JSON: no plain-text SDK line. (The emulator's
	// lines, START/END/REPORT and "(rapid)", are the Lambda service's, not ours.)
	sc := bufio.NewScanner(strings.NewReader(fnc.Log()))
	for sc.Scan() {
		line := sc.Text()
		if strings.HasPrefix(line, "SDK ") || strings.Contains(line, "checksum") {
			t.Errorf("plain-text line from the function: %q", line)
		}
		if strings.HasPrefix(line, "{") && !json.Valid([]byte(line)) {
			t.Errorf("broken JSON line: %q", line)
		}
	}
}
