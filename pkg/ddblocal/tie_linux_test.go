package ddblocal

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
)

// helperEnv makes the test binary a process that starts a tied engine, prints
// "engine PID ENDPOINT" and waits to be killed. Its value picks the ties: "both"
// (launcher and parent-death signal), "stdin" (the launcher's alone, as on macOS) or
// "pdeathsig" (the jar as shipped, parent-death signal alone).
const helperEnv = "DDBLOCAL_TEST_ENGINE_HELPER"

func TestMain(m *testing.M) {
	if mode := os.Getenv(helperEnv); mode != "" {
		os.Exit(engineHelper(mode))
	}
	os.Exit(m.Run())
}

func engineHelper(mode string) int {
	switch mode {
	case "stdin":
		parentDeathSignal = 0
	case "pdeathsig":
		canRunSourceFiles = func() bool { return false }
	}
	srv, err := Start(context.Background(), Options{})
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	fmt.Printf("engine %d %s\n", srv.PID(), srv.Endpoint)
	select {} // until killed
}

// An engine started without Detach dies with the process that started it, even when
// that process is killed with SIGKILL and cannot stop it, by each tie on its own.
func TestTiedEngineDiesWithProcess(t *testing.T) {
	skipWithoutEngine(t)
	for _, mode := range []string{"both", "stdin", "pdeathsig"} {
		t.Run(mode, func(t *testing.T) {
			if mode != "pdeathsig" && !canRunSourceFiles() {
				t.Skip("this Java cannot run Loopback.java")
			}
			helper := exec.Command(os.Args[0], "-test.run=^$")
			helper.Env = append(os.Environ(), helperEnv+"="+mode)
			helper.Stderr = os.Stderr
			out, err := helper.StdoutPipe()
			if err != nil {
				t.Fatal(err)
			}
			if err := helper.Start(); err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { _ = helper.Process.Kill(); _ = helper.Wait() })
			var pid int
			var endpoint string
			line, err := bufio.NewReader(out).ReadString('\n')
			if _, serr := fmt.Sscanf(line, "engine %d %s", &pid, &endpoint); err != nil || serr != nil {
				t.Fatalf("helper said %q: %v", line, err)
			}
			// Whatever happens below, leave no engine behind.
			t.Cleanup(func() {
				if Running(pid) {
					_ = syscall.Kill(pid, syscall.SIGKILL)
				}
			})

			if err := helper.Process.Signal(syscall.SIGKILL); err != nil {
				t.Fatal(err)
			}
			_ = helper.Wait()
			begin := time.Now()
			for Running(pid) {
				if time.Since(begin) > 5*time.Second {
					t.Fatalf("engine %d still running 5s after kill -9 of its starter", pid)
				}
				time.Sleep(20 * time.Millisecond)
			}
			t.Logf("engine gone %v after kill -9", time.Since(begin).Round(time.Millisecond))
			ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
			defer cancel()
			if _, err := Client(endpoint).ListTables(ctx, &dynamodb.ListTablesInput{}); err == nil {
				t.Errorf("%s still answers", endpoint)
			}
		})
	}
}

// The engine listens on 127.0.0.1 only: its one listening socket is bound to the
// loopback address and no other address of this machine reaches it.
func TestListensOnLoopbackOnly(t *testing.T) {
	skipWithoutEngine(t)
	if !canRunSourceFiles() {
		t.Skip("this Java cannot run Loopback.java")
	}
	srv := startEngine(t, Options{})
	if srv.AllInterfaces {
		t.Error("AllInterfaces = true")
	}
	port := portOf(t, srv.Endpoint)
	ls := listenersOf(t, srv, port)
	for _, l := range ls {
		if !l.ip.Equal(net.IPv4(127, 0, 0, 1)) {
			t.Errorf("listens on %s, want 127.0.0.1 only", l.ip)
		}
	}
	for _, ip := range otherAddrs(t) {
		addr := net.JoinHostPort(ip.String(), fmt.Sprint(port))
		if c, err := net.DialTimeout("tcp", addr, time.Second); err == nil {
			c.Close()
			t.Errorf("engine reachable at %s", addr)
		} else if !errors.Is(err, syscall.ECONNREFUSED) {
			t.Logf("%s: %v", addr, err)
		}
	}
}

// What DynamoDB Local does on its own (3.3.0): it listens on every interface and is
// reachable through every address of this machine. If this test fails because it no
// longer does, the launcher may have become unnecessary: see the package documentation.
func TestJarListensOnAllInterfaces(t *testing.T) {
	skipWithoutEngine(t)
	withoutLauncher(t)
	srv := startEngine(t, Options{})
	if !srv.AllInterfaces {
		t.Error("AllInterfaces = false")
	}
	port := portOf(t, srv.Endpoint)
	for _, l := range listenersOf(t, srv, port) {
		if !l.ip.IsUnspecified() {
			t.Errorf("the jar listens on %s, want the unspecified address (every interface)", l.ip)
		}
	}
	for _, ip := range otherAddrs(t) {
		addr := net.JoinHostPort(ip.String(), fmt.Sprint(port))
		c, err := net.DialTimeout("tcp", addr, time.Second)
		if err != nil {
			t.Errorf("the jar is not reachable at %s: %v", addr, err)
			continue
		}
		c.Close()
	}
}

// listenersOf returns the sockets listening on port and checks that srv's process holds
// them.
func listenersOf(t *testing.T, srv *Server, port int) []tcpListener {
	t.Helper()
	ls, err := tcpListeners(port)
	if err != nil {
		t.Fatal(err)
	}
	if len(ls) == 0 {
		t.Fatalf("nothing listens on port %d", port)
	}
	if err := checkListener(srv.PID(), port); err != nil {
		t.Fatal(err)
	}
	var addrs []string
	for _, l := range ls {
		addrs = append(addrs, l.ip.String())
	}
	t.Logf("port %d: listening on %s", port, strings.Join(addrs, ", "))
	return ls
}

// otherAddrs returns this machine's addresses that are not loopback (IPv6 link-local
// ones need a zone, and are left out).
func otherAddrs(t *testing.T) []net.IP {
	t.Helper()
	addrs, err := net.InterfaceAddrs()
	if err != nil {
		t.Fatal(err)
	}
	var ips []net.IP
	for _, a := range addrs {
		if n, ok := a.(*net.IPNet); ok && !n.IP.IsLoopback() && !n.IP.IsLinkLocalUnicast() {
			ips = append(ips, n.IP)
		}
	}
	if len(ips) == 0 {
		t.Log("no address but loopback: nothing to try")
	}
	return ips
}

// checkListener tells the process that holds a listening socket from any other.
func TestCheckListener(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	port := ln.Addr().(*net.TCPAddr).Port
	if err := checkListener(os.Getpid(), port); err != nil {
		t.Errorf("own listener: %v", err)
	}
	other := exec.Command("sleep", "30")
	if err := other.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() { _ = other.Process.Kill(); _ = other.Wait() }()
	if err := checkListener(other.Process.Pid, port); !errors.Is(err, ErrPortInUse) {
		t.Errorf("another process's listener: err = %v, want ErrPortInUse", err)
	}
	ln.Close()
	if err := checkListener(os.Getpid(), port); err == nil {
		t.Error("no listener: no error")
	}
}
