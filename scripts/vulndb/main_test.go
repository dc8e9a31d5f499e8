package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"testing"
	"time"
)

// The index is what x/vulndb's cmd/indexdb writes for the same reports (compact JSON,
// sorted by module path and ID), and each report is stored under its ID.
func TestBuild(t *testing.T) {
	out := filepath.Join(t.TempDir(), "db")
	released := time.Date(2099, 1, 2, 3, 4, 5, 0, time.UTC)
	n, err := build("testdata/osv", out, released)
	if err != nil {
		t.Fatal(err)
	}
	if n != 2 {
		t.Errorf("%d reports, want 2", n)
	}
	for file, want := range map[string]string{
		// The later of the version's commit time and the reports' modification times.
		"index/db.json": `{"modified":"2099-03-04T05:06:07Z"}`,
		"index/modules.json": `[` +
			`{"path":"example.com/a","vulns":[{"id":"GO-2099-0001","modified":"0001-01-01T00:00:00Z","fixed":"1.2.0"},{"id":"GO-2099-0002","modified":"2099-03-04T05:06:07Z"}]},` +
			`{"path":"example.com/b","vulns":[{"id":"GO-2099-0002","modified":"2099-03-04T05:06:07Z","fixed":"0.10.0"}]}]`,
		"index/vulns.json": `[{"id":"GO-2099-0001","modified":"0001-01-01T00:00:00Z","aliases":["CVE-2099-0001"]},{"id":"GO-2099-0002","modified":"2099-03-04T05:06:07Z"}]`,
	} {
		if got := read(t, filepath.Join(out, file)); got != want {
			t.Errorf("%s:\n got %s\nwant %s", file, got, want)
		}
	}
	report := read(t, filepath.Join(out, "ID", "GO-2099-0001.json"))
	var e struct{ ID, Summary string }
	if err := json.Unmarshal([]byte(report), &e); err != nil || e.ID != "GO-2099-0001" || e.Summary != "A fixed vulnerability in example.com/a <v1.2.0" {
		t.Errorf("ID/GO-2099-0001.json: %s (%v)", report, err)
	}

	// A second build replaces the first.
	if err := os.WriteFile(filepath.Join(out, "stale"), nil, 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := build("testdata/osv", out, released); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(out, "stale")); !os.IsNotExist(err) {
		t.Errorf("file of the previous build left behind: %v", err)
	}
}

// govulncheck finds a report by its ID only, so the file must be named after it.
func TestBuildMisnamedReport(t *testing.T) {
	src := t.TempDir()
	if err := os.WriteFile(filepath.Join(src, "GO-2099-9999.json"), []byte(`{"id":"GO-2099-0001","affected":[]}`), 0o644); err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(t.TempDir(), "db")
	if _, err := build(src, out, time.Now()); err == nil {
		t.Fatal("built a database from a misnamed report")
	}
	if _, err := os.Stat(out); !os.IsNotExist(err) {
		t.Errorf("failed build left %s: %v", out, err)
	}
}

func read(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}
