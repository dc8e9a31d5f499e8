package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"

	"github.com/personsapi/persons/pkg/ddbtest"
	"github.com/personsapi/persons/pkg/deploy"
	"github.com/personsapi/persons/pkg/persons"
	"github.com/personsapi/persons/pkg/rie"
	"github.com/personsapi/persons/pkg/seed"
)

func TestMain(m *testing.M) { os.Exit(ddbtest.Main(m)) }

func TestParseSeed(t *testing.T) {
	env := map[string]string{}
	getenv := func(k string) string { return env[k] }
	def := seedConfig{count: seed.DefaultCount, seed: seed.DefaultSeed}
	with := func(f func(*seedConfig)) seedConfig { c := def; f(&c); return c }
	tests := []struct {
		args []string
		env  map[string]string
		want seedConfig
	}{
		{nil, nil, with(func(c *seedConfig) { c.stack = deploy.DefaultStackName })},
		{nil, map[string]string{deploy.EnvSeedFunction: "fn-from-env"}, with(func(c *seedConfig) { c.function = "fn-from-env" })},
		{[]string{"--stack", "Persons-dev"}, map[string]string{deploy.EnvSeedFunction: "ignored"}, with(func(c *seedConfig) { c.stack = "Persons-dev" })},
		{[]string{"--function", "f", "--count", "7", "--seed", "-3", "--clear", "--region", "eu-west-1"}, nil,
			with(func(c *seedConfig) { c.function, c.count, c.seed, c.clear, c.region = "f", 7, -3, true, "eu-west-1" })},
		{[]string{"--endpoint-url", "http://127.0.0.1:9000"}, nil,
			with(func(c *seedConfig) { c.endpointURL, c.function = "http://127.0.0.1:9000", rieFunctionName })},
		{[]string{"--local"}, nil, with(func(c *seedConfig) { c.local, c.table = true, "persons" })},
		{[]string{"--local"}, map[string]string{deploy.EnvTableName: "t1"}, with(func(c *seedConfig) { c.local, c.table = true, "t1" })},
		{[]string{"--local", "--table", "t2", "--json"}, nil, with(func(c *seedConfig) { c.local, c.table, c.json = true, "t2", true })},
	}
	for _, tt := range tests {
		env = tt.env
		got, err := parseSeed(tt.args, getenv)
		if err != nil || !reflect.DeepEqual(got, tt.want) {
			t.Errorf("parseSeed(%q) with env %v = %+v, %v; want %+v", tt.args, tt.env, got, err, tt.want)
		}
	}

	env = nil
	for _, args := range [][]string{
		{"--count", "x"},
		{"--local", "--endpoint-url", "http://x"},
		{"--local", "--function", "f"},
		{"--table", "t"},
		{"--function", "f", "--stack", "s"},
		{"--endpoint-url", "http://x", "--stack", "s"},
		{"--nope"},
		{"extra"},
	} {
		if _, err := parseSeed(args, getenv); err == nil {
			t.Errorf("parseSeed(%q) succeeded, want a usage error", args)
		}
	}
}

func TestUsage(t *testing.T) {
	for _, tt := range []struct {
		args []string
		code int
	}{
		{nil, 2}, {[]string{"unseed"}, 2}, {[]string{"--help"}, 0}, {[]string{"seed", "-h"}, 0}, {[]string{"seed", "--count"}, 2},
	} {
		var out, errOut bytes.Buffer
		if code := run(context.Background(), tt.args, &out, &errOut); code != tt.code || !strings.Contains(out.String()+errOut.String(), "usage: persons seed") {
			t.Errorf("run(%q) = %d, output %q; want %d and the usage", tt.args, code, out.String()+errOut.String(), tt.code)
		}
	}
}

// cli runs the CLI in-process and returns its exit status and outputs.
func cli(t *testing.T, args ...string) (int, string, string) {
	t.Helper()
	var out, errOut bytes.Buffer
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	code := run(ctx, args, &out, &errOut)
	return code, out.String(), errOut.String()
}

