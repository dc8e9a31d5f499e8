package persons

// ConflictError is a write refused because the stored item is not what the write
// expected: Err is ErrVersionMismatch (the expected version is not the stored one) or
// ErrAlreadyExists (a create's id is taken). Current is the item as stored — a Person, or
// the related item's type — so that a client can rebase its change without reading the
// item again; nil when the store could not see it. It comes from what the write read,
// or from the failed condition itself (ReturnValuesOnConditionCheckFailure ALL_OLD), never
// from an extra read.
//
// Match it with errors.As; errors.Is matches Err (ErrVersionMismatch, ErrAlreadyExists).
type ConflictError struct {
	Current any
	// Version is Current's version (0 without Current): the HTTP layer's ETag.
	Version int64
	Err     error
}

func (e *ConflictError) Error() string { return e.Err.Error() }

func (e *ConflictError) Unwrap() error { return e.Err }

// conflict builds the ConflictError of a person or related item v (nil: not known).
func conflict[T any, P interface {
	*T
	versioned() *Versioned
}](v *T, err error) *ConflictError {
	if v == nil {
		return &ConflictError{Err: err}
	}
	return &ConflictError{Current: *v, Version: P(v).versioned().Version, Err: err}
}
