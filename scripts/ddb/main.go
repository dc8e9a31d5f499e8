// Command ddb starts and stops ONE DynamoDB Local for make targets (ddb-up, ddb-down,
// test). `up` leaves the engine running in the background, on purpose detached so that
// it outlives the command, and writes its process id to a pidfile; `down` stops the
// engine that the pidfile names. `run CMD ARGS...` starts an engine tied to itself, runs
// CMD with the engine's endpoint in PERSONS_DYNAMODB_ENDPOINT and stops the engine when
// CMD ends: `make test` uses it, so that the engine stops however the tests end, even
// when make or ddb are killed with kill -9 (pkg/ddblocal's tie). `make run` does not use
// ddb: scripts/serve owns its engine for as long as it runs.
//
// The engine listens on 127.0.0.1 only (see pkg/ddblocal), and a port that is taken is an
// error.
//
//	go run ./scripts/ddb [-port 8000] [-data dir] [-pidfile file] [-log file] up|down
//	go run ./scripts/ddb [-port 8000] [-data dir] [-log file] run CMD [ARGS...]
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"

	"github.com/personsapi/persons/pkg/ddblocal"
)

type config struct {
	port                   int
	dataDir, pidfile, logs string
}

func (c config) endpoint() string { return ddblocal.URL(c.port) }

func main() {
	var c config
	flag.IntVar(&c.port, "port", 8000, "port to listen on; clients use http://127.0.0.1:PORT")
	flag.StringVar(&c.dataDir, "data", "", "folder that keeps the database across restarts (empty: in memory)")
	flag.StringVar(&c.pidfile, "pidfile", "", "file that holds the engine's process id (default .local/ddb-PORT.pid)")
	flag.StringVar(&c.logs, "log", "", "file for the engine's output (default .local/ddb-PORT.log)")
	flag.Usage = func() {
		fmt.Fprintln(flag.CommandLine.Output(), "usage: ddb [flags] up|down\n       ddb [flags] run CMD [ARGS...]")
		flag.PrintDefaults()
	}
	flag.Parse()
	if c.pidfile == "" {
		c.pidfile = filepath.Join(".local", fmt.Sprintf("ddb-%d.pid", c.port))
	}
	if c.logs == "" {
		c.logs = filepath.Join(".local", fmt.Sprintf("ddb-%d.log", c.port))
	}
	// Ctrl-C while `up` waits for the engine stops the engine instead of leaving it behind.
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()

	var err error
	switch flag.Arg(0) {
	case "up":
		err = up(ctx, c)
	case "down":
		err = down(c)
	case "run":
		if flag.NArg() < 2 {
			flag.Usage()
			os.Exit(2)
		}
		var code int
		code, err = run(ctx, c, flag.Args()[1:])
		if err == nil {
			os.Exit(code)
		}
	default:
		flag.Usage()
		os.Exit(2)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "ddb:", err)
		os.Exit(1)
	}
}

// up starts the engine unless the pidfile names one that is already serving.
func up(ctx context.Context, c config) error {
	if srv, err := running(c); err == nil && ddblocal.Wait(ctx, srv.Endpoint, 0, nil) == nil {
		fmt.Printf("DynamoDB Local already running at %s (pid %d)\n", srv.Endpoint, srv.PID())
		return nil
	}
	if err := os.MkdirAll(filepath.Dir(c.pidfile), 0o755); err != nil {
		return err
	}
	srv, err := start(ctx, c, true)
	if err != nil {
		return err
	}
	if err := os.WriteFile(c.pidfile, []byte(strconv.Itoa(srv.PID())+"\n"), 0o644); err != nil {
		srv.Stop()
		return err
	}
	fmt.Printf("DynamoDB Local ready at %s (pid %d)\n", srv.Endpoint, srv.PID())
	return nil
}

// start starts the engine with its output in the log file; a taken port (a DynamoDB
// Local left running, say) is an error, not an engine to use.
func start(ctx context.Context, c config, detach bool) (*ddblocal.Server, error) {
	if err := os.MkdirAll(filepath.Dir(c.logs), 0o755); err != nil {
		return nil, err
	}
	logs, err := os.Create(c.logs)
	if err != nil {
		return nil, err
	}
	defer logs.Close()
	srv, err := ddblocal.Start(ctx, ddblocal.Options{Port: c.port, DataDir: c.dataDir, Log: logs, Detach: detach})
	if errors.Is(err, ddblocal.ErrPortInUse) {
		return nil, err
	}
	if err != nil {
		out, _ := os.ReadFile(c.logs)
		return nil, fmt.Errorf("%w\nlog %s:\n%s", err, c.logs, out)
	}
	if srv.AllInterfaces {
		fmt.Fprintln(os.Stderr, "ddb: warning: this Java cannot run DynamoDB Local's loopback launcher (it needs the jdk.compiler module, as in a JDK), so DynamoDB Local listens on every interface")
	}
	return srv, nil
}

// run starts a tied engine, runs the command with its endpoint and returns the command's
// exit status once it has stopped the engine.
func run(ctx context.Context, c config, command []string) (int, error) {
	srv, err := start(ctx, c, false)
	if err != nil {
		return 0, err
	}
	defer func() {
		srv.Stop()
		fmt.Fprintln(os.Stderr, "DynamoDB Local stopped")
	}()
	fmt.Fprintf(os.Stderr, "DynamoDB Local ready at %s (pid %d)\n", srv.Endpoint, srv.PID())

	cmd := exec.Command(command[0], command[1:]...)
	cmd.Stdin, cmd.Stdout, cmd.Stderr = os.Stdin, os.Stdout, os.Stderr
	cmd.Env = append(os.Environ(), ddblocal.EndpointEnv+"="+srv.Endpoint)
	// Ctrl-C in a terminal reaches the command as well, which decides how to end; ddb
	// waits for it and then stops the engine. SIGTERM sent to ddb alone is passed on.
	sigs := make(chan os.Signal, 1)
	signal.Notify(sigs, os.Interrupt, syscall.SIGTERM)
	defer signal.Stop(sigs)
	if err := cmd.Start(); err != nil {
		return 0, err
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	for {
		select {
		case sig := <-sigs:
			if sig == syscall.SIGTERM {
				_ = cmd.Process.Signal(sig)
			}
		case <-exited:
			if code := cmd.ProcessState.ExitCode(); code >= 0 {
				return code, nil
			}
			return 1, nil // killed by a signal
		}
	}
}

// down stops the engine that the pidfile names, if any, and removes the pidfile.
func down(c config) error {
	srv, err := running(c)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return nil // nothing was started
	case errors.Is(err, os.ErrProcessDone):
		// It is gone already.
	case err != nil:
		fmt.Fprintf(os.Stderr, "ddb: %v; removing %s\n", err, c.pidfile)
	default:
		srv.Stop()
	}
	if err := os.Remove(c.pidfile); err != nil {
		return err
	}
	fmt.Println("DynamoDB Local stopped")
	return nil
}

// running returns the engine that the pidfile names.
func running(c config) (*ddblocal.Server, error) {
	b, err := os.ReadFile(c.pidfile)
	if err != nil {
		return nil, err
	}
	pid, err := strconv.Atoi(strings.TrimSpace(string(b)))
	if err != nil {
		return nil, fmt.Errorf("pidfile %s: %w", c.pidfile, err)
	}
	return ddblocal.Attach(pid, c.endpoint())
}
