package persons

import (
	"bytes"
	"encoding/json"
)

// DecodeJSON is a temporary stub (the validation engineer replaces this file).
func DecodeJSON(data []byte, v any) error {
	d := json.NewDecoder(bytes.NewReader(data))
	d.DisallowUnknownFields()
	if err := d.Decode(v); err != nil {
		return &ValidationError{Fields: []FieldError{{Field: "body", Message: err.Error()}}}
	}
	return nil
}
