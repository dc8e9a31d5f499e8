package cors_test

import (
	"slices"
	"strings"
	"testing"

	"github.com/personsapi/persons/pkg/cors"
)

func TestParseOrigins(t *testing.T) {
	for _, tc := range []struct {
		list    string
		want    []string
		wantErr string // substring; "" = no error
	}{
		{list: "", want: nil},
		{list: " , ,", want: nil},
		{list: "*", want: []string{"*"}},
		{list: "https://app.example.com", want: []string{"https://app.example.com"}},
		{list: " https://app.example.com , http://localhost:5173 ", want: []string{"https://app.example.com", "http://localhost:5173"}},
		{list: "https://app.example.com,*", want: []string{"https://app.example.com", "*"}},
		// As a browser sends it: trailing "/", case and default ports go.
		{list: "https://app.example.com/", want: []string{"https://app.example.com"}},
		{list: "HTTPS://App.Example.COM", want: []string{"https://app.example.com"}},
		{list: "https://app.example.com:443,http://app.example.com:80", want: []string{"https://app.example.com", "http://app.example.com"}},
		{list: "https://app.example.com:8443", want: []string{"https://app.example.com:8443"}},
		{list: "http://127.0.0.1:8080", want: []string{"http://127.0.0.1:8080"}},
		{list: "http://[::1]:5173", want: []string{"http://[::1]:5173"}},
		{list: "https://xn--bcher-kva.example", want: []string{"https://xn--bcher-kva.example"}},

		{list: "example.com", wantErr: `"example.com" is not an origin (want * or scheme://host[:port])`},
		{list: "localhost:5173", wantErr: `"localhost:5173" is not an origin`},
		{list: "https://a.example.com/app", wantErr: `"https://a.example.com/app" is not an origin`},
		{list: "https://a.example.com//", wantErr: "is not an origin"},
		{list: "https://a.example.com?", wantErr: "is not an origin"},
		{list: "https://a.example.com?x=1", wantErr: "is not an origin"},
		{list: "https://a.example.com#", wantErr: "is not an origin"},
		{list: "https://user@a.example.com", wantErr: "is not an origin"},
		{list: "ftp://a.example.com", wantErr: "is not an origin"},
		{list: "https:a.example.com", wantErr: "is not an origin"},
		{list: "https://", wantErr: "is not an origin"},
		{list: "https://a.example.com:", wantErr: "is not an origin"},
		{list: "https://a.example.com:0", wantErr: "is not an origin"},
		{list: "https://a.example.com:65536", wantErr: "is not an origin"},
		{list: "https://a..example.com", wantErr: "is not an origin"},
		{list: "https://a.example.com.", wantErr: "is not an origin"},
		{list: "https://a_b.example.com", wantErr: "is not an origin"},
		{list: "https://bücher.example", wantErr: "is not an origin"},
		{list: "https://[127.0.0.1]", wantErr: "is not an origin"},
		// Partial wildcards: the functions could not match them.
		{list: "https://*", wantErr: "is not an origin"},
		{list: "https://*.example.com", wantErr: "is not an origin"},
		// Every invalid entry at once; nothing of a list with one.
		{list: "https://ok.example.com, example.com, https://a.example.com/app",
			wantErr: `"example.com", "https://a.example.com/app" are not origins (want * or scheme://host[:port])`},
	} {
		got, err := cors.ParseOrigins(tc.list)
		switch {
		case tc.wantErr == "" && err != nil:
			t.Errorf("ParseOrigins(%q): %v", tc.list, err)
		case tc.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tc.wantErr)):
			t.Errorf("ParseOrigins(%q) error %v, want one containing %q", tc.list, err, tc.wantErr)
		case !slices.Equal(got, tc.want):
			t.Errorf("ParseOrigins(%q) = %q, want %q", tc.list, got, tc.want)
		}
	}
}
