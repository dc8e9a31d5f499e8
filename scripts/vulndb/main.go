// Command vulndb builds a Go vulnerability database that govulncheck reads with
// -db file://DIR. `make vulncheck` uses it because vuln.go.dev is not reachable from the
// machines that run the checks, while the Go module proxy is: the module
// golang.org/x/vulndb carries every report of the database as an OSV file
// (data/osv/<ID>.json).
//
// The output has the v1 layout of https://go.dev/security/vuln/database#api, the one
// govulncheck's file:// client reads: index/db.json, index/modules.json, index/vulns.json
// and ID/<ID>.json. The index is computed as x/vulndb's own cmd/indexdb computes it, except
// for index/db.json: the reports in the module carry no modification times, so the
// database is dated by the module version's commit time.
//
//	go run ./scripts/vulndb -version v0.0.0-20261105234957-e22db6528018 -out .local/vulndb/DIR
package main

import (
	"bytes"
	"cmp"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"time"

	"golang.org/x/mod/semver"
)

// module is the Go module that carries the database's reports.
const module = "golang.org/x/vulndb"

func main() {
	version := flag.String("version", "", "version of "+module+" to build the database from (required)")
	out := flag.String("out", "", "folder to write the database to; replaced as a whole (required)")
	flag.Parse()
	if *version == "" || *out == "" {
		flag.Usage()
		os.Exit(2)
	}
	if err := run(*version, *out); err != nil {
		fmt.Fprintln(os.Stderr, "vulndb:", err)
		os.Exit(1)
	}
}

func run(version, out string) error {
	dir, released, err := download(version)
	if err != nil {
		return err
	}
	n, err := build(filepath.Join(dir, "data", "osv"), out, released)
	if err != nil {
		return err
	}
	fmt.Printf("vulndb: %d reports of %s@%s in %s\n", n, module, version, out)
	return nil
}

// download fetches the module through the module proxy (or finds it in the module
// cache) and returns its folder and its commit time.
func download(version string) (dir string, released time.Time, err error) {
	cmd := exec.Command("go", "mod", "download", "-json", module+"@"+version)
	cmd.Stderr = os.Stderr
	b, err := cmd.Output()
	// On failure too, the output names the error.
	var m struct {
		Dir, Info, Error string
	}
	if jerr := json.Unmarshal(b, &m); jerr != nil && err == nil {
		err = jerr
	}
	if m.Error != "" {
		err = errors.New(m.Error)
	}
	if err != nil {
		return "", time.Time{}, fmt.Errorf("go mod download: %w", err)
	}
	var info struct{ Time time.Time }
	if b, err = os.ReadFile(m.Info); err == nil {
		err = json.Unmarshal(b, &info)
	}
	if err != nil {
		return "", time.Time{}, fmt.Errorf("%s@%s: version info: %w", module, version, err)
	}
	return m.Dir, info.Time, nil
}

// entry holds the fields of an OSV report that the index needs.
type entry struct {
	ID       string    `json:"id"`
	Modified time.Time `json:"modified"`
	Aliases  []string  `json:"aliases"`
	Affected []struct {
		Module struct {
			Path string `json:"name"`
		} `json:"package"`
		Ranges []osvRange `json:"ranges"`
	} `json:"affected"`
}

type osvRange struct {
	Type   string `json:"type"`
	Events []struct {
		Introduced string `json:"introduced"`
		Fixed      string `json:"fixed"`
	} `json:"events"`
}

// The index files, field for field as govulncheck and x/vulndb define them.
type (
	dbMeta struct {
		Modified rfc3339 `json:"modified"`
	}
	moduleMeta struct {
		Path  string       `json:"path"`
		Vulns []moduleVuln `json:"vulns"`
	}
	moduleVuln struct {
		ID       string  `json:"id"`
		Modified rfc3339 `json:"modified"`
		// Fixed is the version from which on no version is affected, if there is one;
		// govulncheck reads an entry only for module versions below it.
		Fixed string `json:"fixed,omitempty"`
	}
	vulnMeta struct {
		ID       string   `json:"id"`
		Modified rfc3339  `json:"modified"`
		Aliases  []string `json:"aliases,omitempty"`
	}
)

// rfc3339 is a time that marshals as the database writes times: UTC, in seconds.
type rfc3339 time.Time

func (t rfc3339) MarshalJSON() ([]byte, error) {
	return json.Marshal(time.Time(t).UTC().Format(time.RFC3339))
}

