package api

import (
	"net/http"
	"net/url"
	"slices"
	"strings"

	"github.com/personsapi/persons/pkg/input"
)

// checkQuery rejects a query string that the route would not read as sent: a parameter
// the route does not take (a client sending sort= or updatedAfter= must not get an
// unsorted, unfiltered answer it takes for the one it asked for), a malformed one (bad
// percent-encoding or a raw ';', which net/url silently drops with the whole pair), and a
// parameter given twice (net/url would pick the first one). Every problem is reported at
// once, each naming its parameter, with the parameters the route takes.
func checkQuery(r *http.Request, supported []string) error {
	var fe input.Fields
	seen := map[string]bool{}
	for _, pair := range strings.Split(r.URL.RawQuery, "&") {
		if pair == "" {
			continue
		}
		rawName, rawValue, _ := strings.Cut(pair, "=")
		name, err := url.QueryUnescape(rawName)
		if err != nil {
			name = rawName
		}
		_, valueErr := url.QueryUnescape(rawValue)
		switch {
		case err != nil || valueErr != nil:
			fe.Add(name, "malformed query parameter: invalid percent-encoding")
		case strings.Contains(pair, ";"):
			fe.Add(name, "malformed query parameter: a raw ';' (percent-encode it as %3B)")
		case !slices.Contains(supported, name):
			fe.Add(name, "unknown query parameter")
		case seen[name]:
			fe.Add(name, "given more than once")
		}
		seen[name] = true
	}
	if err := fe.Err(); err != nil {
		fields, _ := input.FieldErrors(err)
		return &statusError{status: http.StatusBadRequest, detail: "invalid query: " + supportedText(supported), fields: fields}
	}
	return nil
}

func supportedText(supported []string) string {
	if len(supported) == 0 {
		return "this route takes no query parameters"
	}
	return "this route takes " + strings.Join(supported, ", ")
}
