package api_test

import (
	"bytes"
	"encoding/json"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/santhosh-tekuri/jsonschema/v5"

	"github.com/personsapi/persons/pkg/api"
)

// The OpenAPI document is checked against what the server does: every response the
// tests of this package receive on a documented route must have a documented status,
// and its body must validate against the documented JSON Schema (draft 2020-12, the
// dialect of OpenAPI 3.1, formats asserted).
var doc struct {
	once     sync.Once
	err      error
	tree     map[string]any
	compiler *jsonschema.Compiler
	mu       sync.Mutex
	schemas  map[string]*jsonschema.Schema
}

func loadDoc() error {
	doc.once.Do(func() {
		if doc.err = json.Unmarshal(api.OpenAPI, &doc.tree); doc.err != nil {
			return
		}
		c := jsonschema.NewCompiler()
		c.Draft = jsonschema.Draft2020
		c.AssertFormat = true
		doc.err = c.AddResource("openapi.json", bytes.NewReader(api.OpenAPI))
		doc.compiler, doc.schemas = c, map[string]*jsonschema.Schema{}
	})
	return doc.err
}

// pointerToken escapes a JSON pointer token for use in a URL fragment.
func pointerToken(s string) string {
	return url.PathEscape(strings.NewReplacer("~", "~0", "/", "~1").Replace(s))
}

func schemaAt(ptr string) (*jsonschema.Schema, error) {
	doc.mu.Lock()
	defer doc.mu.Unlock()
	if s, ok := doc.schemas[ptr]; ok {
		return s, nil
	}
	s, err := doc.compiler.Compile("openapi.json#" + ptr)
	if err == nil {
		doc.schemas[ptr] = s
	}
	return s, err
}

// routeOf returns the route template of a request path, or "" when none matches.
func routeOf(path string) string {
	segs := strings.Split(path, "/")
	for _, rt := range api.Routes() {
		tsegs := strings.Split(rt.Path, "/")
		if len(tsegs) != len(segs) {
			continue
		}
		match := true
		for i := range segs {
			if !(strings.HasPrefix(tsegs[i], "{") && segs[i] != "") && tsegs[i] != segs[i] {
				match = false
				break
			}
		}
		if match {
			return rt.Path
		}
	}
	return ""
}

// checkDoc validates an exchange against the document: the response always, the request
// body when the server accepted it (a 2xx: what the server takes, the document must
// allow). Responses on paths or methods the API does not have (404 for unknown routes,
// 405) are not operations of the document.
func checkDoc(t *testing.T, req *http.Request, reqBody []byte, res *http.Response, body []byte) {
	t.Helper()
	if err := loadDoc(); err != nil {
		t.Fatalf("openapi.json: %v", err)
	}
	method := req.Method
	tmpl := routeOf(req.URL.Path)
	paths, _ := doc.tree["paths"].(map[string]any)
	item, _ := paths[tmpl].(map[string]any)
	op, _ := item[strings.ToLower(method)].(map[string]any)
	if op == nil {
		return
	}
	if res.StatusCode/100 == 2 {
		checkRequestBody(t, req, tmpl, op, reqBody)
	}
	status := strconv.Itoa(res.StatusCode)
	ptr := "/paths/" + pointerToken(tmpl) + "/" + strings.ToLower(method) + "/responses/" + status
	responses, _ := op["responses"].(map[string]any)
	resp, ok := responses[status].(map[string]any)
	if !ok {
		t.Errorf("%s %s: status %d is not documented in openapi.json", method, tmpl, res.StatusCode)
		return
	}
	if ref, ok := resp["$ref"].(string); ok {
		ptr = strings.TrimPrefix(ref, "#")
		name := ref[strings.LastIndex(ref, "/")+1:]
		resp = doc.tree["components"].(map[string]any)["responses"].(map[string]any)[name].(map[string]any)
	}
	content, _ := resp["content"].(map[string]any)
	if len(content) == 0 {
		if len(body) != 0 {
			t.Errorf("%s %s %d: body %q where the document has none", method, tmpl, res.StatusCode, body)
		}
		return
	}
	ct := strings.TrimSpace(strings.Split(res.Header.Get("Content-Type"), ";")[0])
	if _, ok := content[ct]; !ok {
		t.Errorf("%s %s %d: Content-Type %q not documented", method, tmpl, res.StatusCode, ct)
		return
	}
	schema, err := schemaAt(ptr + "/content/" + pointerToken(ct) + "/schema")
	if err != nil {
		t.Fatalf("%s %s %d: compile schema: %v", method, tmpl, res.StatusCode, err)
	}
	var v any
	if err := json.Unmarshal(body, &v); err != nil {
		t.Errorf("%s %s %d: body is not JSON: %q", method, tmpl, res.StatusCode, body)
		return
	}
	if err := schema.Validate(v); err != nil {
		t.Errorf("%s %s %d: body does not match openapi.json: %v\nbody: %s", method, tmpl, res.StatusCode, err, body)
	}
}

// checkRequestBody validates an accepted request's body against the operation's
// documented request body.
func checkRequestBody(t *testing.T, req *http.Request, tmpl string, op map[string]any, body []byte) {
	t.Helper()
	method := strings.ToLower(req.Method)
	rb, _ := op["requestBody"].(map[string]any)
	if rb == nil {
		return
	}
	ct := strings.TrimSpace(strings.Split(req.Header.Get("Content-Type"), ";")[0])
	content, _ := rb["content"].(map[string]any)
	if _, ok := content[ct]; !ok {
		t.Errorf("%s %s: accepted request Content-Type %q is not documented", req.Method, tmpl, ct)
		return
	}
	schema, err := schemaAt("/paths/" + pointerToken(tmpl) + "/" + method + "/requestBody/content/" + pointerToken(ct) + "/schema")
	if err != nil {
		t.Fatalf("%s %s: compile request schema: %v", req.Method, tmpl, err)
	}
	var v any
	if err := json.Unmarshal(body, &v); err != nil {
		t.Errorf("%s %s: accepted request body is not JSON: %q", req.Method, tmpl, body)
		return
	}
	if err := schema.Validate(v); err != nil {
		t.Errorf("%s %s: accepted request body does not match openapi.json: %v\nbody: %s", req.Method, tmpl, err, body)
	}
}
