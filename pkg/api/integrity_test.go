package api_test

import (
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/aws/smithy-go/middleware"
	"github.com/google/uuid"

	"github.com/personsapi/persons/pkg/ddbstats"
	"github.com/personsapi/persons/pkg/ddbtest"
	"github.com/personsapi/persons/pkg/persons"
)

// The integrity tests pin the rules of what the API stores: every value validation
// accepts can be stored (limits_test.go; no DynamoDB error, no 500), text without
// invisible characters (text_test.go), bodies decoded exactly as sent (body_test.go), and
// one stored form per value: ids in lower case, text in NFC, date-times in UTC
// (canonical_test.go). This file has their helpers and the backstop for what validation
// misses.

// want is what a request of an integrity case must get: a 400 naming field, or
// status with an optional check of the stored value.
type want struct {
	status int
	field  string                     // the field a 400 names
	check  func(map[string]any) error // checks a 2xx body
}

func bad(field string) want { return want{status: http.StatusBadRequest, field: field} }

// stored wants a 2xx whose body holds value in field.
func stored(status int, field string, value any) want {
	return want{status: status, check: func(body map[string]any) error {
		if got := body[field]; got != value {
			return &mismatchError{field, got, value}
		}
		return nil
	}}
}

type mismatchError struct {
	field     string
	got, want any
}

func (e *mismatchError) Error() string {
	b, _ := json.Marshal(e.got)
	w, _ := json.Marshal(e.want)
	return e.field + " = " + string(b) + ", want " + string(w)
}

// run sends a request and checks the response against w.
func (w want) run(t *testing.T, s *server, method, path string, body any) {
	t.Helper()
	res := s.do(method, path, body)
	if res.StatusCode != w.status {
		t.Errorf("%s %s: status %d, want %d; body %s", method, path, res.StatusCode, w.status, res.body)
		return
	}
	if w.status == http.StatusBadRequest {
		res.fieldProblem(t, w.field)
		return
	}
	res.want(t, w.status)
	if w.check != nil {
		var m map[string]any
		res.decode(t, &m)
		if err := w.check(m); err != nil {
			t.Error(err)
		}
	}
}

// with returns a copy of m with the given members set.
func with(m map[string]any, kv ...any) map[string]any {
	out := clone(m)
	for i := 0; i+1 < len(kv); i += 2 {
		out[kv[i].(string)] = kv[i+1]
	}
	return out
}

// jsonNumber sends a number exactly as written.
type jsonNumber string

func (n jsonNumber) MarshalJSON() ([]byte, error) { return []byte(n), nil }

var employmentBody = map[string]any{"companyName": "Acme", "position": "Engineer",
	"startDate": "2020-01-01T00:00:00Z", "isCurrent": true, "currency": "EUR"}

// DynamoDB's ValidationException, should one get past validation, is a 400 without
// DynamoDB's text, logged at ERROR with the error.
func TestValidationExceptionBackstop(t *testing.T) {
	// The real engine rejects the request: a middleware puts a number DynamoDB cannot hold
	// into the PutItem of a create, after validation passed.
	overflow := func(o *dynamodb.Options) {
		o.APIOptions = append(o.APIOptions, func(st *middleware.Stack) error {
			return st.Initialize.Add(middleware.InitializeMiddlewareFunc("overflow",
				func(ctx context.Context, in middleware.InitializeInput, next middleware.InitializeHandler) (middleware.InitializeOutput, middleware.Metadata, error) {
					if put, ok := in.Parameters.(*dynamodb.PutItemInput); ok {
						put.Item["salary"] = &types.AttributeValueMemberN{Value: "1e200"}
					}
					return next.HandleInitialize(ctx, in)
				}), middleware.After)
		})
	}
	db, table := ddbtest.NewTable(t, ddbstats.Counting, overflow)
	s := newServerFor(t, persons.New(db, table))
	res := s.do("POST", "/persons", personBody(uuid.NewString()))
	if res.StatusCode != http.StatusBadRequest {
		t.Fatalf("status %d, want 400; body %s", res.StatusCode, res.body)
	}
	p := res.problem(t, http.StatusBadRequest)
	if len(p.Errors) != 0 || strings.Contains(string(res.body), "1e200") || strings.Contains(strings.ToLower(string(res.body)), "dynamodb") ||
		strings.Contains(string(res.body), "ValidationException") {
		t.Errorf("problem leaks DynamoDB's error or names a field: %s", res.body)
	}
	lines := s.logs.lines(t, "value rejected by DynamoDB")
	if len(lines) != 1 || lines[0]["level"] != "ERROR" || !strings.Contains(lines[0]["error"].(string), "ValidationException") ||
		lines[0]["request_id"] != p.RequestID {
		t.Errorf("log lines %v: want one ERROR with the error and request id", lines)
	}
}
