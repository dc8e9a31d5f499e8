// Package input decodes and checks what clients send: strict JSON decoding (unknown,
// duplicate and mistyped fields are errors), RFC 7396 merge patches, and validation errors
// that name every failing field at once.
package input

import (
	"bytes"
	"encoding"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"sync"
	"unicode/utf16"
	"unicode/utf8"
)

// Decode decodes data, which must hold exactly one JSON object, into v, a non-nil
// pointer. It is stricter than encoding/json, and every problem with data becomes a
// *ValidationError naming the field:
//
//   - invalid JSON or trailing data: field "body", "invalid JSON ...";
//   - an empty body or anything but an object: field "body", "must be a JSON object";
//   - a field v does not have: "unknown field". Names are matched case-sensitively
//     (encoding/json would also accept "FIRSTNAME" for firstName);
//   - a field given twice: "duplicate field" (encoding/json keeps the last one, while
//     other parsers keep the first one);
//   - a value of the wrong JSON type: "must be a string", "must be a number", ...;
//   - null for a field that cannot be absent (not a pointer, slice or map): "must not
//     be null". In a merge patch null removes a member, which such fields do not allow;
//   - a string with invalid UTF-8 or an unpaired UTF-16 surrogate escape ("\ud800"):
//     "must be valid UTF-8 ...". encoding/json would silently replace them with U+FFFD,
//     storing something the client did not send.
//
// Nested fields are named by their dotted path ("addresses.0.city"). Unknown, duplicate
// and mistyped fields are all reported at once, and v is left untouched when there are
// any. Otherwise the fields present in data replace those of v, absent fields are left
// as they are and null sets pointers to nil (and leaves other fields alone): decoding a
// JSON merge patch onto a copy of a stored value applies it. Like encoding/json, it
// decodes through pointers that are already set, so that copy must be a deep one.
//
// A v that is not a non-nil pointer is a programming error, returned as a plain error.
func Decode(data []byte, v any) error {
	rv := reflect.ValueOf(v)
	if rv.Kind() != reflect.Pointer || rv.IsNil() {
		return fmt.Errorf("input.Decode: want a non-nil pointer, got %T", v)
	}
	if start := bytes.TrimLeft(data, " \t\r\n"); len(start) == 0 || start[0] != '{' {
		return bodyError("must be a JSON object")
	}

	// Pass 1: syntax. Reading the value as a RawMessage runs the encoding/json scanner,
	// with its nesting limit, over the whole object before anything looks inside it.
	dec := json.NewDecoder(bytes.NewReader(data))
	var raw json.RawMessage
	if err := dec.Decode(&raw); err != nil {
		return syntaxError(err)
	}
	end := dec.InputOffset()
	if _, err := dec.Token(); err != io.EOF {
		return bodyError(fmt.Sprintf("invalid JSON: unexpected data after the object at offset %d", end))
	}

	// Pass 2: field names and JSON types, all problems at once.
	var fe Fields
	checkValue(raw, rv.Type().Elem(), "", &fe)
	if err := fe.Err(); err != nil {
		return err
	}

	// Pass 3: the actual decoding. What is left to fail are numbers out of range (or not
	// integers) and custom unmarshalers.
	dec = json.NewDecoder(bytes.NewReader(raw))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return decodeError(err, rv.Type().Elem())
	}
	return nil
}

// MergePatch applies the JSON merge patch (RFC 7396) patch to *v: members present replace
// the fields of v, null clears an optional (pointer) field, absent members leave v alone.
// The entity types are flat objects, so decoding the patch onto v is exactly the RFC's
// algorithm; v must not share pointers with a value that must stay unchanged (Decode
// writes through pointers that are already set). Errors are those of Decode.
func MergePatch(patch []byte, v any) error { return Decode(patch, v) }

func bodyError(msg string) error { return FieldErr("body", msg) }

func syntaxError(err error) error {
	var se *json.SyntaxError
	switch {
	case errors.As(err, &se):
		return bodyError(fmt.Sprintf("invalid JSON at offset %d: %s", se.Offset, strings.TrimPrefix(se.Error(), "json: ")))
	case errors.Is(err, io.ErrUnexpectedEOF), errors.Is(err, io.EOF):
		return bodyError("invalid JSON: unexpected end of input")
	default:
		return bodyError("invalid JSON: " + strings.TrimPrefix(err.Error(), "json: "))
	}
}

