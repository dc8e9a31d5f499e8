// Package lambdaapp is everything the API's Lambda functions share: each
// functions/<name>/main.go is one call to Main with the function's name.
package lambdaapp

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"os"
	"slices"
	"strings"
	"time"

	"github.com/aws/aws-lambda-go/lambda"
	"github.com/awslabs/aws-lambda-go-api-proxy/core"
	"github.com/awslabs/aws-lambda-go-api-proxy/httpadapter"

	"github.com/personsapi/persons/pkg/api"
	"github.com/personsapi/persons/pkg/cors"
	"github.com/personsapi/persons/pkg/ddbclient"
	"github.com/personsapi/persons/pkg/deploy"
	"github.com/personsapi/persons/pkg/metrics"
	"github.com/personsapi/persons/pkg/persons"
	"github.com/personsapi/persons/pkg/reqlog"
	"github.com/personsapi/persons/pkg/tracing"
)

// Main runs the Lambda function that serves function's routes of the API: at init it
// reads its environment (deploy.EnvTableName, deploy.EnvCORSOrigins,
// deploy.EnvRequestTimeout, the scope names deploy.EnvScopeRead…) and builds the DynamoDB client and the store once, then
// serves API Gateway HTTP API (payload 2.0) events. A configuration error ends the
// process with status 1 and a clear log line, which Lambda reports as an init failure.
func Main(function api.Function) {
	// Lambda drops application lines below the function's application log level by
	// itself (JSON log format); logging at that level too saves building them.
	log := slog.New(reqlog.Handler(slog.NewJSONHandler(os.Stdout, &slog.HandlerOptions{Level: LogLevel(os.Getenv(deploy.EnvLambdaLogLevel))})))
	// The default logger too, so that every line the process writes is JSON: the AWS
	// SDK's (ddbclient.Logger, with the request's ids) and the standard log package's
	// (the API Gateway adapter logs with it) go through it.
	slog.SetDefault(log)
	h, err := Handler(context.Background(), function, log)
	if err != nil {
		log.Error("startup failed", "function", function, "error", err.Error())
		os.Exit(1)
	}
	lambda.Start(httpadapter.NewV2(h).ProxyWithContext)
}

// Handler builds the HTTP handler of one function from the environment. With tracing
// on (pkg/tracing: deploy.EnvOTLPEndpoint), every request has a span, every DynamoDB
// call one under it, and the handler flushes them before it returns.
func Handler(ctx context.Context, function api.Function, log *slog.Logger) (http.Handler, error) {
	if !slices.Contains(api.Functions(), function) {
		return nil, fmt.Errorf("unknown function %q (want one of %v)", function, api.Functions())
	}
	// A mistyped origin fails the init instead of silently refusing that browser.
	origins, err := cors.ParseOrigins(os.Getenv(deploy.EnvCORSOrigins))
	if err != nil {
		return nil, fmt.Errorf("%s: %w", deploy.EnvCORSOrigins, err)
	}
	// Every instance must sign cursors with the same key, or a cursor from one fails on
	// the next: a missing key fails the init rather than each instance making its own.
	keys, err := persons.ParseCursorKeys(os.Getenv(deploy.EnvCursorKeys))
	if err != nil {
		return nil, fmt.Errorf("%s: %w", deploy.EnvCursorKeys, err)
	}
	timeout, err := api.ParseRequestTimeout(os.Getenv(deploy.EnvRequestTimeout))
	if err != nil {
		return nil, fmt.Errorf("%s: %w", deploy.EnvRequestTimeout, err)
	}
	names, err := api.ScopeNamesFromEnv(os.Getenv, deploy.EnvScopeRead, deploy.EnvScopeWrite, deploy.EnvScopeBank)
	if err != nil {
		return nil, err
	}
	anonymous := names.Parse(os.Getenv(deploy.EnvAnonymousScopes))
	tp, err := tracing.FromEnv(ctx)
	if err != nil {
		return nil, err
	}
	db, table, err := ddbclient.FromEnv(ctx, tp.Configure)
	if err != nil {
		return nil, err
	}
	return withFlush(tp, withGatewayRequestID(withClaimScopes(names, anonymous, withDeadlineMargin(api.NewHandler(api.Options{
		Store:          persons.New(db, table, persons.WithCursorKeys(keys...)),
		Logger:         log,
		CORSOrigins:    origins,
		Functions:      []api.Function{function},
		RequestTimeout: timeout,
		ScopeNames:     names,
		Metrics:        metrics.EMF{Namespace: os.Getenv(deploy.EnvMetricsNamespace)},
		Tracer:         tp.TracerProvider(),
	}))))), nil
}

