package rie_test

import (
	"archive/zip"
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"testing"
	"text/tabwriter"
	"time"

	"github.com/personsapi/persons/pkg/rie"
)

// TestLambdaSizes measures, for every function of functions/ and a hello-world Go
// function built the same way: the size of the bootstrap as deployed (linux/arm64,
// -tags lambda.norpc -trimpath -ldflags "-s -w", as `make build`), zipped (deflate,
// as the CDK asset), and the init duration under aws-lambda-rie (a build for this host,
// same flags; median of several cold starts). It measures and prints, asserts nothing
// about the numbers, and runs only when asked:
//
//	PERSONS_LAMBDA_SIZES=1 go test -run TestLambdaSizes -v ./pkg/rie   (make lambda-size)
func TestLambdaSizes(t *testing.T) {
	if os.Getenv("PERSONS_LAMBDA_SIZES") == "" {
		t.Skip("set PERSONS_LAMBDA_SIZES=1 to measure (make lambda-size)")
	}
	const starts = 5
	root, err := rie.ModuleRoot()
	if err != nil {
		t.Fatal(err)
	}
	dirs, err := filepath.Glob(filepath.Join(root, "functions", "*"))
	if err != nil {
		t.Fatal(err)
	}
	pkgs := []string{"./pkg/rie/testdata/hello"}
	for _, d := range dirs {
		pkgs = append(pkgs, "./functions/"+filepath.Base(d))
	}
	// The functions' environment; no DynamoDB call happens during init or for the
	// events sent (a route that does not exist, a seed event that is refused).
	env := map[string]string{
		"TABLE_NAME": "persons", "AWS_REGION": "eu-west-1", "AWS_ACCESS_KEY_ID": "x", "AWS_SECRET_ACCESS_KEY": "x",
		"AWS_ENDPOINT_URL_DYNAMODB": "http://127.0.0.1:9", "PERSONS_CURSOR_KEYS": "MDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY3ODlhYmNkZWY=",
	}
	tmp := t.TempDir()
	w := tabwriter.NewWriter(os.Stdout, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintf(w, "function\tbootstrap MB\tzipped MB\tinit ms (median of %d)\t\n", starts)
	for _, pkg := range pkgs {
		name := filepath.Base(pkg)
		arm := filepath.Join(tmp, "arm64", name, "bootstrap")
		build(t, root, "arm64", arm, pkg)
		raw, zipped := sizes(t, arm)
		host := filepath.Join(tmp, runtime.GOARCH, name, "bootstrap")
		build(t, root, runtime.GOARCH, host, pkg)
		var inits []time.Duration
		for range starts {
			fn := rie.Start(t, host, env)
			event := `{"version":"2.0","rawPath":"/nowhere","requestContext":{"http":{"method":"GET","path":"/nowhere"}}}`
			if name == "seed" {
				event = `{"count":-1}`
			}
			ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
			_, _, err := fn.InvokeContext(ctx, []byte(event))
			cancel()
			if err != nil {
				t.Fatalf("%s: invoke: %v", name, err)
			}
			d, ok := fn.InitDuration()
			if !ok {
				t.Fatalf("%s: no INIT REPORT in the log:\n%s", name, fn.Log())
			}
			inits = append(inits, d)
		}
		slices.Sort(inits)
		fmt.Fprintf(w, "%s\t%.1f\t%.1f\t%.1f\t\n", name, mb(raw), mb(zipped), float64(inits[len(inits)/2].Microseconds())/1000)
	}
	w.Flush()
}

func build(t *testing.T, root, arch, out, pkg string) {
	t.Helper()
	cmd := exec.Command("go", "build", "-tags", "lambda.norpc", "-trimpath", "-ldflags=-s -w", "-o", out, pkg)
	cmd.Dir = root
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0", "GOOS=linux", "GOARCH="+arch)
	if b, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go build %s: %v\n%s", pkg, err, b)
	}
}

// sizes returns the size of the file and of a zip holding it (deflate).
func sizes(t *testing.T, path string) (raw, zipped int64) {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	f, err := zw.CreateHeader(&zip.FileHeader{Name: "bootstrap", Method: zip.Deflate})
	if err == nil {
		_, err = f.Write(data)
	}
	if err == nil {
		err = zw.Close()
	}
	if err != nil {
		t.Fatal(err)
	}
	return int64(len(data)), int64(buf.Len())
}

func mb(n int64) float64 { return float64(n) / (1 << 20) }
