package ddblocal

import (
	"bufio"
	"encoding/hex"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"syscall"
)

// forker runs functions on one goroutine that is locked to its OS thread for the rest of
// the process's life. Linux sends the parent-death signal when the THREAD that forked the
// child exits, not when the process does, and the Go runtime does end threads (one whose
// goroutine exits while locked to it). A thread that never unlocks is never ended, so a
// child forked from it gets the signal exactly when this process dies.
var forker = sync.OnceValue(func() chan<- func() {
	fns := make(chan func())
	go func() {
		runtime.LockOSThread() // never unlocked, on purpose
		for fn := range fns {
			fn()
		}
	}()
	return fns
})

// parentDeathSignal is what the kernel sends a tied engine when this process dies:
// SIGKILL, because nobody is left to wait for a graceful stop, and DynamoDB Local's
// SQLite files survive it. Tests set 0 to try the launcher's own tie alone.
var parentDeathSignal = syscall.SIGKILL

// startTied starts cmd so that the kernel kills it when this process dies, whatever
// kills this process (kill -9 included).
func startTied(cmd *exec.Cmd) error {
	if cmd.SysProcAttr == nil {
		cmd.SysProcAttr = &syscall.SysProcAttr{}
	}
	cmd.SysProcAttr.Pdeathsig = parentDeathSignal
	errc := make(chan error, 1)
	forker() <- func() { errc <- cmd.Start() }
	return <-errc
}

// checkListener makes sure that process pid holds the socket listening on port.
func checkListener(pid, port int) error {
	ls, err := tcpListeners(port)
	if err != nil {
		return err
	}
	if len(ls) == 0 {
		return fmt.Errorf("DynamoDB Local answers, but nothing listens on port %d", port)
	}
	own, err := socketInodes(pid)
	if err != nil {
		return err
	}
	for _, l := range ls {
		if !own[l.inode] {
			return fmt.Errorf("DynamoDB Local port %d: %w by another process, not by the engine started here (pid %d)", port, ErrPortInUse, pid)
		}
	}
	return nil
}

// tcpListener is a listening TCP socket from /proc/net/tcp or tcp6.
type tcpListener struct {
	ip    net.IP // the unspecified address when it listens on every interface
	inode string
}

// tcpListeners returns the TCP sockets of this network namespace that listen on port.
func tcpListeners(port int) ([]tcpListener, error) {
	var ls []tcpListener
	for _, name := range []string{"/proc/net/tcp", "/proc/net/tcp6"} {
		f, err := os.Open(name)
		if errors.Is(err, os.ErrNotExist) {
			continue // no IPv6
		}
		if err != nil {
			return nil, err
		}
		sc := bufio.NewScanner(f)
		sc.Scan() // the header
		for sc.Scan() {
			// sl local_address rem_address st tx_queue:rx_queue tr:tm->when retrnsmt uid timeout inode
			fields := strings.Fields(sc.Text())
			if len(fields) < 10 || fields[3] != "0A" { // 0A: TCP_LISTEN
				continue
			}
			hexIP, hexPort, ok := strings.Cut(fields[1], ":")
			if p, err := strconv.ParseUint(hexPort, 16, 16); !ok || err != nil || int(p) != port {
				continue
			}
			ip, err := procIP(hexIP)
			if err != nil {
				f.Close()
				return nil, fmt.Errorf("%s: %w", name, err)
			}
			ls = append(ls, tcpListener{ip: ip, inode: fields[9]})
		}
		err = sc.Err()
		f.Close()
		if err != nil {
			return nil, err
		}
	}
	return ls, nil
}

// procIP decodes an address of /proc/net/tcp: 32-bit words in hex, each in host byte
// order (little-endian on the machines this runs on).
func procIP(s string) (net.IP, error) {
	b, err := hex.DecodeString(s)
	if err != nil || (len(b) != 4 && len(b) != 16) {
		return nil, fmt.Errorf("bad address %q", s)
	}
	for i := 0; i < len(b); i += 4 {
		b[i], b[i+1], b[i+2], b[i+3] = b[i+3], b[i+2], b[i+1], b[i]
	}
	return net.IP(b), nil
}

// socketInodes returns the inodes of the sockets that process pid has open.
func socketInodes(pid int) (map[string]bool, error) {
	dir := filepath.Join("/proc", strconv.Itoa(pid), "fd")
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil, err
	}
	inodes := map[string]bool{}
	for _, e := range entries {
		target, err := os.Readlink(filepath.Join(dir, e.Name()))
		if err != nil {
			continue // closed meanwhile
		}
		if inode, ok := strings.CutPrefix(target, "socket:["); ok {
			inodes[strings.TrimSuffix(inode, "]")] = true
		}
	}
	return inodes, nil
}
