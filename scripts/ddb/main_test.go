package main

import (
	"bufio"
	"context"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb"

	"github.com/personsapi/persons/internal/cmdtest"
	"github.com/personsapi/persons/internal/freeport"
	"github.com/personsapi/persons/pkg/ddblocal"
)

func TestMain(m *testing.M) { os.Exit(cmdtest.Main(m)) }

// up starts one engine in the background, a second up finds it, down stops it and
// removes the pidfile, a second down has nothing to do.
func TestUpDown(t *testing.T) {
	cmdtest.NeedEngine(t)
	dir := t.TempDir()
	bin := cmdtest.Build(t)
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

	out := ddb("up")
	t.Cleanup(func() { _, _ = run("down") })
	if !strings.Contains(out, "ready at "+endpoint) || !answers(endpoint) {
		t.Fatalf("after up, no engine at %s: %s", endpoint, out)
	}
	if out := ddb("up"); !strings.Contains(out, "already running") {
		t.Errorf("second up: %s", out)
	}
	ddb("down")
	if answers(endpoint) {
		t.Errorf("engine at %s still answers after down", endpoint)
	}
	if _, err := os.Stat(pidfile); !os.IsNotExist(err) {
		t.Errorf("pidfile after down: %v", err)
	}
	if out := ddb("down"); out != "" {
		t.Errorf("down without an engine: %q", out)
	}
}

// up on a port that something else holds fails at once and names the port.
func TestUpPortTaken(t *testing.T) {
	cmdtest.NeedEngine(t)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	port := strconv.Itoa(ln.Addr().(*net.TCPAddr).Port)
	dir := t.TempDir()
	out, err := exec.Command(cmdtest.Build(t), "-port", port, "-pidfile", filepath.Join(dir, "pid"),
		"-log", filepath.Join(dir, "log"), "up").CombinedOutput()
	if err == nil || !strings.Contains(string(out), "DynamoDB Local port "+port+": address already in use") {
		t.Errorf("up on a taken port: %v\n%s", err, out)
	}
}

// run hands the command the engine's endpoint, returns the command's exit status and
// stops the engine afterwards.
func TestRun(t *testing.T) {
	cmdtest.NeedEngine(t)
	ports, err := freeport.Get(1)
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(cmdtest.Build(t), "-port", strconv.Itoa(ports[0]), "-log", filepath.Join(t.TempDir(), "log"),
		"run", "sh", "-c", "echo endpoint=$"+ddblocal.EndpointEnv+"; exit 3")
	out, err := cmd.Output()
	if code := cmd.ProcessState.ExitCode(); code != 3 {
		t.Errorf("exit status %d (%v), want the command's 3", code, err)
	}
	endpoint := ddblocal.URL(ports[0])
	if got := strings.TrimSpace(string(out)); got != "endpoint="+endpoint {
		t.Errorf("the command saw %q, want endpoint=%s", got, endpoint)
	}
	if answers(endpoint) {
		t.Errorf("engine at %s still answers after run", endpoint)
	}
}

// kill -9 of `ddb run` (or of the make above it) still stops the engine: make test
// always leaves none behind.
func TestRunKilled(t *testing.T) {
	cmdtest.NeedEngine(t)
	cmd := exec.Command(cmdtest.Build(t), "-port", "0", "-log", filepath.Join(t.TempDir(), "log"),
		"run", "sh", "-c", "echo child $$; exec sleep 60")
	stderr, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = cmd.Process.Kill(); _ = cmd.Wait() })
	var pid, child int
	var endpoint string
	line, err := bufio.NewReader(stderr).ReadString('\n')
	if _, serr := fmt.Sscanf(line, "DynamoDB Local ready at %s (pid %d)", &endpoint, &pid); err != nil || serr != nil {
		t.Fatalf("ddb run said %q: %v", line, err)
	}
	line, err = bufio.NewReader(stdout).ReadString('\n')
	if _, serr := fmt.Sscanf(line, "child %d", &child); err != nil || serr != nil {
		t.Fatalf("the command said %q: %v", line, err)
	}
	t.Cleanup(func() {
		for _, p := range []int{pid, child} {
			if ddblocal.Running(p) {
				_ = syscall.Kill(p, syscall.SIGKILL)
			}
		}
	})
	if err := cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	_ = cmd.Wait()
	begin := time.Now()
	for ddblocal.Running(pid) {
		if time.Since(begin) > 5*time.Second {
			t.Fatalf("engine %d still running 5s after kill -9 of ddb run", pid)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func answers(endpoint string) bool {
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
	defer cancel()
	_, err := ddblocal.Client(endpoint).ListTables(ctx, &dynamodb.ListTablesInput{})
	return err == nil
}
