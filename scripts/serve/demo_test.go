package main

import (
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/personsapi/persons/pkg/api"
	"github.com/personsapi/persons/pkg/ddblocal"
	"github.com/personsapi/persons/pkg/persons"
)

// The demo page is served at / and /app.js besides the API (no engine needed: these
// requests never reach the store), and every other unknown path is still the API's 404.
func TestDemoPage(t *testing.T) {
	h := api.NewHandler(api.Options{
		Store:  persons.New(ddblocal.Client("http://127.0.0.1:1"), "unused"),
		Logger: slog.New(slog.DiscardHandler),
		Extra:  extraRoutes(),
	})
	get := func(path string) (*http.Response, string) {
		t.Helper()
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, path, nil))
		body, _ := io.ReadAll(rec.Result().Body)
		return rec.Result(), string(body)
	}

	res, body := get("/")
	if res.StatusCode != http.StatusOK || !strings.HasPrefix(res.Header.Get("Content-Type"), "text/html") {
		t.Fatalf("GET /: %d %s", res.StatusCode, res.Header.Get("Content-Type"))
	}
	res, js := get("/app.js")
	if demoBuilt() {
		if !strings.Contains(body, `<script type="module" src="app.js">`) {
			t.Errorf("GET / is not the demo page:\n%s", body)
		}
		if res.StatusCode != http.StatusOK || !strings.HasPrefix(res.Header.Get("Content-Type"), "text/javascript") || len(js) < 1000 {
			t.Errorf("GET /app.js: %d %s, %d bytes", res.StatusCode, res.Header.Get("Content-Type"), len(js))
		}
	} else {
		t.Log("the bundle is not built (make demo): checking the page that says so")
		if !strings.Contains(body, "make demo") {
			t.Errorf("GET / without the bundle does not say how to build it:\n%s", body)
		}
		if res.StatusCode != http.StatusNotFound {
			t.Errorf("GET /app.js without the bundle: %d", res.StatusCode)
		}
	}
	if res, body := get("/index.html"); res.StatusCode != http.StatusNotFound || !strings.Contains(res.Header.Get("Content-Type"), "problem+json") {
		t.Errorf("GET /index.html: %d %s %s, want the API's 404 problem", res.StatusCode, res.Header.Get("Content-Type"), body)
	}
	if res, _ := get("/openapi.json"); res.StatusCode != http.StatusOK {
		t.Errorf("GET /openapi.json: %d", res.StatusCode)
	}
}
