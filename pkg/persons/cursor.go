package persons

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"strings"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/personsapi/persons/pkg/input"
)

// Paging limits of every list operation.
const (
	DefaultLimit = 50
	MaxLimit     = 100
)

// Page is one page of a list. NextCursor is empty on the last page.
type Page[T any] struct {
	Items      []T    `json:"items"`
	NextCursor string `json:"nextCursor,omitempty"`
}

// cursorBody is what an opaque cursor carries: the list it was taken from and the
// exclusive start key (all key attributes of this table are strings).
type cursorBody struct {
	List string            `json:"l"`
	Key  map[string]string `json:"k"`
}

// listRef identifies a list (the table partition and kind, or GSI1 with a prefix) and
// knows which start keys belong to it, so that a cursor from another list, or a forged
// one, is rejected instead of reading another list's data.
type listRef struct {
	id    string
	valid func(key map[string]string) bool
	attrs []string // key attributes a start key of this list has
}

func personsList(prefix string) listRef {
	return listRef{
		id:    "gsi1|" + prefix,
		attrs: []string{AttrPK, AttrSK, AttrGSI1PK, AttrGSI1SK},
		valid: func(k map[string]string) bool {
			return k[AttrGSI1PK] == personsGSI1PK && strings.HasPrefix(k[AttrGSI1SK], prefix) &&
				strings.HasPrefix(k[AttrPK], PersonPKPrefix) && k[AttrSK] == profileSK
		},
	}
}

func childList(personID string, k *Kind) listRef {
	pk := personPK(personID)
	return listRef{
		id:    "table|" + pk + "|" + k.skPrefix,
		attrs: []string{AttrPK, AttrSK},
		valid: func(key map[string]string) bool {
			return key[AttrPK] == pk && strings.HasPrefix(key[AttrSK], k.skPrefix) && len(key[AttrSK]) > len(k.skPrefix)
		},
	}
}

// encodeCursor makes the cursor that continues list l after item.
func encodeCursor(l listRef, item map[string]types.AttributeValue) (string, error) {
	c := cursorBody{List: l.id, Key: make(map[string]string, len(l.attrs))}
	for _, a := range l.attrs {
		v, ok := item[a].(*types.AttributeValueMemberS)
		if !ok {
			return "", fmt.Errorf("cursor: item lacks key attribute %s", a)
		}
		c.Key[a] = v.Value
	}
	b, err := json.Marshal(c)
	if err != nil {
		return "", err
	}
	return base64.RawURLEncoding.EncodeToString(b), nil
}

// decodeCursor returns the exclusive start key for list l, nil for an empty cursor, or
// an error wrapping ErrInvalidCursor.
func decodeCursor(l listRef, cursor string) (map[string]types.AttributeValue, error) {
	if cursor == "" {
		return nil, nil
	}
	invalid := fmt.Errorf("%w: not a cursor of this list", ErrInvalidCursor)
	if len(cursor) > 2048 {
		return nil, invalid
	}
	b, err := base64.RawURLEncoding.DecodeString(cursor)
	if err != nil {
		return nil, invalid
	}
	var c cursorBody
	if err := json.Unmarshal(b, &c); err != nil || c.List != l.id || len(c.Key) != len(l.attrs) {
		return nil, invalid
	}
	key := make(map[string]types.AttributeValue, len(l.attrs))
	for _, a := range l.attrs {
		v, ok := c.Key[a]
		if !ok || v == "" {
			return nil, invalid
		}
		key[a] = &types.AttributeValueMemberS{Value: v}
	}
	if !l.valid(c.Key) {
		return nil, invalid
	}
	return key, nil
}

// pageLimit checks a requested page size: 0 means DefaultLimit.
func pageLimit(limit int) (int, error) {
	switch {
	case limit == 0:
		return DefaultLimit, nil
	case limit < 0 || limit > MaxLimit:
		return 0, input.FieldErr("limit", fmt.Sprintf("must be between 1 and %d", MaxLimit))
	}
	return limit, nil
}
