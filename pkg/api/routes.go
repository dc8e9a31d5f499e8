// Package api serves the persons HTTP API with net/http.
package api

import (
	"net/http"
	"slices"

	"github.com/personsapi/persons/pkg/persons"
)

// Function names one Lambda function of the API: functions/<name> serves its routes.
type Function string

// The API's functions: persons, and one per related kind.
const (
	FunctionPersons      Function = "persons"
	FunctionAddresses    Function = "addresses"
	FunctionBankAccounts Function = "bankaccounts"
	FunctionContacts     Function = "contacts"
	FunctionEmployments  Function = "employments"
)

// relatedKinds is the HTTP side of the related-kinds registry: each kind's URL segment
// under /persons/{personId}/ and the function that serves it.
var relatedKinds = []relatedKind{
	relatedKindOf[persons.Address]("addresses", FunctionAddresses),
	relatedKindOf[persons.BankAccount]("bank-accounts", FunctionBankAccounts),
	relatedKindOf[persons.ContactInfo]("contacts", FunctionContacts),
	relatedKindOf[persons.Employment]("employments", FunctionEmployments),
}

// Route is one method + path of the HTTP API and the Lambda function that serves it.
// Paths use the {param} syntax that both http.ServeMux and API Gateway understand.
type Route struct {
	Function Function
	Method   string
	Path     string
}

// Pattern is the route's http.ServeMux pattern, "METHOD /path".
func (r Route) Pattern() string { return r.Method + " " + r.Path }

// route is a Route with the query parameters it takes and the constructor of its
// handler: the one table of the API.
type route struct {
	Route
	query   []string
	handler func(*persons.Store, ScopeNames) handlerFunc
}

// Query lists the query parameters the route takes; any other is a 400.
func (r Route) Query() []string {
	for _, rt := range routes() {
		if rt.Route == r {
			return slices.Clone(rt.query)
		}
	}
	return nil
}

// method is a handler method of a handler set H, as a method expression (H.list).
type method[H any] func(H, http.ResponseWriter, *http.Request) error

// bind binds m to the handler set h.
func (m method[H]) bind(h H) handlerFunc {
	return func(w http.ResponseWriter, r *http.Request) error { return m(h, w, r) }
}

// routes is every route of the API, grouped by function.
func routes() []route {
	p := func(httpMethod, path string, h method[personHandlers], query ...string) route {
		return route{Route{FunctionPersons, httpMethod, path}, query, func(s *persons.Store, _ ScopeNames) handlerFunc { return h.bind(personHandlers{s}) }}
	}
	rs := []route{
		p(http.MethodGet, "/persons", personHandlers.list, personsListQuery...),
		p(http.MethodPost, "/persons", personHandlers.create),
		p(http.MethodGet, "/persons/{personId}", personHandlers.get, "include"),
		p(http.MethodPatch, "/persons/{personId}", personHandlers.patch),
		p(http.MethodDelete, "/persons/{personId}", personHandlers.delete),
		{Route{FunctionPersons, http.MethodGet, "/changes"}, changesQuery,
			func(s *persons.Store, _ ScopeNames) handlerFunc { return newChangeHandlers(s).list }},
	}
	for _, k := range relatedKinds {
		rs = append(rs, k.routes()...)
	}
	return rs
}

// Routes is every route of the API, grouped by function. The router, the OpenAPI
// document test and the CDK stack all derive from it.
func Routes() []Route {
	var out []Route
	for _, r := range routes() {
		out = append(out, r.Route)
	}
	return out
}

// Methods lists the HTTP methods of the API's routes, in route order: what CORS allows.
func Methods() []string {
	var ms []string
	for _, r := range routes() {
		if !slices.Contains(ms, r.Method) {
			ms = append(ms, r.Method)
		}
	}
	return ms
}

// Functions lists the API's Lambda functions: persons and one per related kind.
func Functions() []Function {
	fns := []Function{FunctionPersons}
	for _, k := range relatedKinds {
		fns = append(fns, k.function)
	}
	return fns
}

// FunctionFor is the function that serves the related kind k, or "" for none.
func FunctionFor(k *persons.Kind) Function {
	for _, rk := range relatedKinds {
		if rk.kind == k {
			return rk.function
		}
	}
	return ""
}
