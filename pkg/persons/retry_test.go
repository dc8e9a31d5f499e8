package persons_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/personsapi/persons/pkg/persons"
)

// TestRetryStopsBeforeTheDeadline: under endless contention a write gives up with
// ErrContention, leaving time before the context's deadline to answer, and never runs
// past its budget.
func TestRetryStopsBeforeTheDeadline(t *testing.T) {
	s := persons.New(nil, "unused")
	for _, tt := range []struct {
		name     string
		deadline time.Duration // 0: none
		budget   time.Duration
		within   time.Duration // must give up this early
	}{
		// Gives up at least the reserve (500 ms) before the deadline; 200 ms of slack for a
		// loaded machine.
		{"deadline", 1500 * time.Millisecond, persons.DefaultRetryBudget, 1200 * time.Millisecond},
		{"budget", 0, 700 * time.Millisecond, 850 * time.Millisecond},
		// Less than the reserve left: no second attempt at all.
		{"short deadline", 400 * time.Millisecond, persons.DefaultRetryBudget, 100 * time.Millisecond},
	} {
		t.Run(tt.name, func(t *testing.T) {
			ctx := context.Background()
			if tt.deadline > 0 {
				var cancel context.CancelFunc
				ctx, cancel = context.WithTimeout(ctx, tt.deadline)
				defer cancel()
			}
			attempts := 0
			start := time.Now()
			err := s.WithRetryBudget(tt.budget).Retry(ctx, func() (bool, error) {
				attempts++
				return true, nil
			})
			took := time.Since(start)
			if !errors.Is(err, persons.ErrContention) {
				t.Fatalf("err = %v, want ErrContention", err)
			}
			if took > tt.within {
				t.Errorf("gave up after %v, want within %v", took, tt.within)
			}
			t.Logf("%d attempts in %v", attempts, took.Round(time.Millisecond))
		})
	}
	// Anything but a request for another attempt ends the loop at once.
	stop := errors.New("stop")
	if err := s.Retry(context.Background(), func() (bool, error) { return false, stop }); !errors.Is(err, stop) {
		t.Fatalf("err = %v", err)
	}
}
