// Package rie runs Lambda functions of this module under the AWS Lambda Runtime Interface
// Emulator (aws-lambda-rie) in tests: the real Lambda runtime API, the real bootstrap
// binary, no Docker. The emulator is a Go tool dependency of the module (see go.mod), so
// its version is pinned and it is built from the module cache.
//
//	bin := rie.Build(t, "./functions/seed")
//	fn := rie.Start(t, bin, map[string]string{"TABLE_NAME": table, "AWS_ENDPOINT_URL_DYNAMODB": ddbtest.Endpoint(t)})
//	out := fn.Invoke(t, []byte(`{"count":5}`))
package rie

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/personsapi/persons/internal/freeport"
)

// emulatorPkg is the tool dependency that provides the emulator binary.
const emulatorPkg = "github.com/aws/aws-lambda-runtime-interface-emulator/cmd/aws-lambda-rie"

// InvokePath is the one invocation path the emulator serves; the function name is always
// "function", so an AWS SDK Lambda client pointed at Endpoint invokes FunctionName "function".
const InvokePath = "/2015-03-31/functions/function/invocations"

// FunctionName is the function name to use with an AWS SDK Lambda client.
const FunctionName = "function"

// builds caches the binaries built by this test binary, keyed by package path, so that
// many tests of one package share one build.
var (
	buildsMu sync.Mutex
	builds   = map[string]*build{}
)

type build struct {
	once sync.Once
	path string
	err  error
}

func cached(key string, make func() (string, error)) (string, error) {
	buildsMu.Lock()
	b, ok := builds[key]
	if !ok {
		b = &build{}
		builds[key] = b
	}
	buildsMu.Unlock()
	b.once.Do(func() { b.path, b.err = make() })
	return b.path, b.err
}

// Build compiles the Lambda main package at pkgPath (relative to the module root, e.g.
// "./functions/seed") for the host OS and architecture the way the deployment builds it
// (-tags lambda.norpc, CGO_ENABLED=0) and returns the path of the "bootstrap" binary.
// The build is done once per test binary and package path.
func Build(t testing.TB, pkgPath string) string {
	t.Helper()
	bin, err := cached("fn:"+pkgPath, func() (string, error) {
		dir, err := buildDir(pkgPath)
		if err != nil {
			return "", err
		}
		out := filepath.Join(dir, "bootstrap")
		return out, goBuild(out, "-tags", "lambda.norpc", "-trimpath", pkgPath)
	})
	if err != nil {
		t.Fatalf("rie: build %s: %v", pkgPath, err)
	}
	return bin
}

// emulator returns the path of the aws-lambda-rie binary, built once per test binary.
func emulator() (string, error) {
	return cached("emulator", func() (string, error) {
		dir, err := buildDir("emulator")
		if err != nil {
			return "", err
		}
		out := filepath.Join(dir, "aws-lambda-rie")
		return out, goBuild(out, emulatorPkg)
	})
}

func goBuild(out string, args ...string) error {
	root, err := ModuleRoot()
	if err != nil {
		return err
	}
	cmd := exec.Command("go", append([]string{"build", "-o", out}, args...)...)
	cmd.Dir = root
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0", "GOOS="+runtime.GOOS, "GOARCH="+runtime.GOARCH)
	if b, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("go build %s: %w\n%s", strings.Join(args, " "), err, b)
	}
	return nil
}

// ModuleRoot returns the directory of the go.mod enclosing the working directory.
func ModuleRoot() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for d := dir; ; d = filepath.Dir(d) {
		if _, err := os.Stat(filepath.Join(d, "go.mod")); err == nil {
			return d, nil
		}
		if filepath.Dir(d) == d {
			return "", fmt.Errorf("no go.mod in %s or its parents", dir)
		}
	}
}

var (
	rootOnce sync.Once
	rootDir  string
	rootErr  error
)

// buildDir returns a fresh folder for one build inside this process's folder. The binaries
// outlive single tests (they are shared), so they cannot live in t.TempDir; instead each
// process owns os.TempDir()/persons-rie-<pid> and removes those of processes that are gone.
func buildDir(name string) (string, error) {
	rootOnce.Do(func() {
		removeStale()
		rootDir = filepath.Join(os.TempDir(), fmt.Sprintf("persons-rie-%d", os.Getpid()))
		rootErr = os.MkdirAll(rootDir, 0o755)
	})
	if rootErr != nil {
		return "", rootErr
	}
	return os.MkdirTemp(rootDir, strings.NewReplacer("/", "_", ".", "_").Replace(name)+"-")
}

func removeStale() {
	dirs, _ := filepath.Glob(filepath.Join(os.TempDir(), "persons-rie-*"))
	for _, d := range dirs {
		pid, err := strconv.Atoi(strings.TrimPrefix(filepath.Base(d), "persons-rie-"))
		if err != nil || pid == os.Getpid() {
			continue
		}
		if err := syscall.Kill(pid, 0); errors.Is(err, syscall.ESRCH) {
			_ = os.RemoveAll(d)
		}
	}
}

// Emulator is a running aws-lambda-rie serving one function.
type Emulator struct {
	// Endpoint is http://127.0.0.1:PORT, usable as a Lambda client's endpoint URL.
	Endpoint string

	cmd     *exec.Cmd
	log     *syncBuffer
	done    chan struct{}
	invoked atomic.Bool // an invocation has completed
}

