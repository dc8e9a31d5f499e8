package lambdaapp

import (
	"context"
	"net/http"
	"testing"

	"github.com/aws/aws-lambda-go/events"
	"github.com/awslabs/aws-lambda-go-api-proxy/httpadapter"

	"github.com/personsapi/persons/pkg/api"
)

// The API sees API Gateway's request id as X-Request-Id, in place of the client's; a
// client id stays when the event carries none.
func TestGatewayRequestID(t *testing.T) {
	for _, tc := range []struct{ name, gateway, client, want string }{
		{"gateway", "JkHgchF3joEEPAw=", "", "JkHgchF3joEEPAw="},
		{"gateway over client", "JkHgchF3joEEPAw=", "client-1", "JkHgchF3joEEPAw="},
		{"client without gateway", "", "client-1", "client-1"},
		{"neither", "", "", ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var got string
			h := withGatewayRequestID(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				got = r.Header.Get(api.RequestIDHeader)
				w.WriteHeader(http.StatusNoContent)
			}))
			ev := events.APIGatewayV2HTTPRequest{
				Version: "2.0", RawPath: "/persons", Headers: map[string]string{},
				RequestContext: events.APIGatewayV2HTTPRequestContext{
					RequestID: tc.gateway,
					HTTP:      events.APIGatewayV2HTTPRequestContextHTTPDescription{Method: "GET", Path: "/persons"},
				},
			}
			if tc.client != "" {
				ev.Headers["x-request-id"] = tc.client
			}
			res, err := httpadapter.NewV2(h).ProxyWithContext(context.Background(), ev)
			if err != nil || res.StatusCode != http.StatusNoContent {
				t.Fatalf("status %d, %v", res.StatusCode, err)
			}
			if got != tc.want {
				t.Errorf("X-Request-Id %q, want %q", got, tc.want)
			}
		})
	}
}
