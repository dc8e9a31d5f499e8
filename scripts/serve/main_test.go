package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb"

	"github.com/personsapi/persons/internal/cmdtest"
	"github.com/personsapi/persons/pkg/api"
	"github.com/personsapi/persons/pkg/ddblocal"
	"github.com/personsapi/persons/pkg/persons"
)

func TestMain(m *testing.M) { os.Exit(cmdtest.Main(m)) }

// running is one started serve process.
type running struct {
	cmd       *exec.Cmd
	url       string // the API
	endpoint  string // its DynamoDB Local
	enginePID int
	out       *output
	exited    chan error
}

// output is the server's stderr as read so far; the reading goroutine writes it while
// the test reads it.
type output struct {
	mu sync.Mutex
	b  strings.Builder
}

func (o *output) WriteString(s string) {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.b.WriteString(s)
}

func (o *output) String() string {
	o.mu.Lock()
	defer o.mu.Unlock()
	return o.b.String()
}

var (
	apiRE    = regexp.MustCompile(`persons API on (http://\S+) `)
	engineRE = regexp.MustCompile(`DynamoDB Local (http://\S+) \(pid (\d+), listening on 127\.0\.0\.1 only`)
)

// start runs the serve binary the way `make run` does, on free ports, and waits for its
// banner.
func start(t *testing.T, bin, dataDir string, args ...string) *running {
	t.Helper()
	cmd := exec.Command(bin, append([]string{"-addr", "127.0.0.1:0", "-data", dataDir}, args...)...)
	stderr, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	r := &running{cmd: cmd, out: &output{}, exited: make(chan error, 1)}
	api, engine := make(chan []string, 1), make(chan []string, 1)
	go func() {
		sc := bufio.NewScanner(stderr)
		for sc.Scan() {
			r.out.WriteString(sc.Text() + "\n")
			if m := apiRE.FindStringSubmatch(sc.Text()); m != nil {
				api <- m
			}
			if m := engineRE.FindStringSubmatch(sc.Text()); m != nil {
				engine <- m
			}
		}
		r.exited <- cmd.Wait()
	}()
	t.Cleanup(func() { _ = cmd.Process.Kill() })
	select {
	case m := <-api:
		r.url = m[1]
	case <-time.After(90 * time.Second):
		t.Fatalf("no banner after 90s")
	}
	select {
	case m := <-engine:
		r.endpoint = m[1]
		r.enginePID, _ = strconv.Atoi(m[2])
	case <-time.After(time.Second):
		t.Fatalf("the banner names no engine on 127.0.0.1 only")
	}
	// Whatever the test does, leave no engine behind.
	t.Cleanup(func() {
		if ddblocal.Running(r.enginePID) {
			_ = syscall.Kill(r.enginePID, syscall.SIGKILL)
		}
	})
	return r
}

