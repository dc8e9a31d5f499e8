package persons

import (
	"context"
	"time"
)

// Key-scheme internals, for the external tests.
var (
	PersonPK = personPK
	GSI1SK   = gsi1SK
)

const ProfileSK = profileSK

// Retry exposes the retry loop of optimistic writes; attempt returns retryAgain to ask
// for another attempt.
func (s *Store) Retry(ctx context.Context, attempt func() (retryAgain bool, err error)) error {
	return s.retry(ctx, func() error {
		again, err := attempt()
		if again {
			return errRetry
		}
		return err
	})
}

// SetMaxReadsPerPage sets the bound on the Queries of one filtered page until the test ends.
func SetMaxReadsPerPage(t interface{ Cleanup(func()) }, n int) {
	old := maxReadsPerPage
	maxReadsPerPage = n
	t.Cleanup(func() { maxReadsPerPage = old })
}

var ReadLimit = readLimit

// WithRetryBudget sets the store's retry budget.
func (s *Store) WithRetryBudget(d time.Duration) *Store {
	s.retryBudget = d
	return s
}