// tableKeys returns the keys of every item of the table.
func tableKeys(t *testing.T, db *dynamodb.Client, table string) map[string]bool {
	t.Helper()
	keys := map[string]bool{}
	for k := range ddbtest.Items(t, db, table) {
		keys[k] = true
	}
	return keys
}

// generatedKeys returns the keys of the items of Generate(s, n).
func generatedKeys(t *testing.T, s int64, n int) map[string]bool {
	t.Helper()
	keys := map[string]bool{}
	for _, d := range seed.Generate(s, n) {
		items, err := persons.Items(d)
		if err != nil {
			t.Fatal(err)
		}
		for _, item := range items {
			keys[ddbtest.ItemKey(item)] = true
		}
	}
	return keys
}

// The CLI drives the seed bootstrap under the Lambda Runtime Interface Emulator.
func TestSeedThroughEmulator(t *testing.T) {
	db, table := ddbtest.NewTable(t)
	fn := rie.Start(t, rie.Build(t, "./functions/seed"), map[string]string{
		"TABLE_NAME":                table,
		"AWS_ENDPOINT_URL_DYNAMODB": ddbtest.Endpoint(t),
	})
	// Whatever AWS configuration the machine has, the emulator target needs none.
	t.Setenv("AWS_CONFIG_FILE", filepath.Join(t.TempDir(), "none"))
	t.Setenv("AWS_SHARED_CREDENTIALS_FILE", filepath.Join(t.TempDir(), "none"))
	t.Setenv("AWS_PROFILE", "")
	t.Setenv("AWS_ACCESS_KEY_ID", "")

	code, out, errOut := cli(t, "seed", "--endpoint-url", fn.Endpoint, "--count", "40", "--seed", "8", "--json")
	if code != 0 {
		t.Fatalf("exit %d\nstdout: %s\nstderr: %s", code, out, errOut)
	}
	var st seed.Stats
	if err := json.Unmarshal([]byte(out), &st); err != nil {
		t.Fatalf("stdout %q: %v", out, err)
	}
	want := generatedKeys(t, 8, 40)
	if got := tableKeys(t, db, table); !reflect.DeepEqual(got, want) {
		t.Errorf("table holds %d items, want the %d generated ones", len(got), len(want))
	}
	if st.Persons != 40 || st.Items != len(want) || st.Requests == 0 {
		t.Errorf("stats %+v, want 40 persons and %d items", st, len(want))
	}
	if !strings.Contains(errOut, "invoking function at "+fn.Endpoint) || strings.Contains(errOut, "\r") {
		t.Errorf("progress on a pipe should be plain lines naming the target, got %q", errOut)
	}
	if d, ok := fn.InitDuration(); !ok {
		t.Error("no init duration in the emulator log")
	} else {
		t.Logf("seed function init duration under the emulator: %s", d)
	}

	// A bad event is a readable function error, exit status 1, and writes nothing more.
	code, out, errOut = cli(t, "seed", "--endpoint-url", fn.Endpoint, "--count", "-1")
	if code != 1 || !strings.Contains(errOut, "the seed function function failed: invalid seed event: invalid input: count: must be between 1 and 10000") {
		t.Errorf("count -1: exit %d, stdout %q, stderr %q", code, out, errOut)
	}
	// The emulator serves one function name only.
	code, _, errOut = cli(t, "seed", "--endpoint-url", fn.Endpoint, "--function", "nope")
	if code != 1 || !strings.Contains(errOut, "function nope not found at "+fn.Endpoint) {
		t.Errorf("wrong function name: exit %d, stderr %q", code, errOut)
	}

	// --clear replaces the data.
	code, out, errOut = cli(t, "seed", "--endpoint-url", fn.Endpoint, "--count", "5", "--seed", "9", "--clear")
	if code != 0 || !strings.Contains(out, "cleared ") || !strings.Contains(out, "seeded 5 persons") {
		t.Fatalf("clear: exit %d\nstdout: %s\nstderr: %s", code, out, errOut)
	}
	if got, want := tableKeys(t, db, table), generatedKeys(t, 9, 5); !reflect.DeepEqual(got, want) {
		t.Errorf("after --clear the table holds %d items, want the %d of the new seed", len(got), len(want))
	}
}

