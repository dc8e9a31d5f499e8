package ddbclient_test

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/personsapi/persons/pkg/ddbclient"
	"github.com/personsapi/persons/pkg/ddbstats"
	"github.com/personsapi/persons/pkg/deploy"
)

// isolate gives the SDK a configuration of the test's own: credentials, region and no
// shared files of the machine it runs on.
func isolate(t *testing.T) {
	for k, v := range map[string]string{
		"AWS_ACCESS_KEY_ID":           "test",
		"AWS_SECRET_ACCESS_KEY":       "test",
		"AWS_REGION":                  "eu-west-1",
		"AWS_PROFILE":                 "",
		"AWS_CONFIG_FILE":             t.TempDir() + "/config",
		"AWS_SHARED_CREDENTIALS_FILE": t.TempDir() + "/credentials",
	} {
		t.Setenv(k, v)
	}
}

// FromEnv builds a client for the table in the environment, on the endpoint in the
// environment, and the client counts its requests.
func TestFromEnv(t *testing.T) {
	isolate(t)
	targets := make(chan string, 10) // the handler runs on the server's goroutines
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.Copy(io.Discard, r.Body)
		targets <- r.Header.Get("X-Amz-Target")
		w.Header().Set("Content-Type", "application/x-amz-json-1.0")
		_, _ = io.WriteString(w, `{"TableNames":[]}`)
	}))
	defer srv.Close()
	t.Setenv(deploy.EnvDynamoDBEndpoint, srv.URL)
	t.Setenv(deploy.EnvTableName, "people")

	db, table, err := ddbclient.FromEnv(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if table != "people" {
		t.Errorf("table %q, want people", table)
	}
	ctx, calls := ddbstats.WithCounter(context.Background())
	if _, err := db.ListTables(ctx, nil); err != nil {
		t.Fatal(err)
	}
	if got := <-targets; !strings.HasSuffix(got, ".ListTables") || len(targets) != 0 {
		t.Errorf("the endpoint saw %s and %d more requests, want one ListTables", got, len(targets))
	}
	if calls.Load() != 1 {
		t.Errorf("counted %d calls, want 1", calls.Load())
	}
}

func TestFromEnvWithoutTable(t *testing.T) {
	isolate(t)
	t.Setenv(deploy.EnvTableName, "")
	_, _, err := ddbclient.FromEnv(context.Background())
	if err == nil || !strings.Contains(err.Error(), deploy.EnvTableName+" is not set") {
		t.Errorf("FromEnv without %s: %v", deploy.EnvTableName, err)
	}
}
