package lambdaapp_test

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"os"
	"strconv"
	"strings"
	"testing"

	"github.com/aws/aws-lambda-go/events"
	"github.com/awslabs/aws-lambda-go-api-proxy/httpadapter"
	"github.com/google/uuid"

	"github.com/personsapi/persons/pkg/api"
	"github.com/personsapi/persons/pkg/ddbtest"
	"github.com/personsapi/persons/pkg/deploy"
	"github.com/personsapi/persons/pkg/lambdaapp"
	"github.com/personsapi/persons/pkg/persons"
)

func TestMain(m *testing.M) { os.Exit(ddbtest.Main(m)) }

// request describes one HTTP request as API Gateway sees it.
type request struct {
	route   string            // API Gateway route key, e.g. "GET /persons/{personId}"
	path    string            // e.g. "/persons/1234"
	query   string            // raw query string
	params  map[string]string // path parameters
	headers map[string]string // lower-case names, as API Gateway delivers them
	body    string            // sent base64-encoded, as API Gateway does for any body
	// claims are the JWT authorizer's claims in the event; nil means fullClaims, and
	// noClaims an event without an authorizer.
	claims map[string]string
}

// fullClaims are the claims of a Cognito access token with every scope of the API.
var fullClaims = map[string]string{
	"sub": "5f1c7e2a-0000-4000-8000-000000000001", "client_id": "abc123client", "token_use": "access",
	"scope": "persons/read persons/write persons/bank", "iss": "https://cognito-idp.eu-west-1.amazonaws.com/eu-west-1_Example",
}

// noClaims marks a request whose event carries no authorizer at all.
var noClaims = map[string]string{}