// Start runs the emulator with the bootstrap binary on a free local port and waits until
// it accepts connections. The function sees env plus AWS_REGION and dummy credentials
// (unless env sets them) and nothing else of the test's environment, as in Lambda.
// The emulator stops when the test ends; its log is attached to the test on failure.
func Start(t testing.TB, bootstrap string, env map[string]string) *Emulator {
	t.Helper()
	bin, err := emulator()
	if err != nil {
		t.Fatalf("rie: build emulator: %v", err)
	}
	ports, err := freeport.Get(2)
	if err != nil {
		t.Fatalf("rie: %v", err)
	}
	addr := "127.0.0.1:" + strconv.Itoa(ports[0])
	e := &Emulator{Endpoint: "http://" + addr, log: &syncBuffer{}, done: make(chan struct{})}
	e.cmd = exec.Command(bin,
		"--runtime-interface-emulator-address", addr,
		// The runtime API port defaults to 9001: a fixed port would clash between tests.
		"--runtime-api-address", "127.0.0.1:"+strconv.Itoa(ports[1]),
		bootstrap)
	e.cmd.Dir = filepath.Dir(bootstrap)
	e.cmd.Env = functionEnv(env)
	e.cmd.Stdout, e.cmd.Stderr = e.log, e.log
	// Own process group: stopping it also stops the bootstrap the emulator spawned.
	e.cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := e.cmd.Start(); err != nil {
		t.Fatalf("rie: start emulator: %v", err)
	}
	go func() { _ = e.cmd.Wait(); close(e.done) }()
	t.Cleanup(func() {
		e.stop()
		if t.Failed() {
			t.Logf("rie: emulator log:\n%s", e.Log())
		}
	})
	if err := e.waitReady(addr, 30*time.Second); err != nil {
		t.Fatalf("rie: %v\n%s", err, e.Log())
	}
	return e
}

func functionEnv(env map[string]string) []string {
	vars := map[string]string{
		"AWS_REGION":            "us-east-1",
		"AWS_ACCESS_KEY_ID":     "local",
		"AWS_SECRET_ACCESS_KEY": "local",
	}
	for _, k := range []string{"PATH", "HOME", "TMPDIR"} {
		if v, ok := os.LookupEnv(k); ok {
			vars[k] = v
		}
	}
	for k, v := range env {
		vars[k] = v
	}
	out := make([]string, 0, len(vars))
	for k, v := range vars {
		out = append(out, k+"="+v)
	}
	return out
}

func (e *Emulator) waitReady(addr string, timeout time.Duration) error {
	deadline := time.Now().Add(timeout)
	for {
		c, err := net.DialTimeout("tcp", addr, time.Second)
		if err == nil {
			c.Close()
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("emulator not listening on %s after %s: %w", addr, timeout, err)
		}
		select {
		case <-e.done:
			return errors.New("emulator exited during start-up")
		case <-time.After(20 * time.Millisecond):
		}
	}
}

func (e *Emulator) stop() {
	pgid := e.cmd.Process.Pid
	_ = syscall.Kill(-pgid, syscall.SIGTERM)
	select {
	case <-e.done:
	case <-time.After(5 * time.Second):
		_ = syscall.Kill(-pgid, syscall.SIGKILL)
		<-e.done
	}
}

// Invoke posts payload as an event to the function and returns the response body. It
// fails the test on a transport error or a non-200 status. A function error is a 200
// response whose body is the error payload ({"errorMessage": ..., "errorType": ...}).
func (e *Emulator) Invoke(t testing.TB, payload []byte) []byte {
	t.Helper()
	status, body, err := e.InvokeContext(context.Background(), payload)
	if err != nil {
		t.Fatalf("rie: invoke: %v", err)
	}
	if status != http.StatusOK {
		t.Fatalf("rie: invoke: status %d: %s", status, body)
	}
	return body
}

// InvokeContext is Invoke for callers that check the status themselves.
func (e *Emulator) InvokeContext(ctx context.Context, payload []byte) (status int, body []byte, err error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, e.Endpoint+InvokePath, bytes.NewReader(payload))
	if err != nil {
		return 0, nil, err
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return 0, nil, err
	}
	defer resp.Body.Close()
	e.invoked.Store(true)
	body, err = io.ReadAll(resp.Body)
	return resp.StatusCode, body, err
}

// initReportRE matches the emulator's log line on the end of the function's init phase:
// "(rapid) INIT REPORT(durationMs: 2.317000)".
var initReportRE = regexp.MustCompile(`INIT REPORT\(durationMs: ([0-9.]+)\)`)

// LogContains reports whether the log contains substr, waiting up to timeout for it:
// the log arrives through a pipe, so after an invocation its last lines may lag a little.
func (e *Emulator) LogContains(substr string, timeout time.Duration) bool {
	for deadline := time.Now().Add(timeout); ; {
		if strings.Contains(e.Log(), substr) {
			return true
		}
		if time.Now().After(deadline) {
			return false
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// InitDuration returns the init (cold start) duration the emulator logged for the first
// invocation, and false if there is none (no invocation yet, or the init failed).
func (e *Emulator) InitDuration() (time.Duration, bool) {
	// The log arrives through a pipe, so after an invocation the line may lag a little.
	var m []string
	for deadline := time.Now().Add(2 * time.Second); ; {
		m = initReportRE.FindStringSubmatch(e.Log())
		if m != nil || !e.invoked.Load() || time.Now().After(deadline) {
			break
		}
		time.Sleep(10 * time.Millisecond)
	}
	if m == nil {
		return 0, false
	}
	ms, err := strconv.ParseFloat(m[1], 64)
	if err != nil {
		return 0, false
	}
	return time.Duration(ms * float64(time.Millisecond)), true
}

// Log returns everything the emulator and the function have written so far.
func (e *Emulator) Log() string { return e.log.String() }

type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}
