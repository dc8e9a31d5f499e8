package main

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb"

	"github.com/personsapi/persons/internal/freeport"
	"github.com/personsapi/persons/pkg/ddblocal"
)

// up starts one engine in the background, a second up finds it, down stops it and
// removes the pidfile, a second down has nothing to do.
func TestUpDown(t *testing.T) {
	if testing.Short() {
		t.Skip("starts DynamoDB Local")
	}
	if _, err := ddblocal.FindJarDir(""); err != nil {
		t.Skip(err)
	}
	dir := t.TempDir()
	bin := filepath.Join(dir, "ddb")
	if out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput(); err != nil {
		t.Fatalf("build: %v\n%s", err, out)
	}
	ports, err := freeport.Get(1)
	if err != nil {
		t.Fatal(err)
	}
	pidfile := filepath.Join(dir, "ddb.pid")
	run := func(cmd string) ([]byte, error) {
		return exec.Command(bin, "-port", strconv.Itoa(ports[0]), "-pidfile", pidfile,
			"-log", filepath.Join(dir, "ddb.log"), cmd).CombinedOutput()
	}
	ddb := func(cmd string) string {
		t.Helper()
		out, err := run(cmd)
		if err != nil {
			t.Fatalf("ddb %s: %v\n%s", cmd, err, out)
		}
		return string(out)
	}
	endpoint := ddblocal.URL(ports[0])
	answers := func() bool {
		ctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
		defer cancel()
		_, err := ddblocal.Client(endpoint).ListTables(ctx, &dynamodb.ListTablesInput{})
		return err == nil
	}

	out := ddb("up")
	t.Cleanup(func() { _, _ = run("down") })
	if !strings.Contains(out, "ready at "+endpoint) || !answers() {
		t.Fatalf("after up, no engine at %s: %s", endpoint, out)
	}
	if out := ddb("up"); !strings.Contains(out, "already running") {
		t.Errorf("second up: %s", out)
	}
	ddb("down")
	if answers() {
		t.Errorf("engine at %s still answers after down", endpoint)
	}
	if _, err := os.Stat(pidfile); !os.IsNotExist(err) {
		t.Errorf("pidfile after down: %v", err)
	}
	if out := ddb("down"); out != "" {
		t.Errorf("down without an engine: %q", out)
	}
}