// decodeError turns an error of encoding/json's Decode on syntactically valid JSON into a
// *ValidationError.
func decodeError(err error, t reflect.Type) error {
	var te *json.UnmarshalTypeError
	if errors.As(err, &te) {
		field := pathOrBody(jsonPath(t, te.Field))
		msg := typeMessage(te.Type)
		if strings.HasPrefix(te.Value, "number") {
			// The JSON type was right, so the number does not fit the Go type.
			msg = "must be a number in range"
			if k := derefType(te.Type).Kind(); k != reflect.Float32 && k != reflect.Float64 {
				msg = "must be an integer in range"
			}
		}
		return &ValidationError{Fields: []FieldError{{Field: field, Message: msg}}}
	}
	// encoding/json has no type for unknown fields; checkValue should have caught them.
	if name, ok := strings.CutPrefix(err.Error(), "json: unknown field "); ok {
		if s, err := strconv.Unquote(name); err == nil {
			name = s
		}
		return &ValidationError{Fields: []FieldError{{Field: name, Message: "unknown field"}}}
	}
	return bodyError("invalid value: " + strings.TrimPrefix(err.Error(), "json: "))
}

var (
	jsonUnmarshaler = reflect.TypeFor[json.Unmarshaler]()
	textUnmarshaler = reflect.TypeFor[encoding.TextUnmarshaler]()
)

func derefType(t reflect.Type) reflect.Type {
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	return t
}

// checkValue reports unknown, duplicate and mistyped fields of raw, a syntactically valid
// JSON value, to be decoded into a value of type t at path. Values that decode themselves
// (json.Unmarshaler, encoding.TextUnmarshaler) and interfaces are not looked into.
func checkValue(raw json.RawMessage, t reflect.Type, path string, fe *Fields) {
	nullable := t.Kind() == reflect.Pointer
	t = derefType(t)
	if t.Kind() == reflect.Interface || reflect.PointerTo(t).Implements(jsonUnmarshaler) {
		return
	}
	raw = bytes.TrimLeft(raw, " \t\r\n")
	k := t.Kind()
	var ok bool
	switch raw[0] {
	case 'n':
		// null clears pointers, slices and maps. encoding/json ignores it for other
		// types, which would turn {"firstName": null} in a merge patch into a silent no-op
		// instead of the removal of a required field.
		if !nullable && k != reflect.Slice && k != reflect.Map {
			fe.Add(pathOrBody(path), "must not be null")
		}
		return
	case '"':
		if msg := stringProblem(raw); msg != "" {
			fe.Add(pathOrBody(path), msg)
			return
		}
		ok = k == reflect.String || reflect.PointerTo(t).Implements(textUnmarshaler) ||
			(k == reflect.Slice && t.Elem().Kind() == reflect.Uint8) // base64
	case 't', 'f':
		ok = k == reflect.Bool
	case '{':
		switch {
		case k == reflect.Struct:
			checkObject(raw, path, fe, func(name string) (reflect.Type, bool) {
				f, ok := jsonFields(t)[name]
				return f, ok
			})
			return
		case k == reflect.Map:
			checkObject(raw, path, fe, func(string) (reflect.Type, bool) { return t.Elem(), true })
			return
		}
	case '[':
		if k == reflect.Slice || k == reflect.Array {
			dec := json.NewDecoder(bytes.NewReader(raw))
			dec.Token() // [
			for i := 0; dec.More(); i++ {
				var elem json.RawMessage
				dec.Decode(&elem) // cannot fail: raw is valid JSON
				checkValue(elem, t.Elem(), join(path, strconv.Itoa(i)), fe)
			}
			return
		}
	default: // number
		switch k {
		case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
			reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Uintptr,
			reflect.Float32, reflect.Float64:
			ok = true
		}
	}
	if !ok {
		fe.Add(pathOrBody(path), typeMessage(t))
	}
}

// stringProblem returns why the JSON string literal lit (quotes included, syntactically
// valid) does not stand for a sequence of Unicode characters, or "". encoding/json
// decodes invalid UTF-8 and unpaired surrogate escapes to U+FFFD instead of failing.
func stringProblem(lit []byte) string {
	const msg = "must be valid UTF-8 text: no invalid bytes or unpaired surrogate escapes (\\ud800-\\udfff)"
	if !utf8.Valid(lit) {
		return msg
	}
	for i := 0; i < len(lit); i++ {
		if lit[i] != '\\' {
			continue
		}
		i++ // the escaped character
		if lit[i] != 'u' {
			continue
		}
		r := hex4(lit[i+1:])
		i += 4
		switch {
		case !utf16.IsSurrogate(r):
		case r < 0xdc00 && i+6 < len(lit) && lit[i+1] == '\\' && lit[i+2] == 'u' && isLowSurrogate(hex4(lit[i+3:])):
			i += 6 // a high surrogate and its low one: one character
		default:
			return msg
		}
	}
	return ""
}