// build writes the database for the OSV files in src to out and returns the number of
// reports. It writes to a new folder next to out and renames it, so that out is never
// half written.
func build(src, out string, released time.Time) (int, error) {
	files, err := filepath.Glob(filepath.Join(src, "*.json"))
	if err != nil {
		return 0, err
	}
	if len(files) == 0 {
		return 0, fmt.Errorf("no OSV files in %s", src)
	}
	if err := os.MkdirAll(filepath.Dir(out), 0o755); err != nil {
		return 0, err
	}
	tmp, err := os.MkdirTemp(filepath.Dir(out), filepath.Base(out)+".tmp-")
	if err != nil {
		return 0, err
	}
	defer os.RemoveAll(tmp)
	if err := os.Mkdir(filepath.Join(tmp, "ID"), 0o755); err != nil {
		return 0, err
	}
	if err := os.Mkdir(filepath.Join(tmp, "index"), 0o755); err != nil {
		return 0, err
	}

	db := dbMeta{Modified: rfc3339(released)}
	modules := map[string]*moduleMeta{}
	var vulns []vulnMeta
	for _, file := range files {
		b, err := os.ReadFile(file)
		if err != nil {
			return 0, err
		}
		var e entry
		if err := json.Unmarshal(b, &e); err != nil {
			return 0, fmt.Errorf("%s: %w", file, err)
		}
		// govulncheck finds a report by its ID alone.
		if filepath.Base(file) != e.ID+".json" {
			return 0, fmt.Errorf("%s: report %q must be in %s.json", file, e.ID, e.ID)
		}
		if e.Modified.After(time.Time(db.Modified)) {
			db.Modified = rfc3339(e.Modified)
		}
		vulns = append(vulns, vulnMeta{ID: e.ID, Modified: rfc3339(e.Modified), Aliases: e.Aliases})
		for _, a := range e.Affected {
			m := modules[a.Module.Path]
			if m == nil {
				m = &moduleMeta{Path: a.Module.Path, Vulns: []moduleVuln{}}
				modules[a.Module.Path] = m
			}
			m.Vulns = append(m.Vulns, moduleVuln{ID: e.ID, Modified: rfc3339(e.Modified), Fixed: latestFixed(a.Ranges)})
		}
		var compact bytes.Buffer
		if err := json.Compact(&compact, b); err != nil {
			return 0, fmt.Errorf("%s: %w", file, err)
		}
		if err := os.WriteFile(filepath.Join(tmp, "ID", e.ID+".json"), compact.Bytes(), 0o644); err != nil {
			return 0, err
		}
	}

	index := make([]*moduleMeta, 0, len(modules))
	for _, m := range modules {
		slices.SortStableFunc(m.Vulns, func(a, b moduleVuln) int { return cmp.Compare(a.ID, b.ID) })
		index = append(index, m)
	}
	slices.SortFunc(index, func(a, b *moduleMeta) int { return cmp.Compare(a.Path, b.Path) })
	slices.SortStableFunc(vulns, func(a, b vulnMeta) int { return cmp.Compare(a.ID, b.ID) })
	for name, v := range map[string]any{"db.json": db, "modules.json": index, "vulns.json": vulns} {
		b, err := json.Marshal(v)
		if err != nil {
			return 0, err
		}
		if err := os.WriteFile(filepath.Join(tmp, "index", name), b, 0o644); err != nil {
			return 0, err
		}
	}
	if err := os.RemoveAll(out); err != nil {
		return 0, err
	}
	if err := os.Rename(tmp, out); err != nil {
		return 0, err
	}
	return len(files), nil
}

// latestFixed returns the version from which on no version is affected, or "" if the
// vulnerability is not fixed or is introduced again after its latest fix. OSV versions
// are semantic versions without the leading "v".
func latestFixed(ranges []osvRange) string {
	less := func(v, w string) bool { return semver.Compare("v"+v, "v"+w) < 0 }
	var fixed string
	for _, r := range ranges {
		if r.Type != "SEMVER" {
			continue
		}
		for _, e := range r.Events {
			if e.Fixed != "" && less(fixed, e.Fixed) {
				fixed = e.Fixed
			}
		}
		for _, e := range r.Events {
			if e.Introduced != "" && e.Introduced != "0" && less(fixed, e.Introduced) {
				fixed = ""
				break
			}
		}
	}
	return fixed
}
