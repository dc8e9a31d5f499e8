// Package ddbfault injects faults between the persons service and a real DynamoDB engine
// (DynamoDB Local) in tests: a TCP proxy that stalls or drops connections, an endpoint
// where nothing listens, SDK middleware that answers an attempt with a throttling error,
// and a way to run part of a test in a child process that can be killed with SIGKILL.
// Everything else stays real: the requests that get through reach the engine.
package ddbfault

import (
	"errors"
	"io"
	"net"
	"net/url"
	"sync"
	"testing"
)

// Proxy forwards TCP connections to an engine. Stall makes it stop forwarding bytes in
// both directions, as a paused engine process (or a network partition) does: connections
// are still accepted (the kernel would accept them for a paused process too), but no
// byte reaches the other side until Resume. Bytes read while stalled are delivered
// after Resume, so a request that timed out on the client may still be executed by the
// engine later, exactly as with a paused engine.
type Proxy struct {
	// Endpoint is the proxy's URL, http://127.0.0.1:PORT: give it to a client instead of
	// the engine's.
	Endpoint string

	target string // host:port of the engine
	ln     net.Listener
	done   chan struct{} // closed by Close

	mu      sync.Mutex
	resumed chan struct{} // closed while not stalled; replaced by Stall
	conns   map[net.Conn]struct{}
	wg      sync.WaitGroup
}

// NewProxy starts a proxy on a free loopback port in front of the engine at endpoint
// (a URL such as http://127.0.0.1:8000). It is closed when the test ends.
func NewProxy(t testing.TB, endpoint string) *Proxy {
	t.Helper()
	u, err := url.Parse(endpoint)
	if err != nil || u.Host == "" {
		t.Fatalf("ddbfault: endpoint %q is not a URL with a host", endpoint)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("ddbfault: %v", err)
	}
	resumed := make(chan struct{})
	close(resumed)
	p := &Proxy{
		Endpoint: "http://" + ln.Addr().String(),
		target:   u.Host,
		ln:       ln,
		done:     make(chan struct{}),
		resumed:  resumed,
		conns:    map[net.Conn]struct{}{},
	}
	p.wg.Add(1)
	go p.accept()
	t.Cleanup(p.Close)
	return p
}

// Stall stops forwarding: every byte in flight waits until Resume.
func (p *Proxy) Stall() {
	p.mu.Lock()
	defer p.mu.Unlock()
	select {
	case <-p.resumed:
		p.resumed = make(chan struct{})
	default: // already stalled
	}
}

// Resume forwards again, starting with the bytes held while stalled.
func (p *Proxy) Resume() {
	p.mu.Lock()
	defer p.mu.Unlock()
	select {
	case <-p.resumed:
	default:
		close(p.resumed)
	}
}

// Close stops listening and closes every connection, so that the proxy's port refuses
// connections from now on: the engine looks dead. It is safe to call more than once.
func (p *Proxy) Close() {
	p.mu.Lock()
	select {
	case <-p.done:
		p.mu.Unlock()
		return
	default:
	}
	close(p.done)
	_ = p.ln.Close()
	for c := range p.conns {
		_ = c.Close()
	}
	p.mu.Unlock()
	p.wg.Wait()
}

func (p *Proxy) accept() {
	defer p.wg.Done()
	for {
		client, err := p.ln.Accept()
		if err != nil {
			return // closed
		}
		engine, err := net.Dial("tcp", p.target)
		if err != nil {
			_ = client.Close()
			continue
		}
		if !p.track(client, engine) {
			return
		}
		p.wg.Add(2)
		go p.pipe(engine, client)
		go p.pipe(client, engine)
	}
}

// track registers the connections of one proxied connection; false if the proxy is closed.
func (p *Proxy) track(conns ...net.Conn) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	select {
	case <-p.done:
		for _, c := range conns {
			_ = c.Close()
		}
		return false
	default:
	}
	for _, c := range conns {
		p.conns[c] = struct{}{}
	}
	return true
}

func (p *Proxy) untrack(c net.Conn) {
	p.mu.Lock()
	delete(p.conns, c)
	p.mu.Unlock()
	_ = c.Close()
}

// pipe copies src to dst, holding every chunk while the proxy is stalled.
func (p *Proxy) pipe(dst, src net.Conn) {
	defer p.wg.Done()
	buf := make([]byte, 32<<10)
	for {
		n, err := src.Read(buf)
		if n > 0 {
			if !p.wait() {
				break
			}
			if _, werr := dst.Write(buf[:n]); werr != nil {
				break
			}
		}
		if err != nil {
			if errors.Is(err, io.EOF) {
				// The sender finished its side: pass that on and let the other pipe
				// carry the answer.
				if tc, ok := dst.(*net.TCPConn); ok {
					_ = tc.CloseWrite()
					return
				}
			}
			break
		}
	}
	p.untrack(src)
	p.untrack(dst)
}

// wait blocks while the proxy is stalled; false once it is closed.
func (p *Proxy) wait() bool {
	p.mu.Lock()
	resumed := p.resumed
	p.mu.Unlock()
	select {
	case <-resumed:
		return true
	case <-p.done:
		return false
	}
}

// DeadEndpoint returns the URL of a loopback port where nothing listens (it was free a
// moment ago): connections to it are refused, as to an engine that is down.
func DeadEndpoint(t testing.TB) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("ddbfault: %v", err)
	}
	addr := ln.Addr().String()
	_ = ln.Close()
	return "http://" + addr
}