// hex4 returns the value of the 4 hex digits at the start of b (valid JSON escapes).
func hex4(b []byte) rune {
	n, _ := strconv.ParseUint(string(b[:4]), 16, 16)
	return rune(n)
}

func isLowSurrogate(r rune) bool { return 0xdc00 <= r && r <= 0xdfff }

// checkObject checks the members of the JSON object raw; field returns the type of a
// member, or false when there is no such member.
func checkObject(raw json.RawMessage, path string, fe *Fields, field func(string) (reflect.Type, bool)) {
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.Token() // {
	seen := make(map[string]bool)
	for dec.More() {
		tok, _ := dec.Token() // a string: raw is valid JSON
		name := tok.(string)
		var value json.RawMessage
		dec.Decode(&value)
		p := join(path, name)
		if seen[name] {
			fe.Add(p, "duplicate field")
			continue
		}
		seen[name] = true
		t, ok := field(name)
		if !ok {
			fe.Add(p, "unknown field")
			continue
		}
		checkValue(value, t, p, fe)
	}
}

// jsonPath turns the path encoding/json reports for a field of a value of type t into
// the field's JSON path: encoding/json names embedded structs by their Go type name
// ("Versioned.version"), which is not a member the client sent.
func jsonPath(t reflect.Type, path string) string {
	out := ""
	for seg := range strings.SplitSeq(path, ".") {
		if seg == "" {
			continue
		}
		t = derefType(t)
		if t.Kind() == reflect.Struct {
			if f, ok := t.FieldByName(seg); ok && f.Anonymous {
				t = f.Type
				continue
			}
			if ft, ok := jsonFields(t)[seg]; ok {
				out, t = join(out, seg), ft
				continue
			}
		}
		if t.Kind() == reflect.Slice || t.Kind() == reflect.Array || t.Kind() == reflect.Map {
			t = t.Elem()
		}
		out = join(out, seg)
	}
	return out
}

func join(path, name string) string {
	if path == "" {
		return name
	}
	return path + "." + name
}

func pathOrBody(path string) string {
	if path == "" {
		return "body"
	}
	return path
}

// typeMessage says which JSON type a value of type t needs.
func typeMessage(t reflect.Type) string {
	t = derefType(t)
	switch t.Kind() {
	case reflect.String:
		return "must be a string"
	case reflect.Bool:
		return "must be a boolean"
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Uintptr:
		return "must be an integer"
	case reflect.Float32, reflect.Float64:
		return "must be a number"
	case reflect.Struct, reflect.Map:
		return "must be an object"
	case reflect.Slice, reflect.Array:
		if t.Kind() == reflect.Slice && t.Elem().Kind() == reflect.Uint8 {
			return "must be a base64 string"
		}
		return "must be an array"
	default:
		return "has the wrong type"
	}
}

var fieldCache sync.Map // reflect.Type -> map[string]reflect.Type

// jsonFields returns the JSON member names of struct type t and their types, following
// encoding/json's rules for tags and embedded structs (without its tie-breaking between
// equally deep duplicate names, which the entity types do not have).
func jsonFields(t reflect.Type) map[string]reflect.Type {
	if m, ok := fieldCache.Load(t); ok {
		return m.(map[string]reflect.Type)
	}
	m := make(map[string]reflect.Type)
	addFields(t, m, make(map[string]int), 0)
	fieldCache.Store(t, m)
	return m
}

func addFields(t reflect.Type, m map[string]reflect.Type, depth map[string]int, d int) {
	for i := range t.NumField() {
		f := t.Field(i)
		tag := f.Tag.Get("json")
		if tag == "-" {
			continue
		}
		name, opts, _ := strings.Cut(tag, ",")
		if f.Anonymous && name == "" {
			if ft := derefType(f.Type); ft.Kind() == reflect.Struct {
				addFields(ft, m, depth, d+1) // promoted fields, exported or not
				continue
			}
		}
		if !f.IsExported() {
			continue
		}
		if name == "" {
			name = f.Name
		}
		if prev, ok := depth[name]; ok && prev <= d {
			continue // the shallower field wins
		}
		depth[name] = d
		if slices.Contains(strings.Split(opts, ","), "string") {
			// ",string" fields hold their value in a JSON string: leave them to encoding/json.
			m[name] = reflect.TypeFor[any]()
		} else {
			m[name] = f.Type
		}
	}
}
