package input

import (
	"errors"
	"strings"
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

// FieldErr returns a *ValidationError about one field.
func FieldErr(field, msg string) error {
	return &ValidationError{Fields: []FieldError{{Field: field, Message: msg}}}
}

// Fields collects field errors, so that a check can report every failing field at once.
// The zero value is ready to use.
type Fields struct {
	list []FieldError
}

// Add records that field is invalid, and why.
func (f *Fields) Add(field, msg string) {
	f.list = append(f.list, FieldError{Field: field, Message: msg})
}

// Err returns the collected errors as a *ValidationError, or nil when there are none.
func (f *Fields) Err() error {
	if len(f.list) == 0 {
		return nil
	}
	return &ValidationError{Fields: f.list}
}

// FieldErrors returns the field errors err carries: those of the *ValidationError in its
// chain, or nil with ok false when there is none.
func FieldErrors(err error) (fields []FieldError, ok bool) {
	var ve *ValidationError
	if !errors.As(err, &ve) {
		return nil, false
	}
	return ve.Fields, true
}
