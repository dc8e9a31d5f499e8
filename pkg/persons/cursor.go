package persons

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"fmt"
	"math"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/personsapi/persons/pkg/input"
)

// Paging limits. A page of persons may be ten times larger than one of related items: an
// eager client loads a 10,000-person collection in 10 requests, and 1,000 persons at
// their largest are about a quarter of Lambda's 6 MB response
// (TestLargestPersonsPageFitsALambdaResponse in pkg/lambdaapp). A person has at most
// MaxRelatedPerKind items of a kind, so one related page can hold them all.
const (
	DefaultLimit    = 50
	MaxLimit        = 100  // related lists
	MaxPersonsLimit = 1000 // ListPersons
)

// Page is one page of a list. NextCursor is empty on the last page.
type Page[T any] struct {
	Items      []T    `json:"items"`
	NextCursor string `json:"nextCursor,omitempty"`
}

// CursorLifetime is how long a cursor is accepted after the page that carried it was
// read. A client pages through a list in seconds or minutes; a day also covers a page
// left open overnight. The bound means a cursor that leaks (a URL in a log or a
// browser's history) stops working within a day, and a cursor key that was rotated out
// need only be kept for verification one CursorLifetime after the new key started
// signing (see WithCursorKeys).
const CursorLifetime = 24 * time.Hour

// ErrCursorExpired is the ErrInvalidCursor of a genuine cursor older than
// CursorLifetime: the client should start again from the first page.
var ErrCursorExpired = fmt.Errorf("%w: expired", ErrInvalidCursor)

// A cursor is the exclusive start key of the next page, signed so that a client can
// hand it back but neither edit nor forge it: an edited key would start a page at a
// position the server never gave out.
//
// Version 1, base64url without padding:
//
//	cursor  = payload | tag
//	payload = 0x01 | uvarint(issued, Unix seconds) | for each carried attribute: uvarint(len) | value
//	tag     = HMAC-SHA256(key, cursorDomain | uvarint(len(list id)) | list id | payload)
//
// The list id is in the MAC but not in the cursor: the verifier knows which list it is
// asked for, so a cursor of another list fails the MAC without costing a byte. Key
// attributes that are the same for the whole list (listRef.fixed) are not carried
// either. The time makes cursors expire (CursorLifetime); the version byte lets a later
// format coexist with this one.
const (
	cursorVersion = 1
	cursorDomain  = "persons/cursor\x00" // separates cursor MACs from any other use of a key
	cursorTagLen  = sha256.Size
	// maxCursorLen bounds the work an untrusted cursor can cause. The longest real one,
	// a persons-list cursor of 100-character names in 4-byte runes, is about 1.2 KB.
	maxCursorLen = 2048
	// cursorClockSkew is how far in the future a cursor's issue time may lie: clocks of
	// the instances that sign and verify differ a little.
	cursorClockSkew = 5 * time.Minute
)

var cursorEncoding = base64.RawURLEncoding.Strict() // one encoding per cursor: no padding bits to flip

// listRef identifies a list (the table partition and kind, or GSI1 with a prefix) and
// knows which start keys belong to it, so that a start key outside the list is refused
// even if it were signed.
type listRef struct {
	id      string
	fixed   map[string]string // key attributes with the same value for the whole list
	carried []string          // the other key attributes, in cursor order
	valid   func(key map[string]string) bool
}

// personsList is a list of GSI1 whose keys start with prefix; id tells it from the other
// lists of those keys (other orders and filters).
func personsList(id, prefix string) listRef {
	return listRef{
		id:      "gsi1|" + id,
		fixed:   map[string]string{AttrGSI1PK: personsGSI1PK, AttrSK: profileSK},
		carried: []string{AttrPK, AttrGSI1SK},
		valid: func(k map[string]string) bool {
			return strings.HasPrefix(k[AttrGSI1SK], prefix) &&
				strings.HasPrefix(k[AttrPK], PersonPKPrefix) && len(k[AttrPK]) > len(PersonPKPrefix)
		},
	}
}

func childList(personID string, k *Kind) listRef {
	return listRef{
		id:      "table|" + personPK(personID) + "|" + k.skPrefix,
		fixed:   map[string]string{AttrPK: personPK(personID)},
		carried: []string{AttrSK},
		valid: func(key map[string]string) bool {
			return strings.HasPrefix(key[AttrSK], k.skPrefix) && len(key[AttrSK]) > len(k.skPrefix)
		},
	}
}