// withFlush sends the request's spans to the collector before the invocation ends
// (tracing.Provider.Flush): after the response is complete, before the adapter hands
// it to the runtime, which lets Lambda freeze the process.
func withFlush(tp *tracing.Provider, next http.Handler) http.Handler {
	if !tp.Enabled() {
		return next
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		next.ServeHTTP(w, r)
		tp.Flush(r.Context())
	})
}

// withClaimScopes hands the API the caller's scopes: those of the "scope" claim (OAuth,
// Cognito's access tokens) or else the "scp" claim (Okta, Entra ID) of the JWT
// authorizer in the event. An event without JWT claims gets anonymous, which is nothing
// unless the stack runs without an authorizer (-c auth=none); claims without a scope
// the API knows get nothing.
func withClaimScopes(names api.ScopeNames, anonymous api.Scopes, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		next.ServeHTTP(w, r.WithContext(api.WithScopes(r.Context(), claimScopes(r, names, anonymous))))
	})
}

func claimScopes(r *http.Request, names api.ScopeNames, anonymous api.Scopes) api.Scopes {
	gw, ok := core.GetAPIGatewayV2ContextFromContext(r.Context())
	if !ok || gw.Authorizer == nil || gw.Authorizer.JWT == nil || len(gw.Authorizer.JWT.Claims) == 0 {
		return anonymous
	}
	claims := gw.Authorizer.JWT.Claims
	if s, ok := claims["scope"]; ok {
		return names.Parse(s)
	}
	return names.Parse(claims["scp"])
}

// LogLevel maps Lambda's application log level (deploy.EnvLambdaLogLevel) onto slog's:
// TRACE is below DEBUG and FATAL above ERROR, as Lambda orders them. Unset or unknown
// means INFO, the level the access lines (and so the metrics) are written at.
func LogLevel(s string) slog.Level {
	switch strings.ToUpper(strings.TrimSpace(s)) {
	case "TRACE":
		return slog.LevelDebug - 4
	case "DEBUG":
		return slog.LevelDebug
	case "WARN":
		return slog.LevelWarn
	case "ERROR":
		return slog.LevelError
	case "FATAL":
		return slog.LevelError + 4
	}
	return slog.LevelInfo
}

// DeadlineMargin is the time a request leaves before the invocation's deadline (the
// function's timeout) for its answer to get out. A function of 256 MB has a fraction
// of a vCPU: encoding a problem and handing it to the runtime takes milliseconds, but
// not always few.
const DeadlineMargin = time.Second

// withDeadlineMargin ends a request DeadlineMargin before its invocation's deadline, if
// that comes before the API's own request timeout: with a function timeout shorter than
// deploy.EnvRequestTimeout, the function still answers (504) by itself instead of being
// killed mid-request.
func withDeadlineMargin(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if dl, ok := r.Context().Deadline(); ok {
			ctx, cancel := context.WithDeadline(r.Context(), dl.Add(-DeadlineMargin))
			defer cancel()
			r = r.WithContext(ctx)
		}
		next.ServeHTTP(w, r)
	})
}

// withGatewayRequestID hands API Gateway's request id (requestContext.requestId of the
// event, which the adapter puts in the context) to the API as the request's
// X-Request-Id. It replaces one the client sent: the response, the problem body and
// the access log then carry the id under which API Gateway logs the request. The same
// for the invocation's trace id (api.TraceIDHeader).
func withGatewayRequestID(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if gw, ok := core.GetAPIGatewayV2ContextFromContext(r.Context()); ok && gw.RequestID != "" {
			r.Header.Set(api.RequestIDHeader, gw.RequestID)
		}
		// The invocation's trace header (aws-lambda-go puts the runtime's
		// Lambda-Runtime-Trace-Id in the context) replaces the client's.
		if tr, _ := r.Context().Value("x-amzn-trace-id").(string); tr != "" {
			r.Header.Set(api.TraceIDHeader, tr)
		}
		next.ServeHTTP(w, r)
	})
}