func TestSeedLocal(t *testing.T) {
	db := ddbtest.Client(t)
	table := ddbtest.TableName(t) // does not exist yet: --local creates it
	t.Cleanup(func() {
		_, _ = db.DeleteTable(context.Background(), &dynamodb.DeleteTableInput{TableName: aws.String(table)})
	})
	t.Setenv(deploy.EnvDynamoDBEndpoint, ddbtest.Endpoint(t))

	code, out, errOut := cli(t, "seed", "--local", "--table", table, "--count", "30", "--seed", "2")
	if code != 0 || !strings.Contains(out, "seeded 30 persons") || !strings.Contains(errOut, "created table "+table) {
		t.Fatalf("exit %d\nstdout: %s\nstderr: %s", code, out, errOut)
	}
	if got, want := tableKeys(t, db, table), generatedKeys(t, 2, 30); !reflect.DeepEqual(got, want) {
		t.Errorf("table holds %d items, want the %d generated ones", len(got), len(want))
	}
	// Interrupted (Ctrl-C cancels the context): says how to finish.
	ctx, cancel := context.WithTimeout(context.Background(), 500*time.Millisecond)
	defer cancel()
	var out2, errOut2 bytes.Buffer
	code = run(ctx, []string{"seed", "--local", "--table", table, "--count", "10000"}, &out2, &errOut2)
	if code != 1 || !strings.Contains(errOut2.String(), "of 10000 persons; run the same command again to finish") {
		t.Errorf("interrupted: exit %d, stderr %q", code, errOut2.String())
	}

	// Validated the Lambda's way.
	code, _, errOut = cli(t, "seed", "--local", "--table", table, "--count", "20000")
	if code != 1 || !strings.Contains(errOut, "count: must be between 1 and 10000") {
		t.Errorf("count 20000: exit %d, stderr %q", code, errOut)
	}

	t.Setenv(deploy.EnvDynamoDBEndpoint, "")
	code, _, errOut = cli(t, "seed", "--local")
	if code != 1 || !strings.Contains(errOut, "--local needs "+deploy.EnvDynamoDBEndpoint) {
		t.Errorf("without %s: exit %d, stderr %q", deploy.EnvDynamoDBEndpoint, code, errOut)
	}
}

// cloudFormation answers DescribeStacks like CloudFormation (query protocol) for the
// stacks given: stack name -> outputs. There is no local CloudFormation, and only this one
// call matters to the CLI.
func cloudFormation(t *testing.T, stacks map[string]map[string]string) string {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if err := r.ParseForm(); err != nil || r.Form.Get("Action") != "DescribeStacks" {
			http.Error(w, "unexpected request", http.StatusBadRequest)
			return
		}
		name := r.Form.Get("StackName")
		outputs, ok := stacks[name]
		w.Header().Set("Content-Type", "text/xml")
		if !ok {
			w.WriteHeader(http.StatusBadRequest)
			fmt.Fprintf(w, `<ErrorResponse><Error><Type>Sender</Type><Code>ValidationError</Code>`+
				`<Message>Stack with id %s does not exist</Message></Error><RequestId>1</RequestId></ErrorResponse>`, name)
			return
		}
		var members strings.Builder
		for k, v := range outputs {
			fmt.Fprintf(&members, "<member><OutputKey>%s</OutputKey><OutputValue>%s</OutputValue></member>", k, v)
		}
		fmt.Fprintf(w, `<DescribeStacksResponse><DescribeStacksResult><Stacks><member>`+
			`<StackName>%s</StackName><StackStatus>CREATE_COMPLETE</StackStatus><CreationTime>2026-01-01T00:00:00Z</CreationTime>`+
			`<Outputs>%s</Outputs></member></Stacks></DescribeStacksResult><ResponseMetadata><RequestId>1</RequestId></ResponseMetadata></DescribeStacksResponse>`,
			name, members.String())
	}))
	t.Cleanup(srv.Close)
	return srv.URL
}

