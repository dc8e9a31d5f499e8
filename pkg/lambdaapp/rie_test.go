package lambdaapp_test

import (
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"

	"github.com/personsapi/persons/pkg/api"
	"github.com/personsapi/persons/pkg/ddbtest"
	"github.com/personsapi/persons/pkg/deploy"
	"github.com/personsapi/persons/pkg/persons"
	"github.com/personsapi/persons/pkg/rie"
)

// Each function, built as the real bootstrap binary, serves API Gateway events under
// the Lambda Runtime Interface Emulator against DynamoDB Local.
func TestFunctionsUnderEmulator(t *testing.T) {
	if testing.Short() {
		t.Skip("builds five Lambda binaries")
	}
	db, table := ddbtest.NewTable(t)
	store := persons.New(db, table)
	newPerson := personMaker(store)
	for _, fn := range api.Functions() {
		t.Run(string(fn), func(t *testing.T) {
			fnc := rie.Start(t, rie.Build(t, "./functions/"+string(fn)), localEnv(t, table))
			invoke := func(t *testing.T, ev []byte) events.APIGatewayV2HTTPResponse {
				t.Helper()
				out := fnc.Invoke(t, ev)
				var res events.APIGatewayV2HTTPResponse
				if err := json.Unmarshal(out, &res); err != nil || res.StatusCode == 0 {
					t.Fatalf("not an HTTP response: %s (%v)\nlog:\n%s", out, err, fnc.Log())
				}
				return res
			}
			scenario(t, fn, invoke, newPerson)
			d, ok := fnc.InitDuration()
			if !ok || d <= 0 {
				t.Fatalf("no init duration reported; log:\n%s", fnc.Log())
			}
			t.Logf("%s: init duration %v", fn, d)
			// The function's access log line reaches the Lambda log (CloudWatch) as JSON.
			if !fnc.LogContains(`"msg":"request"`, 5*time.Second) {
				t.Errorf("no access log line in:\n%s", fnc.Log())
			}
		})
	}
}

// Without TABLE_NAME a function fails its init with a clear message.
func TestFunctionWithoutTableFailsInit(t *testing.T) {
	if testing.Short() {
		t.Skip("builds a Lambda binary")
	}
	env := localEnv(t, "")
	delete(env, deploy.EnvTableName)
	fnc := rie.Start(t, rie.Build(t, "./functions/persons"), env)
	status, out, err := fnc.InvokeContext(context.Background(), event(t, request{route: "GET /persons", path: "/persons"}, "x"))
	if err != nil {
		t.Fatal(err)
	}
	// The emulator answers 502 (the Lambda service: Runtime.ExitError); never a response.
	if status == 200 && !strings.Contains(string(out), "errorType") {
		t.Errorf("invocation without TABLE_NAME answered %d %s", status, out)
	}
	if !fnc.LogContains("TABLE_NAME is not set", 5*time.Second) {
		t.Errorf("log does not explain the missing TABLE_NAME:\n%s", fnc.Log())
	}
}
