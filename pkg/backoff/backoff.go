// Package backoff computes and waits out the delays between retries: capped exponential
// backoff with full jitter, which spreads concurrent retriers over the whole window
// instead of letting them collide again in lockstep.
package backoff

import (
	"context"
	"math/rand/v2"
	"time"
)

// Policy is an exponential backoff: retry n (from 1) waits a random time in
// [0, min(Base·2^(n-1), Max)).
type Policy struct {
	Base time.Duration
	Max  time.Duration
}

// Window is the upper bound of the wait before retry n (from 1).
func (p Policy) Window(n int) time.Duration {
	w := p.Base << min(max(n-1, 0), 30)
	if w > p.Max || w <= 0 {
		w = p.Max
	}
	return w
}

// Delay draws the wait before retry n (from 1): full jitter over Window(n).
func (p Policy) Delay(n int) time.Duration {
	w := p.Window(n)
	if w <= 0 {
		return 0
	}
	return rand.N(w)
}

// Sleep waits d, or until ctx ends, whose cause it then returns.
func Sleep(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return context.Cause(ctx)
	}
}
