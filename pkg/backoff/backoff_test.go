package backoff

import (
	"context"
	"errors"
	"testing"
	"time"
)

func TestWindow(t *testing.T) {
	p := Policy{Base: 10 * time.Millisecond, Max: 100 * time.Millisecond}
	for _, tt := range []struct {
		n    int
		want time.Duration
	}{
		{0, 10 * time.Millisecond}, {1, 10 * time.Millisecond}, {2, 20 * time.Millisecond},
		{4, 80 * time.Millisecond}, {5, 100 * time.Millisecond}, {64, 100 * time.Millisecond},
	} {
		if got := p.Window(tt.n); got != tt.want {
			t.Errorf("Window(%d) = %v, want %v", tt.n, got, tt.want)
		}
	}
}

func TestDelayIsWithinWindow(t *testing.T) {
	p := Policy{Base: time.Millisecond, Max: 8 * time.Millisecond}
	seen := map[bool]bool{}
	for n := 1; n < 2000; n++ {
		d := p.Delay(n%6 + 1)
		if d < 0 || d >= p.Window(n%6+1) {
			t.Fatalf("Delay(%d) = %v outside [0, %v)", n%6+1, d, p.Window(n%6+1))
		}
		seen[d >= p.Window(n%6+1)/2] = true
	}
	if !seen[true] || !seen[false] {
		t.Fatal("delays are not spread over the window")
	}
	if d := (Policy{}).Delay(3); d != 0 {
		t.Fatalf("zero policy Delay = %v", d)
	}
}

func TestSleepEndsWithContext(t *testing.T) {
	cause := errors.New("stop")
	ctx, cancel := context.WithCancelCause(context.Background())
	cancel(cause)
	if err := Sleep(ctx, time.Hour); !errors.Is(err, cause) {
		t.Fatalf("Sleep = %v, want the cause", err)
	}
	if err := Sleep(context.Background(), time.Microsecond); err != nil {
		t.Fatal(err)
	}
}
