// Package cmdtest helps the tests of a command (scripts/serve, scripts/ddb) run the
// command itself, as make does: built once per test binary, and skipped where DynamoDB
// Local cannot start.
package cmdtest

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"testing"

	"github.com/personsapi/persons/pkg/ddblocal"
)

var dir string

// Main runs the tests and then removes the binary that Build made; use it from TestMain:
//
//	func TestMain(m *testing.M) { os.Exit(cmdtest.Main(m)) }
func Main(m *testing.M) int {
	d, err := os.MkdirTemp("", "cmdtest-")
	if err != nil {
		fmt.Fprintln(os.Stderr, "cmdtest:", err)
		return 1
	}
	dir = d
	defer os.RemoveAll(d)
	return m.Run()
}

var build = sync.OnceValues(func() (string, error) {
	if dir == "" {
		return "", fmt.Errorf("call cmdtest.Main from TestMain")
	}
	bin := filepath.Join(dir, "cmd")
	if out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput(); err != nil {
		return "", fmt.Errorf("go build: %v\n%s", err, out)
	}
	return bin, nil
})

// Build builds the command in the current directory, the package under test, once for
// all its tests and returns the binary's path.
func Build(t testing.TB) string {
	t.Helper()
	bin, err := build()
	if err != nil {
		t.Fatal(err)
	}
	return bin
}

// NeedEngine skips a test that starts DynamoDB Local with -short or where it is not
// installed.
func NeedEngine(t testing.TB) {
	t.Helper()
	if testing.Short() {
		t.Skip("starts DynamoDB Local")
	}
	if _, err := ddblocal.FindJarDir(""); err != nil {
		t.Skip(err)
	}
}
