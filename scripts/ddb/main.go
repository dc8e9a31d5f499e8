// Command ddb starts and stops ONE DynamoDB Local for make targets (ddb-up, ddb-down,
// test). `up` leaves the engine running in the background and writes its process id to
// a pidfile; `down` stops the engine that the pidfile names. `make run` does not use it:
// scripts/serve owns its engine for as long as it runs.
//
//	go run ./scripts/ddb [-port 8000] [-data dir] [-pidfile file] [-log file] up|down
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io/fs"
	"os"
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
		fmt.Fprintln(flag.CommandLine.Output(), "usage: ddb [flags] up|down")
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
	if ddblocal.Wait(ctx, c.endpoint(), 0, nil) == nil {
		return fmt.Errorf("port %d already serves something DynamoDB-like; not starting another", c.port)
	}
	if err := os.MkdirAll(filepath.Dir(c.pidfile), 0o755); err != nil {
		return err
	}
	if err := os.MkdirAll(filepath.Dir(c.logs), 0o755); err != nil {
		return err
	}
	logs, err := os.Create(c.logs)
	if err != nil {
		return err
	}
	defer logs.Close()
	srv, err := ddblocal.Start(ctx, ddblocal.Options{Port: c.port, DataDir: c.dataDir, Log: logs, Detach: true})
	if err != nil {
		out, _ := os.ReadFile(c.logs)
		return fmt.Errorf("%w\nlog %s:\n%s", err, c.logs, out)
	}
	if err := os.WriteFile(c.pidfile, []byte(strconv.Itoa(srv.PID())+"\n"), 0o644); err != nil {
		srv.Stop()
		return err
	}
	fmt.Printf("DynamoDB Local ready at %s (pid %d)\n", srv.Endpoint, srv.PID())
	return nil
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