// interrupt sends Ctrl-C and checks that the server exits cleanly and its DynamoDB
// Local is gone.
func (r *running) interrupt(t *testing.T) {
	t.Helper()
	if err := r.cmd.Process.Signal(syscall.SIGINT); err != nil {
		t.Fatal(err)
	}
	select {
	case err := <-r.exited:
		if err != nil {
			t.Fatalf("serve exited with %v; output:\n%s", err, r.out)
		}
	case <-time.After(30 * time.Second):
		t.Fatalf("serve still running 30s after SIGINT")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
	defer cancel()
	if _, err := ddblocal.Client(r.endpoint).ListTables(ctx, &dynamodb.ListTablesInput{}); err == nil {
		t.Errorf("DynamoDB Local at %s still answers after Ctrl-C", r.endpoint)
	}
}

func countPersons(t *testing.T, url string) int {
	t.Helper()
	var page struct{ Items []json.RawMessage }
	_, body := get(t, url+"/persons?limit=100")
	if err := json.Unmarshal(body, &page); err != nil {
		t.Fatalf("list: %s", body)
	}
	return len(page.Items)
}

func get(t *testing.T, url string) (int, []byte) {
	t.Helper()
	res, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	return res.StatusCode, b
}

// The `make run` server: starts its own DynamoDB Local with data on disk, serves every
// function's routes and the OpenAPI document, stops the engine on Ctrl-C, and finds its
// data again on the next start.
func TestServe(t *testing.T) {
	cmdtest.NeedEngine(t)
	bin := cmdtest.Build(t)
	data := filepath.Join(t.TempDir(), "ddb-data")

	r := start(t, bin, data, "-seed-count", "7")
	if n := countPersons(t, r.url); n != 7 {
		t.Fatalf("seeded %d persons, want 7; output:\n%s", n, r.out)
	}
	var page struct{ Items []struct{ ID string } }
	_, body := get(t, r.url+"/persons?limit=1")
	if err := json.Unmarshal(body, &page); err != nil || len(page.Items) != 1 {
		t.Fatalf("list: %s", body)
	}
	var details persons.PersonDetails
	if _, body = get(t, r.url+"/persons/"+page.Items[0].ID+"?include=all"); json.Unmarshal(body, &details) != nil ||
		len(details.Addresses) == 0 || len(details.Contacts) == 0 || len(details.Employments) == 0 || len(details.BankAccounts) == 0 {
		t.Errorf("seeded person without related items: %s", body)
	}
	res, err := http.Post(r.url+"/persons", "application/json",
		strings.NewReader(`{"firstName":"Ada","lastName":"Lovelace"}`))
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != http.StatusCreated {
		t.Fatalf("POST /persons: %d", res.StatusCode)
	}
	loc := res.Header.Get("Location")
	// A route of each related function is served by the same process.
	for _, rt := range api.Routes() {
		if rt.Function == api.FunctionPersons || rt.Method != http.MethodGet || strings.HasSuffix(rt.Path, "}") {
			continue
		}
		path := strings.Replace(rt.Path, "/persons/{personId}", loc, 1)
		if code, body := get(t, r.url+path); code != http.StatusOK {
			t.Errorf("GET %s: %d %s", path, code, body)
		}
	}
	if code, body := get(t, r.url+"/openapi.json"); code != http.StatusOK || !json.Valid(body) {
		t.Errorf("GET /openapi.json: %d", code)
	}
	r.interrupt(t)
	if _, err := os.Stat(data); err != nil {
		t.Fatalf("data folder: %v", err)
	}

	// The data survives a restart, and a table that is not empty is not seeded again.
	r = start(t, bin, data, "-seed-count", "7")
	if n := countPersons(t, r.url); n != 8 {
		t.Errorf("after restart %d persons, want 7 seeded + 1", n)
	}
	if code, body := get(t, r.url+loc); code != http.StatusOK {
		t.Errorf("after restart GET %s: %d %s", loc, code, body)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	out, err := ddblocal.Client(r.endpoint).ListTables(ctx, &dynamodb.ListTablesInput{})
	if err != nil || len(out.TableNames) != 1 || out.TableNames[0] != "persons" {
		t.Errorf("tables after restart: %v, %v", out, err)
	}
	r.interrupt(t)
}

// kill -9 of the server, which cannot stop anything itself then, takes its DynamoDB
// Local with it.
func TestKill9StopsEngine(t *testing.T) {
	cmdtest.NeedEngine(t)
	r := start(t, cmdtest.Build(t), filepath.Join(t.TempDir(), "ddb-data"), "-seed-count", "0")
	if !ddblocal.Running(r.enginePID) {
		t.Fatalf("engine pid %d from the banner is not running", r.enginePID)
	}
	if err := r.cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	<-r.exited
	begin := time.Now()
	for ddblocal.Running(r.enginePID) {
		if time.Since(begin) > 5*time.Second {
			t.Fatalf("DynamoDB Local (pid %d) still running 5s after kill -9 of serve", r.enginePID)
		}
		time.Sleep(20 * time.Millisecond)
	}
	t.Logf("engine gone %v after kill -9", time.Since(begin).Round(time.Millisecond))
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	if _, err := ddblocal.Client(r.endpoint).ListTables(ctx, &dynamodb.ListTablesInput{}); err == nil {
		t.Errorf("%s still answers", r.endpoint)
	}
}

// failsFast runs serve and returns its output; it must exit with status 1 within limit.
func failsFast(t *testing.T, limit time.Duration, args ...string) string {
	t.Helper()
	cmd := exec.Command(cmdtest.Build(t), args...)
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	begin := time.Now()
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	select {
	case err := <-exited:
		if code := cmd.ProcessState.ExitCode(); code != 1 {
			t.Errorf("exit status %d (%v), want 1; output:\n%s", code, err, &out)
		}
	case <-time.After(limit):
		_ = cmd.Process.Kill()
		<-exited
		t.Fatalf("still running after %v; output:\n%s", limit, &out)
	}
	t.Logf("exited after %v: %s", time.Since(begin).Round(time.Millisecond), strings.TrimSpace(out.String()))
	return out.String()
}

// A taken API port is a startup error that names it, before any engine starts.
func TestAPIPortTaken(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	addr := ln.Addr().String()
	out := failsFast(t, 5*time.Second, "-addr", addr, "-data", filepath.Join(t.TempDir(), "ddb-data"))
	if !strings.Contains(out, "API address "+addr+" is already in use") {
		t.Errorf("output does not say that %s is taken:\n%s", addr, out)
	}
	if strings.Contains(out, "starting DynamoDB Local") {
		t.Errorf("started DynamoDB Local anyway:\n%s", out)
	}
}

// A -ddb-port that another DynamoDB holds (here a stand-in that answers like one) is a
// startup error that names it: serve never serves from an engine it did not start, and
// does not even ask that one anything.
func TestEnginePortTaken(t *testing.T) {
	cmdtest.NeedEngine(t)
	var requests atomic.Int64
	other := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		requests.Add(1)
		w.Header().Set("Content-Type", "application/x-amz-json-1.0")
		_, _ = io.WriteString(w, `{"TableNames":["persons"]}`)
	}))
	defer other.Close()
	port := other.Listener.Addr().(*net.TCPAddr).Port
	out := failsFast(t, 5*time.Second, "-addr", "127.0.0.1:0", "-data", filepath.Join(t.TempDir(), "ddb-data"),
		"-ddb-port", strconv.Itoa(port))
	if !strings.Contains(out, fmt.Sprintf("DynamoDB Local port %d: address already in use", port)) {
		t.Errorf("output does not say that port %d is taken:\n%s", port, out)
	}
	if strings.Contains(out, "persons API on") {
		t.Errorf("served anyway:\n%s", out)
	}
	if n := requests.Load(); n != 0 {
		t.Errorf("serve sent %d requests to the other engine", n)
	}
}

// When its engine exits, the server stops too, rather than go on and talk to whatever
// takes the engine's port next.
func TestEngineExitStopsServer(t *testing.T) {
	cmdtest.NeedEngine(t)
	r := start(t, cmdtest.Build(t), filepath.Join(t.TempDir(), "ddb-data"), "-seed-count", "0")
	if err := syscall.Kill(r.enginePID, syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	select {
	case <-r.exited:
	case <-time.After(10 * time.Second):
		t.Fatalf("serve still running 10s after its engine died; output:\n%s", r.out)
	}
	if code := r.cmd.ProcessState.ExitCode(); code != 1 || !strings.Contains(r.out.String(), "DynamoDB Local exited") {
		t.Errorf("exit status %d, output:\n%s", code, r.out)
	}
}
