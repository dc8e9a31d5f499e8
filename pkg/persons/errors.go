package persons

import (
	"errors"
	"strings"
)

// Sentinel errors returned (wrapped) by Store operations; match them with errors.Is.
var (
	ErrNotFound        = errors.New("not found")
	ErrAlreadyExists   = errors.New("already exists")
	ErrVersionMismatch = errors.New("version mismatch")
	ErrInvalidCursor   = errors.New("invalid cursor")
)

// FieldError is one invalid field: its JSON name (dotted for nested values) and why.
type FieldError struct {
	Field   string `json:"field"`
	Message string `json:"message"`
}

// ValidationError lists every failing field of a value at once. Match it with errors.As.
type ValidationError struct {
	Fields []FieldError
}

func (e *ValidationError) Error() string {
	var b strings.Builder
	b.WriteString("invalid input: ")
	for i, f := range e.Fields {
		if i > 0 {
			b.WriteString("; ")
		}
		b.WriteString(f.Field)
		b.WriteString(": ")
		b.WriteString(f.Message)
	}
	return b.String()
}

// fieldErrors collects field errors; its err method returns nil when there are none.
type fieldErrors []FieldError

func (fe *fieldErrors) add(field, msg string) {
	*fe = append(*fe, FieldError{Field: field, Message: msg})
}

func (fe fieldErrors) err() error {
	if len(fe) == 0 {
		return nil
	}
	return &ValidationError{Fields: fe}
}
