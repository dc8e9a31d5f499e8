// Package api serves the persons HTTP API with net/http.
package api

import "github.com/personsapi/persons/pkg/persons"

// Route is one method + path of the HTTP API and the Lambda function that serves it.
// Paths use the {param} syntax that both http.ServeMux and API Gateway understand.
type Route struct {
	Function string // the functions/<Function> Lambda that serves the route
	Method   string
	Path     string
}

// Function names: one Lambda per entity (functions/<name>).
const FunctionPersons = "persons"

// Functions lists the API's Lambda functions: persons and one per related kind.
func Functions() []string {
	fns := []string{FunctionPersons}
	for _, k := range persons.Kinds {
		fns = append(fns, FunctionFor(k))
	}
	return fns
}

// FunctionFor is the name of the Lambda that serves kind k ("addresses" -> "addresses",
// "bank-accounts" -> "bankaccounts").
func FunctionFor(k persons.Kind) string {
	out := make([]byte, 0, len(k.Route))
	for i := 0; i < len(k.Route); i++ {
		if k.Route[i] != '-' {
			out = append(out, k.Route[i])
		}
	}
	return string(out)
}

// Routes is every route of the API, grouped by function. The router, the OpenAPI
// document test and the CDK stack all derive from it.
func Routes() []Route {
	rs := []Route{
		{FunctionPersons, "GET", "/persons"},
		{FunctionPersons, "POST", "/persons"},
		{FunctionPersons, "GET", "/persons/{personId}"},
		{FunctionPersons, "PATCH", "/persons/{personId}"},
		{FunctionPersons, "DELETE", "/persons/{personId}"},
	}
	for _, k := range persons.Kinds {
		fn, base := FunctionFor(k), "/persons/{personId}/"+k.Route
		rs = append(rs,
			Route{fn, "GET", base},
			Route{fn, "POST", base},
			Route{fn, "GET", base + "/{id}"},
			Route{fn, "PUT", base + "/{id}"},
			Route{fn, "PATCH", base + "/{id}"},
			Route{fn, "DELETE", base + "/{id}"},
		)
	}
	return rs
}