// event is the HTTP API (payload format 2.0) event JSON that API Gateway sends to a
// Lambda for r, shaped like the events API Gateway delivers.
func event(t testing.TB, r request, requestID string) []byte {
	t.Helper()
	method, _, _ := strings.Cut(r.route, " ")
	headers := map[string]string{
		"accept":            "application/json",
		"host":              "abc123.execute-api.eu-west-1.amazonaws.com",
		"user-agent":        "curl/8.5.0",
		"x-amzn-trace-id":   "Root=1-67891233-abcdef012345678912345678",
		"x-forwarded-for":   "203.0.113.7",
		"x-forwarded-port":  "443",
		"x-forwarded-proto": "https",
	}
	for k, v := range r.headers {
		headers[k] = v
	}
	ev := map[string]any{
		"version":        "2.0",
		"routeKey":       r.route,
		"rawPath":        r.path,
		"rawQueryString": r.query,
		"headers":        headers,
		"requestContext": map[string]any{
			"accountId":    "123456789012",
			"apiId":        "abc123",
			"domainName":   "abc123.execute-api.eu-west-1.amazonaws.com",
			"domainPrefix": "abc123",
			"http": map[string]any{
				"method": method, "path": r.path, "protocol": "HTTP/1.1",
				"sourceIp": "203.0.113.7", "userAgent": "curl/8.5.0",
			},
			"requestId": requestID,
			"routeKey":  r.route,
			"stage":     "$default",
			"time":      "24/Nov/2026:16:00:00 +0000",
			"timeEpoch": 1795536000000,
		},
		"isBase64Encoded": false,
	}
	claims := r.claims
	if claims == nil {
		claims = fullClaims
	}
	if len(claims) > 0 {
		// As API Gateway delivers a JWT authorizer's result (payload 2.0): every claim
		// as a string.
		ev["requestContext"].(map[string]any)["authorizer"] = map[string]any{
			"jwt": map[string]any{"claims": claims, "scopes": nil},
		}
	}
	if r.query != "" {
		q, err := url.ParseQuery(r.query)
		if err != nil {
			t.Fatal(err)
		}
		qs := map[string]string{}
		for k, v := range q {
			qs[k] = strings.Join(v, ",")
		}
		ev["queryStringParameters"] = qs
	}
	if len(r.params) > 0 {
		ev["pathParameters"] = r.params
	}
	if r.body != "" {
		ev["body"] = base64.StdEncoding.EncodeToString([]byte(r.body))
		ev["isBase64Encoded"] = true
		headers["content-length"] = strconv.Itoa(len(r.body))
	}
	b, err := json.Marshal(ev)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// invoker sends an event JSON to a function and returns its response.
type invoker func(t *testing.T, eventJSON []byte) events.APIGatewayV2HTTPResponse

// invokeAdapter decodes the event JSON as the Lambda runtime does and serves it through
// the adapter the Lambda uses.
func invokeAdapter(h http.Handler) invoker {
	adapter := httpadapter.NewV2(h)
	return func(t *testing.T, eventJSON []byte) events.APIGatewayV2HTTPResponse {
		t.Helper()
		var ev events.APIGatewayV2HTTPRequest
		if err := json.Unmarshal(eventJSON, &ev); err != nil {
			t.Fatal(err)
		}
		res, err := adapter.ProxyWithContext(context.Background(), ev)
		if err != nil {
			t.Fatalf("adapter: %v", err)
		}
		return res
	}
}

// check sends r and checks status, the echoed API Gateway request id, the content type
// and, for single items, the ETag. It returns the decoded JSON body (nil for 204).
func check(t *testing.T, invoke invoker, r request, status int) map[string]any {
	t.Helper()
	requestID := "apigw-" + uuid.NewString()[:8]
	res := invoke(t, event(t, r, requestID))
	if res.StatusCode != status {
		t.Fatalf("%s %s: status %d, want %d; body %s", r.route, r.path, res.StatusCode, status, res.Body)
	}
	if got := header(res, api.RequestIDHeader); got != requestID {
		t.Errorf("%s: X-Request-Id %q, want API Gateway's %q", r.route, got, requestID)
	}
	if status == http.StatusNoContent {
		if res.Body != "" {
			t.Errorf("%s: 204 with body %q", r.route, res.Body)
		}
		return nil
	}
	body := res.Body
	if res.IsBase64Encoded {
		b, err := base64.StdEncoding.DecodeString(body)
		if err != nil {
			t.Fatal(err)
		}
		body = string(b)
	}
	wantCT := "application/json"
	if status >= 400 {
		wantCT = api.ProblemContentType
	}
	if ct := header(res, "Content-Type"); ct != wantCT {
		t.Errorf("%s: Content-Type %q, want %q", r.route, ct, wantCT)
	}
	var m map[string]any
	if err := json.Unmarshal([]byte(body), &m); err != nil {
		t.Fatalf("%s: body %q: %v", r.route, body, err)
	}
	if status < 300 && m["version"] != nil && r.query != "include=all" { // lists and details carry no ETag
		if et := header(res, "ETag"); et != `"`+strconv.Itoa(int(m["version"].(float64)))+`"` {
			t.Errorf("%s: ETag %q for version %v", r.route, et, m["version"])
		}
	}
	if status == http.StatusCreated {
		if loc := header(res, "Location"); !strings.HasSuffix(loc, "/"+m["id"].(string)) {
			t.Errorf("%s: Location %q", r.route, loc)
		}
	}
	return m
}

func header(res events.APIGatewayV2HTTPResponse, name string) string {
	for k, v := range res.Headers {
		if strings.EqualFold(k, name) {
			return v
		}
	}
	for k, v := range res.MultiValueHeaders {
		if strings.EqualFold(k, name) && len(v) > 0 {
			return v[0]
		}
	}
	return ""
}

// childBodies are valid create bodies per related kind.
var childBodies = map[string]string{
	"addresses":     `{"type":"home","street":"1 Main St","city":"Springfield","state":"IL","postalCode":"62701","country":"US","isPrimary":true}`,
	"bank-accounts": `{"bankName":"First Bank","accountType":"savings","accountNumberLast4":"9876"}`,
	"contacts":      `{"type":"email","value":"ada@example.com","isPrimary":true,"isVerified":true}`,
	"employments":   `{"companyName":"Acme","position":"Engineer","startDate":"2020-01-01T00:00:00Z","isCurrent":true}`,
}

// childPatches are valid merge patches per related kind.
var childPatches = map[string]string{
	"addresses":     `{"city":"Chicago"}`,
	"bank-accounts": `{"bankName":"Second Bank"}`,
	"contacts":      `{"isVerified":false}`,
	"employments":   `{"position":"Lead","department":null}`,
}

// scenario drives one function through its routes with API Gateway events; invokers
// gives each function's invoker and newPerson creates a person to hang children on.
func scenario(t *testing.T, fn api.Function, invoke invoker, newPerson func(t *testing.T) string) {
	jsonCT := map[string]string{"content-type": "application/json"}
	if fn == api.FunctionPersons {
		id := uuid.NewString()
		p := check(t, invoke, request{route: "POST /persons", path: "/persons", headers: jsonCT,
			body: `{"id":"` + id + `","firstName":"Ada","lastName":"Lovelace"}`}, http.StatusCreated)
		if p["id"] != id {
			t.Fatalf("created %v", p)
		}
		pp := map[string]string{"personId": id}
		check(t, invoke, request{route: "GET /persons", path: "/persons", query: "limit=5&q=Love"}, http.StatusOK)
		check(t, invoke, request{route: "GET /persons/{personId}", path: "/persons/" + id, params: pp}, http.StatusOK)
		d := check(t, invoke, request{route: "GET /persons/{personId}", path: "/persons/" + id, query: "include=all", params: pp}, http.StatusOK)
		if _, ok := d["addresses"]; !ok {
			t.Errorf("include=all: %v", d)
		}
		p = check(t, invoke, request{route: "PATCH /persons/{personId}", path: "/persons/" + id, params: pp,
			headers: map[string]string{"content-type": "application/merge-patch+json", "if-match": `"1"`},
			body:    `{"firstName":"Augusta"}`}, http.StatusOK)
		if p["firstName"] != "Augusta" || p["version"] != 2.0 {
			t.Errorf("patched %v", p)
		}
		check(t, invoke, request{route: "PATCH /persons/{personId}", path: "/persons/" + id, params: pp,
			headers: map[string]string{"content-type": "application/json", "if-match": `"1"`}, body: `{}`}, http.StatusPreconditionFailed)
		check(t, invoke, request{route: "POST /persons", path: "/persons", headers: jsonCT, body: `{"firstName":"A","lastName":"B","shoeSize":44}`}, http.StatusBadRequest)
		// Another function's route is not served here.
		check(t, invoke, request{route: "GET /persons/{personId}/addresses", path: "/persons/" + id + "/addresses", params: pp}, http.StatusNotFound)
		check(t, invoke, request{route: "DELETE /persons/{personId}", path: "/persons/" + id, params: pp}, http.StatusNoContent)
		check(t, invoke, request{route: "GET /persons/{personId}", path: "/persons/" + id, params: pp}, http.StatusNotFound)
		return
	}
	// The related function's URL segment, from its collection route.
	var segment string
	for _, rt := range api.Routes() {
		if rt.Function == fn && rt.Method == http.MethodGet && !strings.HasSuffix(rt.Path, "}") {
			segment = strings.TrimPrefix(rt.Path, "/persons/{personId}/")
		}
	}
	personID := newPerson(t)
	base := "/persons/" + personID + "/" + segment
	pp := map[string]string{"personId": personID}
	c := check(t, invoke, request{route: "POST /persons/{personId}/" + segment, path: base, params: pp, headers: jsonCT, body: childBodies[segment]}, http.StatusCreated)
	id := c["id"].(string)
	if c["personId"] != personID {
		t.Errorf("created %v", c)
	}
	ip := map[string]string{"personId": personID, "id": id}
	item := "/persons/{personId}/" + segment + "/{id}"
	check(t, invoke, request{route: "GET /persons/{personId}/" + segment, path: base, query: "limit=10", params: pp}, http.StatusOK)
	check(t, invoke, request{route: "GET " + item, path: base + "/" + id, params: ip}, http.StatusOK)
	// A PUT of what is stored changes nothing: the version stays.
	c = check(t, invoke, request{route: "PUT " + item, path: base + "/" + id, params: ip,
		headers: map[string]string{"content-type": "application/json; charset=utf-8", "if-match": `"1"`}, body: childBodies[segment]}, http.StatusOK)
	if c["version"] != 1.0 {
		t.Errorf("PUT of the stored item: %v", c)
	}
	c = check(t, invoke, request{route: "PATCH " + item, path: base + "/" + id, params: ip,
		headers: map[string]string{"content-type": "application/merge-patch+json", "if-match": `W/"1"`}, body: childPatches[segment]}, http.StatusOK)
	if c["version"] != 2.0 {
		t.Errorf("patched %v", c)
	}
	check(t, invoke, request{route: "PUT " + item, path: base + "/" + id, params: ip, headers: map[string]string{"content-type": "text/plain"}, body: "hi"}, http.StatusUnsupportedMediaType)
	check(t, invoke, request{route: "GET /persons", path: "/persons"}, http.StatusNotFound)
	check(t, invoke, request{route: "DELETE " + item, path: base + "/" + id, params: ip, headers: map[string]string{"if-match": `"2"`}}, http.StatusNoContent)
	check(t, invoke, request{route: "GET " + item, path: base + "/" + id, params: ip}, http.StatusNotFound)
}

// localEnv points the AWS SDK at the test engine through the environment, as a Lambda
// process under the emulator would be configured.
// personMaker returns a helper that stores a person and returns its id.
func personMaker(store *persons.Store) func(t *testing.T) string {
	return func(t *testing.T) string {
		p, err := store.CreatePerson(context.Background(), persons.Person{FirstName: "Grace", LastName: "Hopper"})
		if err != nil {
			t.Fatal(err)
		}
		return p.ID
	}
}

// testCursorKeys is the cursor key every test function instance shares, as the stack's
// secret gives one to every instance.
const testCursorKeys = "dGVzdC1jdXJzb3Ita2V5LW9mLTMyLWJ5dGVzLWxvbmchIQ=="

func localEnv(t *testing.T, table string) map[string]string {
	return map[string]string{
		deploy.EnvTableName:        table,
		deploy.EnvCursorKeys:       testCursorKeys,
		deploy.EnvDynamoDBEndpoint: ddbtest.Endpoint(t),
		"AWS_ACCESS_KEY_ID":        "local",
		"AWS_SECRET_ACCESS_KEY":    "local",
		"AWS_REGION":               "eu-west-1",
	}
}

// Each function, built by lambdaapp.Handler from the environment, serves real API
// Gateway HTTP API events through the Lambda's adapter.
func TestFunctionsThroughAdapter(t *testing.T) {
	db, table := ddbtest.NewTable(t)
	for k, v := range localEnv(t, table) {
		t.Setenv(k, v)
	}
	store := persons.New(db, table)
	newPerson := personMaker(store)
	for _, fn := range api.Functions() {
		t.Run(string(fn), func(t *testing.T) {
			h, err := lambdaapp.Handler(context.Background(), fn, slog.New(slog.NewJSONHandler(io.Discard, nil)))
			if err != nil {
				t.Fatal(err)
			}
			scenario(t, fn, invokeAdapter(h), newPerson)
		})
	}
}

func TestHandlerConfigErrors(t *testing.T) {
	t.Setenv(deploy.EnvCursorKeys, "")
	t.Setenv(deploy.EnvTableName, "t")
	_, err := lambdaapp.Handler(context.Background(), "persons", slog.Default())
	if err == nil || !strings.Contains(err.Error(), deploy.EnvCursorKeys) {
		t.Errorf("missing %s: %v", deploy.EnvCursorKeys, err)
	}
	t.Setenv(deploy.EnvCursorKeys, "c2hvcnQ=")
	_, err = lambdaapp.Handler(context.Background(), "persons", slog.Default())
	if err == nil || !strings.Contains(err.Error(), deploy.EnvCursorKeys) {
		t.Errorf("short %s: %v", deploy.EnvCursorKeys, err)
	}
	t.Setenv(deploy.EnvCursorKeys, testCursorKeys)
	t.Setenv(deploy.EnvTableName, "")
	_, err = lambdaapp.Handler(context.Background(), "persons", slog.Default())
	if err == nil || !strings.Contains(err.Error(), "TABLE_NAME") {
		t.Errorf("missing TABLE_NAME: %v", err)
	}
	t.Setenv(deploy.EnvTableName, "t")
	if _, err := lambdaapp.Handler(context.Background(), "pets", slog.Default()); err == nil {
		t.Error("unknown function accepted")
	}
	t.Setenv(deploy.EnvCORSOrigins, "https://app.example.com, app.example.com")
	_, err = lambdaapp.Handler(context.Background(), "persons", slog.Default())
	if err == nil || !strings.Contains(err.Error(), `CORS_ORIGINS: "app.example.com" is not an origin`) {
		t.Errorf("invalid CORS_ORIGINS: %v", err)
	}
}

// Two instances of a function (two handlers built from the same environment) accept
// each other's cursors: the next page may land on any instance.
func TestCursorsWorkAcrossInstances(t *testing.T) {
	db, table := ddbtest.NewTable(t)
	for k, v := range localEnv(t, table) {
		t.Setenv(k, v)
	}
	newPerson := personMaker(persons.New(db, table))
	for range 3 {
		newPerson(t)
	}
	instance := func() invoker {
		h, err := lambdaapp.Handler(context.Background(), api.FunctionPersons, slog.New(slog.NewJSONHandler(io.Discard, nil)))
		if err != nil {
			t.Fatal(err)
		}
		return invokeAdapter(h)
	}
	a, b := instance(), instance()
	first := check(t, a, request{route: "GET /persons", path: "/persons", query: "limit=1"}, http.StatusOK)
	cursor, _ := first["nextCursor"].(string)
	if cursor == "" {
		t.Fatalf("no cursor: %v", first)
	}
	check(t, b, request{route: "GET /persons", path: "/persons", query: "limit=1&cursor=" + url.QueryEscape(cursor)}, http.StatusOK)
}