// The deployed target, with the SDK's service endpoints pointed at a stand-in
// CloudFormation and at the seed function under the emulator: the stack lookup, the
// credential checks and the invocation are the code paths used against AWS.
func TestDeployedTarget(t *testing.T) {
	db, table := ddbtest.NewTable(t)
	fn := rie.Start(t, rie.Build(t, "./functions/seed"), map[string]string{
		"TABLE_NAME":                table,
		"AWS_ENDPOINT_URL_DYNAMODB": ddbtest.Endpoint(t),
	})
	none := filepath.Join(t.TempDir(), "none")
	for k, v := range map[string]string{
		"AWS_CONFIG_FILE": none, "AWS_SHARED_CREDENTIALS_FILE": none, "AWS_PROFILE": "",
		"AWS_ACCESS_KEY_ID": "test", "AWS_SECRET_ACCESS_KEY": "test", "AWS_REGION": "eu-west-1",
		"AWS_ENDPOINT_URL_LAMBDA": fn.Endpoint,
		"AWS_ENDPOINT_URL_CLOUDFORMATION": cloudFormation(t, map[string]map[string]string{
			"Persons-test": {deploy.OutputSeedFunctionName: rieFunctionName, deploy.OutputTableName: table},
			"Bare":         {},
		}),
		deploy.EnvSeedFunction: "",
	} {
		t.Setenv(k, v)
	}

	code, out, errOut := cli(t, "seed", "--stack", "Persons-test", "--count", "12", "--seed", "6")
	if code != 0 || !strings.Contains(out, "seeded 12 persons") {
		t.Fatalf("--stack: exit %d\nstdout: %s\nstderr: %s", code, out, errOut)
	}
	if got, want := tableKeys(t, db, table), generatedKeys(t, 6, 12); !reflect.DeepEqual(got, want) {
		t.Errorf("table holds %d items, want the %d generated ones", len(got), len(want))
	}

	code, _, errOut = cli(t, "seed", "--stack", "Nope")
	if code != 1 || !strings.Contains(errOut, "stack Nope not found in eu-west-1: deploy it, or name the function with --function or "+deploy.EnvSeedFunction) {
		t.Errorf("missing stack: exit %d, stderr %q", code, errOut)
	}
	code, _, errOut = cli(t, "seed", "--stack", "Bare")
	if code != 1 || !strings.Contains(errOut, "stack Bare has no SeedFunctionName output") {
		t.Errorf("stack without the output: exit %d, stderr %q", code, errOut)
	}

	// The name from the environment; a function error is reported with its message.
	t.Setenv(deploy.EnvSeedFunction, rieFunctionName)
	code, out, errOut = cli(t, "seed", "--count", "0")
	if code != 1 || !strings.Contains(errOut, "the seed function function failed: invalid seed event: invalid input: count: must be between 1 and 10000") {
		t.Errorf("function error: exit %d, stdout %q, stderr %q", code, out, errOut)
	}
}

