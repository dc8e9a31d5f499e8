// Package xray reads the trace header of AWS X-Ray, which API Gateway and Lambda
// propagate (the X-Amzn-Trace-Id HTTP header, Lambda's _X_AMZN_TRACE_ID):
//
//	Root=1-5759e988-bd862e3fe1be46a994272793;Parent=53995c3f42cd8ad8;Sampled=1
//
// and writes trace ids the way X-Ray shows them, so that a trace id in a log line or a
// problem body can be pasted into the X-Ray console. The OpenTelemetry contrib
// propagator for this header is no longer maintained; the format is small and stable.
package xray

import (
	"encoding/hex"
	"strings"

	"go.opentelemetry.io/otel/trace"
)

// Header is the HTTP header that carries the trace.
const Header = "X-Amzn-Trace-Id"

// Parse reads a trace header. The span context it returns has the Root's trace id, the
// Parent's span id and the sampled flag of Sampled=1 (Sampled=0, "?" or none is not
// sampled: spans are recorded only on the decision of whoever started the trace); it
// is remote. Fields may come in any order, unknown ones (Self, Lineage) are ignored.
// A malformed Root gives an invalid trace id, a missing or malformed Parent an invalid
// span id: check sc.IsValid() before using it as a parent and sc.TraceID().IsValid()
// before naming the trace.
func Parse(h string) trace.SpanContext {
	var cfg trace.SpanContextConfig
	for f := range strings.SplitSeq(h, ";") {
		k, v, ok := strings.Cut(strings.TrimSpace(f), "=")
		if !ok {
			continue
		}
		switch k {
		case "Root":
			if id, ok := parseRoot(v); ok {
				cfg.TraceID = id
			}
		case "Parent":
			if id, err := trace.SpanIDFromHex(v); err == nil && len(v) == 16 {
				cfg.SpanID = id
			}
		case "Sampled":
			if v == "1" {
				cfg.TraceFlags = trace.FlagsSampled
			}
		}
	}
	cfg.Remote = true
	return trace.NewSpanContext(cfg)
}

// parseRoot reads "1-<8 hex digits: epoch seconds>-<24 hex digits>", X-Ray's form of
// a 128-bit trace id.
func parseRoot(v string) (trace.TraceID, bool) {
	if len(v) != 35 || v[:2] != "1-" || v[10] != '-' {
		return trace.TraceID{}, false
	}
	var id trace.TraceID
	if _, err := hex.Decode(id[:4], []byte(v[2:10])); err != nil {
		return trace.TraceID{}, false
	}
	if _, err := hex.Decode(id[4:], []byte(v[11:])); err != nil {
		return trace.TraceID{}, false
	}
	return id, id.IsValid()
}

// TraceID writes id as X-Ray shows it ("1-5759e988-bd862e3fe1be46a994272793"), or ""
// for an invalid id.
func TraceID(id trace.TraceID) string {
	if !id.IsValid() {
		return ""
	}
	s := id.String()
	return "1-" + s[:8] + "-" + s[8:]
}

// Format writes sc as a trace header, with sc's span id as the Parent: the header a
// call made under sc carries.
func Format(sc trace.SpanContext) string {
	if !sc.IsValid() {
		return ""
	}
	sampled := "0"
	if sc.IsSampled() {
		sampled = "1"
	}
	return "Root=" + TraceID(sc.TraceID()) + ";Parent=" + sc.SpanID().String() + ";Sampled=" + sampled
}
