package ddbfault_test

import (
	"bufio"
	"io"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/personsapi/persons/pkg/ddbfault"
)

// echo serves line echoes on a loopback port.
func echo(t *testing.T) string {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go func() { defer c.Close(); _, _ = io.Copy(c, c) }()
		}
	}()
	return "http://" + ln.Addr().String()
}

// The proxy forwards; stalled, it holds every byte until Resume; closed, its port
// refuses connections.
func TestProxy(t *testing.T) {
	p := ddbfault.NewProxy(t, echo(t))
	addr := strings.TrimPrefix(p.Endpoint, "http://")
	c, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	r := bufio.NewReader(c)
	roundTrip := func(line string, within time.Duration) (string, error) {
		if _, err := io.WriteString(c, line+"\n"); err != nil {
			return "", err
		}
		_ = c.SetReadDeadline(time.Now().Add(within))
		return r.ReadString('\n')
	}
	if got, err := roundTrip("one", 5*time.Second); err != nil || got != "one\n" {
		t.Fatalf("forwarded: %q, %v", got, err)
	}
	p.Stall()
	if got, err := roundTrip("two", 300*time.Millisecond); err == nil {
		t.Fatalf("stalled proxy answered %q", got)
	}
	p.Resume()
	_ = c.SetReadDeadline(time.Now().Add(5 * time.Second))
	if got, err := r.ReadString('\n'); err != nil || got != "two\n" {
		t.Fatalf("after Resume: %q, %v; want the held line", got, err)
	}
	p.Close()
	if c2, err := net.DialTimeout("tcp", addr, time.Second); err == nil {
		c2.Close()
		t.Fatal("the closed proxy accepted a connection")
	}
	if _, err := net.DialTimeout("tcp", strings.TrimPrefix(ddbfault.DeadEndpoint(t), "http://"), time.Second); err == nil {
		t.Fatal("the dead endpoint accepted a connection")
	}
}