// Lambda's own error answers, which the emulator does not give, become readable
// messages. A stand-in answers as the Lambda service does (restJson1 errors, the
// X-Amz-Function-Error header).
func TestLambdaServiceErrors(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch strings.TrimSuffix(strings.TrimPrefix(r.URL.Path, "/2015-03-31/functions/"), "/invocations") {
		case "missing":
			w.Header().Set("X-Amzn-ErrorType", "ResourceNotFoundException")
			w.WriteHeader(http.StatusNotFound)
			fmt.Fprint(w, `{"Type":"User","Message":"Function not found: arn:aws:lambda:eu-west-1:123456789012:function:missing"}`)
		case "forbidden":
			w.Header().Set("X-Amzn-ErrorType", "AccessDeniedException")
			w.WriteHeader(http.StatusForbidden)
			fmt.Fprint(w, `{"Message":"User is not authorized to perform: lambda:InvokeFunction"}`)
		case "failing":
			w.Header().Set("X-Amz-Function-Error", "Unhandled")
			fmt.Fprint(w, `{"errorMessage":"seed: batch write to persons: boom","errorType":"wrapError"}`)
		case "timeout":
			w.Header().Set("X-Amz-Function-Error", "Unhandled")
			fmt.Fprint(w, `{"errorType":"Sandbox.Timedout","errorMessage":"RequestId: 1 Error: Task timed out after 300.00 seconds"}`)
		default:
			http.Error(w, "unexpected", http.StatusBadRequest)
		}
	}))
	defer srv.Close()
	none := filepath.Join(t.TempDir(), "none")
	for k, v := range map[string]string{
		"AWS_CONFIG_FILE": none, "AWS_SHARED_CREDENTIALS_FILE": none, "AWS_PROFILE": "",
		"AWS_ACCESS_KEY_ID": "test", "AWS_SECRET_ACCESS_KEY": "test", "AWS_REGION": "eu-west-1",
		"AWS_ENDPOINT_URL_LAMBDA": srv.URL, "AWS_MAX_ATTEMPTS": "1",
	} {
		t.Setenv(k, v)
	}
	for fn, want := range map[string]string{
		"missing":   "function missing not found in eu-west-1: check --function, " + deploy.EnvSeedFunction + " or the stack outputs",
		"forbidden": "not allowed to invoke forbidden (AccessDeniedException): check the AWS credentials and their permissions",
		"failing":   "the seed function failing failed: seed: batch write to persons: boom",
		"timeout":   "the seed function timeout failed: RequestId: 1 Error: Task timed out after 300.00 seconds",
	} {
		code, out, errOut := cli(t, "seed", "--function", fn)
		if code != 1 || !strings.Contains(errOut, want) {
			t.Errorf("%s: exit %d, stdout %q, stderr %q; want %q", fn, code, out, errOut, want)
		}
	}
}

// Without credentials the deployed target fails before any request, saying what to do.
func TestDeployedTargetNeedsCredentials(t *testing.T) {
	none := filepath.Join(t.TempDir(), "none")
	for k, v := range map[string]string{
		"AWS_CONFIG_FILE": none, "AWS_SHARED_CREDENTIALS_FILE": none, "AWS_EC2_METADATA_DISABLED": "true",
		"AWS_ACCESS_KEY_ID": "", "AWS_SECRET_ACCESS_KEY": "", "AWS_SESSION_TOKEN": "", "AWS_PROFILE": "",
		"AWS_REGION": "", "AWS_DEFAULT_REGION": "", "AWS_CONTAINER_CREDENTIALS_FULL_URI": "",
		"AWS_CONTAINER_CREDENTIALS_RELATIVE_URI": "", "AWS_WEB_IDENTITY_TOKEN_FILE": "",
	} {
		t.Setenv(k, v)
	}
	code, _, errOut := cli(t, "seed", "--function", "persons-seed")
	if code != 1 || !strings.Contains(errOut, "no AWS region: set AWS_REGION or pass --region") {
		t.Errorf("no region: exit %d, stderr %q", code, errOut)
	}
	code, _, errOut = cli(t, "seed", "--function", "persons-seed", "--region", "eu-west-1")
	if code != 1 || !strings.Contains(errOut, "no AWS credentials (set AWS_PROFILE") {
		t.Errorf("no credentials: exit %d, stderr %q", code, errOut)
	}
}

func TestProgressInPlaceOnATerminal(t *testing.T) {
	var b bytes.Buffer
	p := &progress{w: &b, tty: true}
	p.update("1 item")
	p.update("2 items")
	p.line("note")
	p.update("3 items")
	p.done()
	if want := "\r\x1b[K1 item\r\x1b[K2 items\r\x1b[Knote\n\r\x1b[K3 items\n"; b.String() != want {
		t.Errorf("terminal output %q, want %q", b.String(), want)
	}
	b.Reset()
	p = &progress{w: &b, every: time.Hour}
	p.update("1 item")
	p.update("2 items") // within the interval: not shown on a pipe
	p.done()
	if want := "1 item\n"; b.String() != want {
		t.Errorf("pipe output %q, want %q", b.String(), want)
	}
}
