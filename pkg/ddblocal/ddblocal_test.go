package ddblocal

import (
	"errors"
	"os"
	"runtime"
	"testing"
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
