package lambdaapp_test

import (
	"log/slog"
	"testing"

	"github.com/personsapi/persons/pkg/lambdaapp"
)

// Lambda's application log levels map onto slog's in Lambda's order; anything else is
// INFO, so the access lines (the metrics) are never dropped by a typo.
func TestLogLevel(t *testing.T) {
	for in, want := range map[string]slog.Level{
		"TRACE": slog.LevelDebug - 4, "DEBUG": slog.LevelDebug, "debug": slog.LevelDebug,
		"INFO": slog.LevelInfo, "WARN": slog.LevelWarn, "ERROR": slog.LevelError,
		"FATAL": slog.LevelError + 4, "": slog.LevelInfo, "LOUD": slog.LevelInfo,
	} {
		if got := lambdaapp.LogLevel(in); got != want {
			t.Errorf("LogLevel(%q) = %v, want %v", in, got, want)
		}
	}
}
