package main

import (
	"bufio"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb"

	"github.com/personsapi/persons/pkg/api"
	"github.com/personsapi/persons/pkg/ddblocal"
	"github.com/personsapi/persons/pkg/persons"
)

// running is one started serve process.
type running struct {
	cmd      *exec.Cmd
	url      string // the API
	endpoint string // its DynamoDB Local
	out      *strings.Builder
	exited   chan error
}

var bannerRE = regexp.MustCompile(`persons API on (http://\S+) .* on DynamoDB Local (http://\S+)\)`)

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
	r := &running{cmd: cmd, out: &strings.Builder{}, exited: make(chan error, 1)}
	banner := make(chan []string, 1)
	go func() {
		sc := bufio.NewScanner(stderr)
		for sc.Scan() {
			r.out.WriteString(sc.Text() + "\n")
			if m := bannerRE.FindStringSubmatch(sc.Text()); m != nil {
				banner <- m
			}
		}
		r.exited <- cmd.Wait()
	}()
	t.Cleanup(func() { _ = cmd.Process.Kill() })
	select {
	case m := <-banner:
		r.url, r.endpoint = m[1], m[2]
	case <-time.After(90 * time.Second):
		t.Fatalf("no banner after 90s")
	}
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
	if testing.Short() {
		t.Skip("starts DynamoDB Local")
	}
	if _, err := ddblocal.FindJarDir(""); err != nil {
		t.Skip(err)
	}
	bin := filepath.Join(t.TempDir(), "serve")
	if out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput(); err != nil {
		t.Fatalf("build: %v\n%s", err, out)
	}
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
