package main

import (
	"embed"
	"io/fs"
	"net/http"
)

// demoFiles is the demo page served at /: demo/index.html (committed) and the bundle
// demo/app.js, which `make demo` builds from clients/demo (git-ignored; `make run` and
// `make test` build it first). A binary built without the bundle serves a page that says so.
//
//go:embed demo
var demoFiles embed.FS

// demoBuilt reports whether the bundle was embedded.
func demoBuilt() bool {
	_, err := fs.Stat(demoFiles, "demo/app.js")
	return err == nil
}

// demoRoutes are the Extra routes of the demo page: GET / and GET /app.js.
func demoRoutes() map[string]http.Handler {
	file := func(name, contentType string) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			b, err := demoFiles.ReadFile("demo/" + name)
			if name == "index.html" && !demoBuilt() {
				b, err = []byte(notBuilt), nil
			}
			if err != nil {
				http.NotFound(w, r)
				return
			}
			h := w.Header()
			h.Set("Content-Type", contentType)
			h.Set("Cache-Control", "no-cache")
			h.Set("X-Content-Type-Options", "nosniff")
			_, _ = w.Write(b)
		})
	}
	return map[string]http.Handler{
		"GET /{$}":    file("index.html", "text/html; charset=utf-8"),
		"GET /app.js": file("app.js", "text/javascript; charset=utf-8"),
	}
}

const notBuilt = `<!doctype html><meta charset="utf-8"><title>persons demo</title>
<p>The demo page is not built into this binary: run <code>make demo</code> (<code>make run</code> does it), then start the server again.
The API itself works: <a href="/persons?limit=5">/persons</a>, <a href="/openapi.json">/openapi.json</a>.</p>
`
