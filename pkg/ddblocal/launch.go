package ddblocal

import (
	"bytes"
	"context"
	_ "embed"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"time"
)

// loopbackSource is the launcher that makes DynamoDB Local listen on 127.0.0.1 only and,
// for a tied engine, exit when its starter dies (see the comment at its top).
//
//go:embed Loopback.java
var loopbackSource []byte

// canRunSourceFiles reports whether the java on PATH can run Loopback.java as it is:
// source-file mode compiles in memory and needs the jdk.compiler module, which every JDK
// and Debian's JRE packages have and trimmed JREs may not. A variable, so that tests can
// take the other path.
var canRunSourceFiles = sync.OnceValue(func() bool {
	out, err := exec.Command("java", "--list-modules").Output()
	return err == nil && bytes.Contains(out, []byte("\njdk.compiler@"))
})

// launcher builds and starts one engine's java command.
type launcher struct {
	jarDir   string
	loopback bool // run Loopback.java; else the jar as shipped
	tied     bool // the engine must not outlive this process

	dir    string   // temporary folder with Loopback.java and the status file
	stdinR *os.File // the engine's standard input (loopback and tied)
	stdinW *os.File // held open by this process for the engine's lifetime
}

// host returns the address the engine will listen on: 127.0.0.1, or all ("").
func (l *launcher) host() string {
	if l.loopback {
		return "127.0.0.1"
	}
	return ""
}

// command returns the java command that runs DynamoDB Local with the engine arguments.
func (l *launcher) command(engineArgs []string) (*exec.Cmd, error) {
	args := []string{"-Djava.library.path=" + filepath.Join(l.jarDir, "DynamoDBLocal_lib")}
	if !l.loopback {
		args = append(args, "-jar", filepath.Join(l.jarDir, "DynamoDBLocal.jar"))
		return exec.Command("java", append(args, engineArgs...)...), nil
	}
	var err error
	if l.dir, err = os.MkdirTemp("", "ddblocal-"); err != nil {
		return nil, err
	}
	src := filepath.Join(l.dir, "Loopback.java")
	if err := os.WriteFile(src, loopbackSource, 0o644); err != nil {
		l.cleanup()
		return nil, err
	}
	args = append(args,
		"-Dddblocal.host="+l.host(),
		"-Dddblocal.status="+l.statusFile(),
		// The jar's manifest puts DynamoDBLocal_lib (Jetty and the rest) on the class path.
		"-cp", filepath.Join(l.jarDir, "DynamoDBLocal.jar"),
	)
	if l.tied {
		args = append(args, "-Dddblocal.watchStdin=true")
	}
	cmd := exec.Command("java", append(append(args, src), engineArgs...)...)
	if l.tied {
		// A pipe that this process never writes to: the kernel closes its write end when
		// this process dies, and the launcher exits on the end of file. It is the tie
		// where there is no parent-death signal (macOS), and a second one on Linux.
		if l.stdinR, l.stdinW, err = os.Pipe(); err != nil {
			l.cleanup()
			return nil, err
		}
		cmd.Stdin = l.stdinR
	}
	return cmd, nil
}

func (l *launcher) statusFile() string { return filepath.Join(l.dir, "status") }

// waitStatus waits for the launcher's status line and returns its failure, if any.
func (l *launcher) waitStatus(ctx context.Context, exited <-chan struct{}) error {
	for {
		if written, err := l.status(); written {
			return err
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("DynamoDB Local did not start listening: %w", context.Cause(ctx))
		case <-exited:
			// It may have written its reason just before it exited.
			if written, err := l.status(); written && err != nil {
				return err
			}
			return errors.New("DynamoDB Local exited during start-up")
		case <-time.After(50 * time.Millisecond):
		}
	}
}

// status reads the launcher's status line, if it has written one: nil once the engine
// listens, the reason once it has failed.
func (l *launcher) status() (written bool, err error) {
	b, err := os.ReadFile(l.statusFile())
	if err != nil {
		return false, nil
	}
	line := strings.TrimSpace(string(b))
	if reason, failed := strings.CutPrefix(line, "failed: "); failed {
		return true, errors.New(reason)
	}
	if !strings.HasPrefix(line, "listening ") {
		return true, fmt.Errorf("DynamoDB Local launcher: unexpected status %q", line)
	}
	return true, nil
}

// cleanup removes what only the start needed: the source file (read once the JVM has
// compiled it), the status file and this process's copy of the engine's standard input.
func (l *launcher) cleanup() {
	if l.dir != "" {
		_ = os.RemoveAll(l.dir)
	}
	if l.stdinR != nil {
		_ = l.stdinR.Close()
	}
}

// release lets go of the tie once the engine has exited.
func (l *launcher) release() {
	if l.stdinW != nil {
		_ = l.stdinW.Close()
	}
}
