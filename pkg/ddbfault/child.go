package ddbfault

import (
	"bufio"
	"context"
	"fmt"
	"os"
	"os/exec"
	"regexp"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	awsmiddleware "github.com/aws/aws-sdk-go-v2/aws/middleware"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/smithy-go/middleware"
)

// childEnv marks the process as the child of a test that runs part of itself in a child
// process (StartChild); its value is the test's name.
const childEnv = "PERSONS_DDBFAULT_CHILD"

// linePrefix starts the lines a child reports to its parent on stdout (Report).
const linePrefix = "ddbfault-report: "

// InChild reports whether this process is the child StartChild started for the running
// test: the test then does the child's part and returns.
func InChild(t testing.TB) bool {
	return os.Getenv(childEnv) == t.Name()
}

// Report tells the parent a line (without newlines) from a child.
func Report(format string, args ...any) {
	fmt.Fprintf(os.Stdout, "\n"+linePrefix+format+"\n", args...)
}

// Child is this test binary running one test in a child process.
type Child struct {
	cmd    *exec.Cmd
	lines  chan string // the child's Report lines
	mu     sync.Mutex
	out    strings.Builder // everything it printed
	exited chan struct{}
}

// StartChild runs the test t again in a child process of the same test binary, with env
// ("NAME=value") added to the environment; in the child, InChild(t) is true. The child
// finds DynamoDB Local through the environment, as this process does. It is killed
// when the test ends, if it still runs.
func StartChild(t testing.TB, env ...string) *Child {
	t.Helper()
	parts := strings.Split(t.Name(), "/")
	for i, p := range parts {
		parts[i] = "^" + regexp.QuoteMeta(p) + "$"
	}
	cmd := exec.Command(os.Args[0], "-test.run="+strings.Join(parts, "/"), "-test.count=1", "-test.v")
	cmd.Env = append(append(os.Environ(), childEnv+"="+t.Name()), env...)
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stderr = cmd.Stdout
	c := &Child{cmd: cmd, lines: make(chan string, 100), exited: make(chan struct{})}
	if err := cmd.Start(); err != nil {
		t.Fatalf("ddbfault: start child: %v", err)
	}
	go func() {
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			line := sc.Text()
			c.mu.Lock()
			c.out.WriteString(line + "\n")
			c.mu.Unlock()
			if rest, ok := strings.CutPrefix(line, linePrefix); ok {
				c.lines <- rest
			}
		}
		_ = cmd.Wait()
		close(c.exited)
	}()
	t.Cleanup(func() {
		select {
		case <-c.exited:
		default:
			_ = cmd.Process.Kill()
			<-c.exited
		}
	})
	return c
}

// Output is everything the child printed so far.
func (c *Child) Output() string {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.out.String()
}

// Wait returns the next line the child reports, failing the test if none comes within
// timeout or the child exits first.
func (c *Child) Wait(t testing.TB, timeout time.Duration) string {
	t.Helper()
	select {
	case line := <-c.lines:
		return line
	case <-c.exited:
		t.Fatalf("ddbfault: the child exited without reporting; output:\n%s", c.Output())
	case <-time.After(timeout):
		t.Fatalf("ddbfault: no report from the child within %v; output:\n%s", timeout, c.Output())
	}
	return ""
}

// Kill kills the child with SIGKILL, as the OOM killer or a Lambda timeout would: it gets
// no chance to clean up. Kill returns once the process is gone.
func (c *Child) Kill(t testing.TB) {
	t.Helper()
	if err := c.cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatalf("ddbfault: kill child: %v", err)
	}
	select {
	case <-c.exited:
	case <-time.After(10 * time.Second):
		t.Fatalf("ddbfault: the child still runs 10s after SIGKILL")
	}
	if ps := c.cmd.ProcessState; ps == nil || ps.Sys().(syscall.WaitStatus).Signal() != syscall.SIGKILL {
		t.Fatalf("ddbfault: the child ended before it was killed (%v); output:\n%s", ps, c.Output())
	}
}

// HangAfter is a client option that lets n calls of the operation op (e.g.
// "BatchWriteItem") through, then calls reached once and blocks the next call (before
// it reaches the engine) until its context ends: the process is frozen at a known
// point, between two requests, for a test to kill it there.
func HangAfter(op string, n int64, reached func()) func(*dynamodb.Options) {
	var calls atomic.Int64
	var once sync.Once
	return func(o *dynamodb.Options) {
		o.APIOptions = append(o.APIOptions, func(s *middleware.Stack) error {
			return s.Initialize.Add(middleware.InitializeMiddlewareFunc("ddbfault.HangAfter",
				func(ctx context.Context, in middleware.InitializeInput, next middleware.InitializeHandler) (middleware.InitializeOutput, middleware.Metadata, error) {
					if awsmiddleware.GetOperationName(ctx) == op && calls.Add(1) > n {
						once.Do(reached)
						<-ctx.Done()
						return middleware.InitializeOutput{}, middleware.Metadata{}, ctx.Err()
					}
					return next.HandleInitialize(ctx, in)
				}), middleware.After)
		})
	}
}
