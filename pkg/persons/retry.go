package persons

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/personsapi/persons/pkg/backoff"
	"github.com/personsapi/persons/pkg/metrics"
)

// DefaultRetryBudget is how long a write retries under contention by default: far below
// the API functions' 10 s timeout, and far above what 20 concurrent writers of one
// person's primary need (a few hundred milliseconds).
const DefaultRetryBudget = 3 * time.Second

// retryReserve is the time a retry must leave before the context's deadline: one more
// attempt (a read and a write) and the response need it.
const retryReserve = 500 * time.Millisecond

// retryPolicy spaces the attempts of optimistic writes: short waits first, because the
// conflicting write usually takes a few milliseconds.
var retryPolicy = backoff.Policy{Base: 5 * time.Millisecond, Max: 320 * time.Millisecond}

// errRetry is what an attempt returns when a concurrent write changed what it read: the
// attempt wrote nothing and a new one, from a fresh read, may succeed.
var errRetry = errors.New("concurrent change")

// retry runs attempt until it returns anything but errRetry, waiting with jittered
// backoff in between. It stops with ErrContention when the next attempt would end after
// the retry budget, or too close to ctx's deadline for an answer to get out in time.
func (s *Store) retry(ctx context.Context, attempt func() error) error {
	start := time.Now()
	for n := 1; ; n++ {
		err := attempt()
		if !errors.Is(err, errRetry) {
			return err
		}
		d := retryPolicy.Delay(n)
		next := time.Now().Add(d)
		dl, ok := ctx.Deadline()
		if next.Sub(start) > s.retryBudget || (ok && dl.Sub(next) < retryReserve) {
			return fmt.Errorf("%w: gave up after %d attempts in %v", ErrContention, n, time.Since(start).Round(time.Millisecond))
		}
		if err := backoff.Sleep(ctx, d); err != nil {
			return err
		}
		// Counted for the access line's retries metric: contention shows there before
		// it turns into 503s.
		metrics.Retry(ctx)
	}
}
