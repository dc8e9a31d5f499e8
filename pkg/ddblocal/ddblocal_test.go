package ddblocal

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/url"
	"os"
	"os/exec"
	"runtime"
	"strconv"
	"strings"
	"testing"
	"time"
)

// Attach never signals a process that is not DynamoDB Local, such as one that took over
// the process id of a stale pidfile.
func TestAttachOtherProcess(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("checks the command line in /proc")
	}
	if _, err := Attach(os.Getpid(), URL(1)); err == nil {
		t.Fatal("Attach accepted the test process")
	}
}

func TestAttachGone(t *testing.T) {
	// Far above any pid_max: no such process.
	if _, err := Attach(1<<30, URL(1)); !errors.Is(err, os.ErrProcessDone) {
		t.Fatalf("err = %v, want os.ErrProcessDone", err)
	}
}

func TestRunning(t *testing.T) {
	if !Running(os.Getpid()) {
		t.Error("Running(self) = false")
	}
	if Running(1 << 30) {
		t.Error("Running(no such pid) = true")
	}
	if runtime.GOOS != "linux" {
		return
	}
	// A child that has exited but was not collected yet is a zombie: not running.
	cmd := exec.Command("true")
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer cmd.Wait()
	deadline := time.Now().Add(5 * time.Second)
	for Running(cmd.Process.Pid) {
		if time.Now().After(deadline) {
			t.Fatal("an exited child still counts as running")
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// skipWithoutEngine skips tests that start DynamoDB Local where they cannot.
func skipWithoutEngine(t *testing.T) string {
	t.Helper()
	if testing.Short() {
		t.Skip("starts DynamoDB Local")
	}
	dir, err := FindJarDir("")
	if err != nil {
		t.Skip(err)
	}
	if _, err := exec.LookPath("java"); err != nil {
		t.Skip(err)
	}
	return dir
}

// withoutLauncher makes the test start the jar as shipped, as on a Java runtime that
// cannot run Loopback.java.
func withoutLauncher(t *testing.T) {
	saved := canRunSourceFiles
	canRunSourceFiles = func() bool { return false }
	t.Cleanup(func() { canRunSourceFiles = saved })
}

func startEngine(t *testing.T, o Options) *Server {
	t.Helper()
	srv, err := Start(context.Background(), o)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(srv.Stop)
	return srv
}

func portOf(t *testing.T, endpoint string) int {
	t.Helper()
	u, err := url.Parse(endpoint)
	if err != nil {
		t.Fatal(err)
	}
	port, err := strconv.Atoi(u.Port())
	if err != nil || u.Hostname() != "127.0.0.1" {
		t.Fatalf("endpoint %s: want http://127.0.0.1:PORT", endpoint)
	}
	return port
}

// A port that is taken is an error before any JVM starts, whoever holds it: Start never
// hands out an engine that it did not start.
func TestStartPortTaken(t *testing.T) {
	skipWithoutEngine(t)
	for _, launcher := range []bool{true, false} {
		t.Run(fmt.Sprintf("launcher=%v", launcher), func(t *testing.T) {
			if !launcher {
				withoutLauncher(t)
			}
			ln, err := net.Listen("tcp", "127.0.0.1:0")
			if err != nil {
				t.Fatal(err)
			}
			defer ln.Close()
			port := ln.Addr().(*net.TCPAddr).Port
			begin := time.Now()
			srv, err := Start(context.Background(), Options{Port: port})
			if err == nil {
				srv.Stop()
				t.Fatalf("Start on a taken port %d succeeded", port)
			}
			if !errors.Is(err, ErrPortInUse) || !strings.Contains(err.Error(), strconv.Itoa(port)) {
				t.Errorf("err = %v, want ErrPortInUse naming port %d", err, port)
			}
			if d := time.Since(begin); d > 2*time.Second {
				t.Errorf("took %v to find the port taken", d)
			}
		})
	}
}

// When the port is taken after Start's check (a race), the launcher says so, with the
// address, and exits with status 2 rather than leave the port to whoever holds it.
func TestLauncherCannotListen(t *testing.T) {
	jarDir := skipWithoutEngine(t)
	if !canRunSourceFiles() {
		t.Skip("this Java cannot run Loopback.java")
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	port := strconv.Itoa(ln.Addr().(*net.TCPAddr).Port)
	l := &launcher{jarDir: jarDir, loopback: true, tied: true}
	cmd, err := l.command([]string{"-inMemory", "-disableTelemetry", "-port", port})
	if err != nil {
		t.Fatal(err)
	}
	defer l.cleanup()
	if err := startTied(cmd); err != nil {
		t.Fatal(err)
	}
	exited := make(chan struct{})
	go func() { _ = cmd.Wait(); close(exited) }()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	if err := l.waitStatus(ctx, exited); err == nil || !strings.Contains(err.Error(), "cannot listen on 127.0.0.1:"+port) {
		t.Errorf("status: %v, want cannot listen on 127.0.0.1:%s", err, port)
	}
	<-exited
	if code := cmd.ProcessState.ExitCode(); code != 2 {
		t.Errorf("exit status %d, want 2", code)
	}
}