// cursorMAC returns the tag of payload as a cursor of list l under key.
func cursorMAC(key []byte, l listRef, payload []byte) []byte {
	m := hmac.New(sha256.New, key)
	m.Write([]byte(cursorDomain))
	m.Write(binary.AppendUvarint(nil, uint64(len(l.id))))
	m.Write([]byte(l.id))
	m.Write(payload)
	return m.Sum(nil)
}

// signCursor encodes and signs payload with the first of the store's keys.
func (s *Store) signCursor(l listRef, payload []byte) string {
	return cursorEncoding.EncodeToString(append(payload, cursorMAC(s.cursorKeys[0], l, payload)...))
}

// encodeCursor makes the cursor that continues list l after item.
func (s *Store) encodeCursor(l listRef, item map[string]types.AttributeValue) (string, error) {
	for a, want := range l.fixed {
		if v, ok := item[a].(*types.AttributeValueMemberS); !ok || v.Value != want {
			return "", fmt.Errorf("cursor: item is not in list %s: %s is not %q", l.id, a, want)
		}
	}
	payload := []byte{cursorVersion}
	payload = binary.AppendUvarint(payload, uint64(s.now().Unix()))
	for _, a := range l.carried {
		v, ok := item[a].(*types.AttributeValueMemberS)
		if !ok || v.Value == "" {
			return "", fmt.Errorf("cursor: item lacks key attribute %s", a)
		}
		payload = binary.AppendUvarint(payload, uint64(len(v.Value)))
		payload = append(payload, v.Value...)
	}
	return s.signCursor(l, payload), nil
}

// decodeCursor returns the exclusive start key for list l, nil for an empty cursor, or
// an error wrapping ErrInvalidCursor. It reads nothing of a cursor before its tag has
// been verified.
func (s *Store) decodeCursor(l listRef, cursor string) (map[string]types.AttributeValue, error) {
	if cursor == "" {
		return nil, nil
	}
	invalid := fmt.Errorf("%w: not a cursor of this list", ErrInvalidCursor)
	if len(cursor) > maxCursorLen || strings.ContainsAny(cursor, "\r\n") { // the decoder skips newlines
		return nil, invalid
	}
	b, err := cursorEncoding.DecodeString(cursor)
	if err != nil || len(b) < cursorTagLen {
		return nil, invalid
	}
	payload, tag := b[:len(b)-cursorTagLen], b[len(b)-cursorTagLen:]
	if !s.verifyCursor(l, payload, tag) {
		return nil, invalid
	}

	// Authentic from here on: a failure is a cursor of another format or a bug.
	if len(payload) == 0 || payload[0] != cursorVersion {
		return nil, invalid
	}
	rest := payload[1:]
	issued, n := binary.Uvarint(rest)
	if n <= 0 || issued > math.MaxInt64 {
		return nil, invalid
	}
	rest = rest[n:]
	if age := s.now().Sub(time.Unix(int64(issued), 0)); age > CursorLifetime || age < -cursorClockSkew {
		return nil, ErrCursorExpired
	}
	key := make(map[string]types.AttributeValue, len(l.fixed)+len(l.carried))
	values := make(map[string]string, len(l.fixed)+len(l.carried))
	for a, v := range l.fixed {
		key[a], values[a] = sv(v), v
	}
	for _, a := range l.carried {
		size, n := binary.Uvarint(rest)
		if n <= 0 || size == 0 || size > uint64(len(rest)-n) {
			return nil, invalid
		}
		v := string(rest[n : n+int(size)])
		rest = rest[n+int(size):]
		key[a], values[a] = sv(v), v
	}
	if len(rest) != 0 || !l.valid(values) {
		return nil, invalid
	}
	return key, nil
}

// verifyCursor reports whether tag is payload's tag for list l under any of the store's
// keys: cursors signed with a key that is being rotated out stay valid.
func (s *Store) verifyCursor(l listRef, payload, tag []byte) bool {
	for _, k := range s.cursorKeys {
		if hmac.Equal(tag, cursorMAC(k, l, payload)) {
			return true
		}
	}
	return false
}

// pageLimit checks a requested page size against max: 0 means DefaultLimit.
func pageLimit(limit, max int) (int, error) {
	switch {
	case limit == 0:
		return DefaultLimit, nil
	case limit < 0 || limit > max:
		return 0, input.FieldErr("limit", fmt.Sprintf("must be between 1 and %d", max))
	}
	return limit, nil
}
