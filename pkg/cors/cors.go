// Package cors owns the one rule for the browser origins the persons API answers CORS
// for. The same list reaches two places: the Lambda functions and `make run` take it
// from CORS_ORIGINS (deploy.EnvCORSOrigins) and answer CORS themselves (pkg/api); the
// CDK app takes it from the corsOrigins context and has API Gateway answer. Both parse
// it here, so a value one side accepts the other cannot read differently.
package cors

import (
	"fmt"
	"net"
	"net/url"
	"strconv"
	"strings"
)

// Any is the origin that allows every origin.
const Any = "*"

// defaultPorts are the ports a browser leaves out of the origins it sends.
var defaultPorts = map[string]string{"http": "80", "https": "443"}

// ParseOrigins parses a comma-separated list of origins. Blanks around and between
// the entries are ignored; each entry is Any or scheme://host[:port] with scheme http
// or https, an ASCII host name or IP address, and nothing after it but an optional "/".
// Partial wildcards ("https://*.example.com") are not origins: API Gateway would
// accept some, but the functions match exact origins only.
//
// The origins come back as a browser sends them in its Origin header (RFC 6454):
// lower case, without a default port or a trailing "/", so that an exact comparison
// with that header is enough. An invalid entry is an error naming every invalid entry;
// then the list is nil. An empty list is nil too: no CORS.
func ParseOrigins(list string) ([]string, error) {
	var origins, bad []string
	for entry := range strings.SplitSeq(list, ",") {
		entry = strings.TrimSpace(entry)
		if entry == "" {
			continue
		}
		o, ok := origin(entry)
		if !ok {
			bad = append(bad, strconv.Quote(entry))
			continue
		}
		origins = append(origins, o)
	}
	switch len(bad) {
	case 0:
		return origins, nil
	case 1:
		return nil, fmt.Errorf("%s is not an origin (want %s or scheme://host[:port])", bad[0], Any)
	default:
		return nil, fmt.Errorf("%s are not origins (want %s or scheme://host[:port])", strings.Join(bad, ", "), Any)
	}
}

// origin returns s as a browser serializes it, or false when s is not an origin.
func origin(s string) (string, bool) {
	if s == Any {
		return s, true
	}
	s = strings.TrimSuffix(s, "/")
	u, err := url.Parse(s)
	if err != nil || u.Host == "" {
		return "", false
	}
	scheme := strings.ToLower(u.Scheme)
	defaultPort, ok := defaultPorts[scheme]
	// Anything url.Parse found besides scheme and host (user info, path, "?", "#")
	// makes s longer than the two.
	if !ok || len(s) != len(u.Scheme)+len("://")+len(u.Host) {
		return "", false
	}
	host, port := strings.ToLower(u.Hostname()), u.Port()
	if strings.HasSuffix(u.Host, ":") || !validHost(host, strings.HasPrefix(u.Host, "[")) {
		return "", false
	}
	if port != "" {
		if n, err := strconv.Atoi(port); err != nil || n < 1 || n > 65535 {
			return "", false
		}
	}
	if strings.HasPrefix(u.Host, "[") {
		host = "[" + host + "]"
	}
	if port != "" && port != defaultPort {
		host += ":" + port
	}
	return scheme + "://" + host, true
}

// validHost accepts an IPv6 address when bracketed (as in a URL), else a dotted name of
// ASCII letters, digits and hyphens (an IPv4 address is one too). Browsers send
// international names in their ASCII (punycode) form.
func validHost(host string, bracketed bool) bool {
	if bracketed {
		ip := net.ParseIP(host)
		return ip != nil && ip.To4() == nil
	}
	for label := range strings.SplitSeq(host, ".") {
		if label == "" {
			return false
		}
		for _, c := range []byte(label) {
			if !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '-') {
				return false
			}
		}
	}
	return true
}

// What a browser on an allowed origin may do, for both places that answer CORS (the
// functions and `make run` through pkg/api, API Gateway through the CDK app): one
// definition, so a front end that works locally works deployed.
var (
	// AllowHeaders are the request headers a cross-origin call may send: the token,
	// the body's type, the preconditions and the request id.
	AllowHeaders = []string{"Authorization", "Content-Type", "If-Match", "If-None-Match", "X-Request-Id"}
	// ExposeHeaders are the response headers a cross-origin script may read beyond the
	// CORS-safelisted ones: Allow (with 405), ETag (for If-Match), Location (after a
	// create), Retry-After (with 429/503/504) and the request id.
	ExposeHeaders = []string{"Allow", "ETag", "Location", "Retry-After", "X-Request-Id"}
)

// MaxAgeSeconds is how long a browser may cache a preflight answer.
const MaxAgeSeconds = 600
