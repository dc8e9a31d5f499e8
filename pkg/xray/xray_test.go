package xray_test

import (
	"testing"

	"go.opentelemetry.io/otel/trace"

	"github.com/personsapi/persons/pkg/xray"
)

func TestParse(t *testing.T) {
	const root, parent = "1-5759e988-bd862e3fe1be46a994272793", "53995c3f42cd8ad8"
	for _, tc := range []struct {
		header          string
		trace, span     string // "" = invalid
		sampled, parent bool
	}{
		{"Root=" + root + ";Parent=" + parent + ";Sampled=1", root, parent, true, true},
		{"Root=" + root + ";Parent=" + parent + ";Sampled=0", root, parent, false, true},
		{"Root=" + root + ";Parent=" + parent + ";Sampled=?", root, parent, false, true},
		{"Root=" + root + ";Parent=" + parent, root, parent, false, true},
		{"Sampled=1; Parent=" + parent + " ;Lineage=a87bd80c:0;Root=" + root, root, parent, true, true},
		{"Self=1-abc;Root=" + root, root, "", false, false},
		{"Root=" + root + ";Parent=53995c3f42cd8ad", root, "", false, false},                    // short parent
		{"Root=" + root + ";Parent=0000000000000000", root, "", false, false},                   // zero span id
		{"Root=1-5759e988-bd862e3fe1be46a99427279;Parent=" + parent, "", parent, false, false},  // short root
		{"Root=2-5759e988-bd862e3fe1be46a994272793;Parent=" + parent, "", parent, false, false}, // version
		{"Root=1-5759e98g-bd862e3fe1be46a994272793;Parent=" + parent, "", parent, false, false}, // not hex
		{"Root=1-00000000-000000000000000000000000;Parent=" + parent, "", parent, false, false}, // zero id
		{"Root=1_5759e988_bd862e3fe1be46a994272793", "", "", false, false},
		{"Root=evil\nline", "", "", false, false},
		{"", "", "", false, false},
	} {
		sc := xray.Parse(tc.header)
		if got := xray.TraceID(sc.TraceID()); got != tc.trace {
			t.Errorf("%q: trace %q, want %q", tc.header, got, tc.trace)
		}
		span := ""
		if sc.SpanID().IsValid() {
			span = sc.SpanID().String()
		}
		if span != tc.span {
			t.Errorf("%q: span %q, want %q", tc.header, span, tc.span)
		}
		if sc.IsValid() != tc.parent || (tc.parent && sc.IsSampled() != tc.sampled) || (sc.IsValid() && !sc.IsRemote()) {
			t.Errorf("%q: valid %v sampled %v remote %v, want valid %v sampled %v", tc.header, sc.IsValid(), sc.IsSampled(), sc.IsRemote(), tc.parent, tc.sampled)
		}
	}
}

func TestFormatRoundTrip(t *testing.T) {
	for _, h := range []string{
		"Root=1-5759e988-bd862e3fe1be46a994272793;Parent=53995c3f42cd8ad8;Sampled=1",
		"Root=1-00000001-000000000000000000000001;Parent=0000000000000001;Sampled=0",
	} {
		if got := xray.Format(xray.Parse(h)); got != h {
			t.Errorf("Format(Parse(%q)) = %q", h, got)
		}
	}
	if got := xray.Format(trace.SpanContext{}); got != "" {
		t.Errorf("Format(invalid) = %q, want empty", got)
	}
	if got := xray.TraceID(trace.TraceID{}); got != "" {
		t.Errorf("TraceID(zero) = %q, want empty", got)
	}
}

func FuzzParse(f *testing.F) {
	f.Add("Root=1-5759e988-bd862e3fe1be46a994272793;Parent=53995c3f42cd8ad8;Sampled=1")
	f.Fuzz(func(t *testing.T, h string) {
		sc := xray.Parse(h)
		if id := xray.TraceID(sc.TraceID()); id != "" && xray.Parse("Root="+id).TraceID() != sc.TraceID() {
			t.Errorf("trace id %q does not round-trip", id)
		}
		if sc.IsValid() && !xray.Parse(xray.Format(sc)).Equal(sc) {
			t.Errorf("%q: Format does not round-trip", h)
		}
	})
}
